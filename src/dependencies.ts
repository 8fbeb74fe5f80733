import { sql } from 'drizzle-orm';

import type { Readiness } from './api/routes/health.js';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config/config.js';
import type { DatabaseHandle } from './db/client.js';
import { createConnectorFor } from './connectors/create-connector.js';
import { createPgBossQueue } from './jobs/pg-boss-queue.js';
import type { JobQueue } from './jobs/queue.js';
import { createRunDispatcher } from './jobs/run-job.js';
import { createScheduleKeeper } from './jobs/schedules.js';
import { createWorker, type Worker } from './jobs/worker.js';
import { createSecretBox, type SecretBox } from './lib/secret-box.js';
import type { Logger } from './lib/logger.js';
import { createProviderService, type ProviderService } from './services/provider-service.js';
import type { SyncEngineDeps } from './sync/execute-run.js';
import { createRunService, type RunService } from './sync/run-service.js';

/**
 * What this process executes: `queue` takes due runs and schedules from the queue (serve, worker);
 * `own-runs` executes only the runs it hands its worker (the sync command); `none` only queues
 * them for other instances (serve --no-worker).
 */
export type WorkerMode = 'queue' | 'own-runs' | 'none';

/** Everything the API and the commands use, built once from the config and an open database. */
export interface Dependencies {
  handle: DatabaseHandle;
  secretBox: SecretBox;
  verifyToken: TokenVerifier;
  readiness: Readiness;
  providers: ProviderService;
  runs: RunService;
  engine: SyncEngineDeps;
  queue: JobQueue;
  /** Undefined in `none` mode. */
  worker: Worker | undefined;
  /** Starts the queue and the worker; `stop` undoes it (the worker finishes or cancels its runs). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `config` must already hold its keys (see config/dev-secrets). */
export function buildDependencies(
  config: Config,
  handle: DatabaseHandle,
  logger: Logger,
  options: { worker: WorkerMode; clock?: () => Date },
): Dependencies {
  if (config.encryptionKey === undefined) throw new Error('no encryption key configured');
  const clock = options.clock ?? (() => new Date());
  const secretBox = createSecretBox(config.encryptionKey, config.previousEncryptionKeys);
  const queue = createPgBossQueue(handle, logger);
  const providers = createProviderService({
    db: handle.db,
    secretBox,
    production: config.nodeEnv === 'production',
    importDir: config.importDir,
    schedules: createScheduleKeeper(queue, clock),
    now: clock,
  });
  const createConnector: SyncEngineDeps['createConnector'] = (row, providerConfig) =>
    createConnectorFor(row, providerConfig, logger.child({ providerId: row.id }));
  const engine: SyncEngineDeps = {
    handle,
    logger,
    loadProvider: (id) => providers.loadConfig(id),
    createConnector,
  };
  const worker =
    options.worker === 'none'
      ? undefined
      : createWorker({
          handle,
          queue,
          engine,
          logger,
          maxConcurrent: config.maxConcurrentSyncs,
          lockTimeoutMs: config.syncLockTimeoutMs,
          pollIntervalMs: config.workerPollIntervalMs,
          consume: options.worker === 'queue',
          clock,
        });
  return {
    handle,
    secretBox,
    verifyToken: createTokenVerifier(config.jwt),
    readiness: {
      async check() {
        await handle.db.execute(sql`SELECT 1 FROM sis_sync_migrations LIMIT 1`);
      },
    },
    providers,
    engine,
    queue,
    worker,
    runs: createRunService({
      db: handle.db,
      runs: createRunDispatcher(queue, () => worker?.wake()),
      logger,
      loadProvider: (id) => providers.loadConfig(id),
      createConnector,
    }),
    async start() {
      await queue.start();
      await worker?.start();
    },
    async stop() {
      await worker?.stop();
      await queue.stop();
    },
  };
}
