import { sql } from 'drizzle-orm';

import type { Readiness } from './api/routes/health.js';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config/config.js';
import type { DatabaseHandle } from './db/client.js';
import { createConnectorFor } from './connectors/create-connector.js';
import { createPgBossQueue } from './jobs/pg-boss-queue.js';
import { createPruneChore } from './jobs/prune-job.js';
import { QUEUE_NAMES, type JobQueue } from './jobs/queue.js';
import { createRunDispatcher } from './jobs/run-job.js';
import { createScheduleKeeper } from './jobs/schedules.js';
import { createWebhookChore, createWebhookDispatcher } from './jobs/webhook-job.js';
import { createWebhookNotifier } from './jobs/webhook-notices.js';
import { createWorker, type Worker } from './jobs/worker.js';
import { createSecretBox, type SecretBox } from './lib/secret-box.js';
import type { Logger } from './lib/logger.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { createProviderService, type ProviderService } from './services/provider-service.js';
import { createRosterService, type RosterService } from './services/roster-service.js';
import { webhookSettings, type WebhookSettings } from './services/webhook-delivery.js';
import { createWebhookService, type WebhookService } from './services/webhook-service.js';
import type { SyncEngineDeps } from './sync/execute-run.js';
import { createRunService, type RunService } from './sync/run-service.js';
import { VERSION } from './version.js';

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
  roster: RosterService;
  webhooks: WebhookService;
  engine: SyncEngineDeps;
  queue: JobQueue;
  /** What GET /metrics shows; connectors count their outbound HTTP into it. */
  metrics: Metrics;
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
  options: {
    worker: WorkerMode;
    clock?: () => Date;
    /** Webhook timeouts and retry waits over the defaults (tests shorten them). */
    webhooks?: Partial<WebhookSettings>;
  },
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
    egress: config.outboundAllow,
    schedules: createScheduleKeeper(queue, clock),
    now: clock,
  });
  const metrics = createMetrics({ db: handle.db, queue, queueNames: QUEUE_NAMES, version: VERSION, logger });
  const createConnector: SyncEngineDeps['createConnector'] = (row, providerConfig) =>
    createConnectorFor(
      row,
      providerConfig,
      logger.child({ providerId: row.id }),
      metrics.httpObserver(row.providerType),
      config.outboundAllow,
    );
  const engine: SyncEngineDeps = {
    handle,
    logger,
    loadProvider: (id) => providers.loadConfig(id),
    createConnector,
    observer: createWebhookNotifier({ db: handle.db, queue, clock }),
    firstRunReview: config.firstRunReview,
  };
  const webhookOptions = webhookSettings({ egress: config.outboundAllow, ...options.webhooks });
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
          chores: [
            createWebhookChore({ db: handle.db, queue, secretBox, settings: webhookOptions, logger, clock }),
            createPruneChore({
              db: handle.db,
              queue,
              retentionDays: config.retentionDays,
              reclaimSpace: handle.kind === 'pglite',
              logger,
              clock,
            }),
          ],
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
    roster: createRosterService({ db: handle.db }),
    engine,
    queue,
    metrics,
    worker,
    runs: createRunService({
      db: handle.db,
      runs: createRunDispatcher(queue, () => worker?.wake()),
      logger,
      loadProvider: (id) => providers.loadConfig(id),
      createConnector,
    }),
    webhooks: createWebhookService({
      db: handle.db,
      secretBox,
      production: config.nodeEnv === 'production',
      settings: webhookOptions,
      dispatcher: createWebhookDispatcher(queue, () => worker?.wake()),
      now: clock,
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
