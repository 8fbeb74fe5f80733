import { Counter, Histogram, type Registry } from 'prom-client';

import type { HttpObserver } from '../connectors/http/http-client.js';
import { PROVIDER_TYPES, type ProviderType } from '../domain/provider-type.js';

/** Upper bounds of the outbound request duration buckets, in seconds (the default timeout is 30 s). */
export const HTTP_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

const IN_PROCESS = 'Counted by this process since it started (the instance that executed the run).';

export interface HttpMetrics {
  /** The observer to hand to the connectors of one provider type. */
  observerFor(providerType: ProviderType): HttpObserver;
}

/**
 * The outbound HTTP families, fed by the one HTTP layer (connectors/http/http-client.ts) through
 * the observer each connector receives from its factory. Labelled by provider type only: a
 * provider id or its URL would name a district.
 */
export function createHttpMetrics(registry: Registry): HttpMetrics {
  const requests = new Counter({
    name: 'sis_sync_http_requests_total',
    help: `Requests sent to providers (every attempt), by provider type and outcome: the status class (2xx, 4xx, ...), timeout, error (no answer) or cancelled. ${IN_PROCESS}`,
    labelNames: ['provider_type', 'outcome'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'sis_sync_http_retries_total',
    help: `Provider requests tried again after a failure (5xx, 408, 429, timeout, network error, unparseable body), by provider type. ${IN_PROCESS}`,
    labelNames: ['provider_type'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'sis_sync_http_rate_limited_total',
    help: `429 (rate limited) answers from providers, by provider type. ${IN_PROCESS}`,
    labelNames: ['provider_type'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'sis_sync_http_request_duration_seconds',
    help: `Time from sending a provider request to having its whole answer, by provider type. ${IN_PROCESS}`,
    labelNames: ['provider_type'] as const,
    buckets: [...HTTP_DURATION_BUCKETS],
    registers: [registry],
  });
  // Present at 0 from the start, so that an alert on their increase sees the first one.
  for (const providerType of PROVIDER_TYPES) {
    retries.inc({ provider_type: providerType }, 0);
    rateLimited.inc({ provider_type: providerType }, 0);
  }

  return {
    observerFor: (providerType) => ({
      request(outcome, seconds) {
        requests.inc({ provider_type: providerType, outcome });
        duration.observe({ provider_type: providerType }, seconds);
      },
      retry: () => retries.inc({ provider_type: providerType }),
      rateLimited: () => rateLimited.inc({ provider_type: providerType }),
    }),
  };
}
