import type { Metric, Registry } from 'prom-client';

/** One line of a family: `metricName` defaults to the family's name (a histogram's lines are `_bucket`, `_sum`, `_count`). */
export interface Sample {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

/** A metric family whose values were worked out before the scrape (from the database). */
export interface ComputedFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: Sample[];
}

/**
 * Adds a computed family to a registry, for prom-client to format beside its own metrics.
 *
 * prom-client's Counter, Gauge and Histogram hold values they are told one at a time; a
 * histogram read whole from SQL (cumulative buckets, sum, count) cannot be told to one. Its
 * registry formats any registered object by its `name` and what `get()` resolves to
 * ({ name, help, type, values }), which is what this object is; the cast says so to its types.
 * test/api/metrics.test.ts parses the result, so a prom-client that stopped doing this would fail there.
 */
export function registerComputed(registry: Registry, family: ComputedFamily): void {
  const metric = {
    name: family.name,
    help: family.help,
    type: family.type,
    get: () =>
      Promise.resolve({
        name: family.name,
        help: family.help,
        type: family.type,
        values: family.samples,
        aggregator: 'sum',
      }),
    // Registry.resetMetrics() calls this; a computed family is rebuilt for every scrape anyway.
    reset: () => undefined,
  };
  registry.registerMetric(metric as unknown as Metric);
}

/** A histogram's lines from cumulative bucket counts (one per upper bound, in order), its count and its sum. */
export function histogramSamples(
  name: string,
  labels: Record<string, string>,
  upperBounds: readonly number[],
  cumulative: readonly number[],
  count: number,
  sum: number,
): Sample[] {
  return [
    ...upperBounds.map((le, i) => ({
      metricName: `${name}_bucket`,
      labels: { ...labels, le: String(le) },
      value: cumulative[i] ?? 0,
    })),
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count },
    { metricName: `${name}_sum`, labels, value: sum },
    { metricName: `${name}_count`, labels, value: count },
  ];
}
