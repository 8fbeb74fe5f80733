import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

import type { HttpObserver } from '../connectors/http/http-client.js';
import type { Database } from '../db/client.js';
import type { ProviderType } from '../domain/provider-type.js';
import type { Logger } from '../lib/logger.js';
import { safeError } from '../lib/safe-error.js';
import { registerComputed } from './computed-family.js';
import { databaseFamilies, type QueuedJobs } from './database-families.js';
import { readDatabaseFigures } from './database-figures.js';
import { createHttpMetrics } from './http-metrics.js';

export interface MetricsDeps {
  db: Database;
  /** The job queue: only its sizes are read (jobs/ is not imported here; dependencies.ts passes it). */
  queue: { size(name: string): Promise<number> };
  queueNames: readonly string[];
  version: string;
  logger: Logger;
  /** How long a scrape waits for the database before reporting it down; default 5 s. */
  databaseTimeoutMs?: number;
}

/** One scrape, ready to send. */
export interface Exposition {
  contentType: string;
  body: string;
}

export interface Metrics {
  /** For the connectors of one provider type (through createConnectorFor): counts their outbound HTTP. */
  httpObserver(providerType: ProviderType): HttpObserver;
  /** Every family in the Prometheus text format; never rejects because the database failed. */
  scrape(): Promise<Exposition>;
}

const DEFAULT_DATABASE_TIMEOUT_MS = 5000;

/**
 * What GET /metrics shows. Two sources: families kept by this process (outbound HTTP, Node's
 * own figures, the build) and families read from the database at each scrape (runs, durations,
 * records applied, queue depth; see database-figures.ts). When the database fails or does not
 * answer in time, the scrape still succeeds with `sis_sync_database_up 0` and the in-process
 * families, so an outage is something Prometheus sees rather than a failed scrape.
 */
export function createMetrics(deps: MetricsDeps): Metrics {
  // Its own registry, not prom-client's global one: several apps in one process (tests) stay apart.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'sis_sync_build_info',
    help: 'Always 1; the version label says which sis-sync this process runs.',
    labelNames: ['version'] as const,
    registers: [registry],
  }).set({ version: deps.version }, 1);
  const http = createHttpMetrics(registry);
  const timeoutMs = deps.databaseTimeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;

  const readFamilies = async () => {
    const figures = await readDatabaseFigures(deps.db);
    const queued: QueuedJobs = await Promise.all(
      deps.queueNames.map(async (queue) => ({ queue, jobs: await deps.queue.size(queue) })),
    );
    return databaseFamilies(figures, queued);
  };

  return {
    httpObserver: (providerType) => http.observerFor(providerType),

    async scrape() {
      // A registry per scrape for what the database said: concurrent scrapes never share values.
      const scraped = new Registry();
      let up = 1;
      try {
        for (const family of await withTimeout(readFamilies(), timeoutMs)) registerComputed(scraped, family);
      } catch (error) {
        up = 0;
        deps.logger.warn({ error: safeError(error) }, 'metrics: the database did not answer the scrape');
      }
      registerComputed(scraped, {
        name: 'sis_sync_database_up',
        help: 'Whether the database answered the queries of this scrape (1) or not (0).',
        type: 'gauge',
        samples: [{ labels: {}, value: up }],
      });
      const merged = Registry.merge([registry, scraped]);
      return { contentType: merged.contentType, body: await merged.metrics() };
    },
  };
}

/** Rejects when `promise` has not settled within `ms`; the work itself goes on and its outcome is dropped. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
