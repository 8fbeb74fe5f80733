import type { Config } from '../../src/config/config.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { buildDependencies } from '../../src/dependencies.js';
import { findRun, type RunRow } from '../../src/repositories/runs-repository.js';
import { createTestLogger } from './logger.js';
import { platformAdmin } from './sync.js';
import { query, waitFor } from './workers.js';

/*
 * A sis-sync instance in the test's process on a database the test opened, as the fault suites
 * use one: `own-runs` executes the runs it triggers, as `sis-sync sync` does; `queue` is a worker
 * as `serve` and `sis-sync worker` run it, which gives up the runs an ended process left behind
 * and takes the runs left queued. The database stays the caller's.
 */

export interface Instance {
  /** Creates a CSV provider over `localPath` in `tenantId`. */
  csvProvider(tenantId: string, localPath: string): Promise<string>;
  /** Triggers one run of the provider and resolves to it once it ended (or is held). */
  sync(providerId: string): Promise<RunRow>;
  /** Resolves once no run of the provider is waiting or in progress. */
  settled(providerId: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startInstance(
  config: Config,
  handle: DatabaseHandle,
  worker: 'own-runs' | 'queue',
): Promise<Instance> {
  const deps = buildDependencies(config, handle, createTestLogger(), { worker });
  await deps.start();
  const unsettled = async (providerId: string) =>
    (
      await query<{ n: number }>(
        handle,
        `SELECT count(*)::int AS n FROM sis_sync_runs
         WHERE provider_id = $1 AND status IN ('PENDING', 'IN_PROGRESS')`,
        [providerId],
      )
    )[0]!.n;
  const settled = (providerId: string, timeoutMs = 60_000) =>
    waitFor(async () => (await unsettled(providerId)) === 0, {
      timeoutMs,
      intervalMs: 50,
      what: `the runs of provider ${providerId} to end`,
    });
  return {
    async csvProvider(tenantId, localPath) {
      const created = await deps.providers.create(
        { principal: platformAdmin },
        { tenantId, providerType: 'ONEROSTER_CSV', name: `CSV ${localPath}`, config: { localPath } },
      );
      return created.id;
    },
    async sync(providerId) {
      const run = await deps.runs.trigger({ principal: platformAdmin }, providerId, { dryRun: false });
      if (worker === 'own-runs') await deps.worker!.runHere({ kind: 'sync', runId: run.id, providerId });
      await settled(providerId);
      return (await findRun(handle.db, run.id))!;
    },
    settled: async (providerId, timeoutMs) => {
      await settled(providerId, timeoutMs);
    },
    stop: () => deps.stop(),
  };
}
