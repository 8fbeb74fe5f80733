import { sql } from 'drizzle-orm';

import type { Readiness } from './api/routes/health.js';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config/config.js';
import type { DatabaseHandle } from './db/client.js';
import { createSecretBox, type SecretBox } from './lib/secret-box.js';
import { createConnectorFor } from './connectors/create-connector.js';
import type { Logger } from './lib/logger.js';
import { createProviderService, type ProviderService } from './services/provider-service.js';
import { applyApprovedRun, executeRun, type SyncEngineDeps } from './sync/execute-run.js';
import { createRunService, type RunService } from './sync/run-service.js';
import { createInProcessRunner, type RunExecutor } from './sync/runner.js';

/** Everything the API and the commands use, built once from the config and an open database. */
export interface Dependencies {
  handle: DatabaseHandle;
  secretBox: SecretBox;
  verifyToken: TokenVerifier;
  readiness: Readiness;
  providers: ProviderService;
  runs: RunService;
  runner: RunExecutor;
  engine: SyncEngineDeps;
}

/** `config` must already hold its keys (see config/dev-secrets). */
export function buildDependencies(config: Config, handle: DatabaseHandle, logger: Logger): Dependencies {
  if (config.encryptionKey === undefined) throw new Error('no encryption key configured');
  const secretBox = createSecretBox(config.encryptionKey, config.previousEncryptionKeys);
  const providers = createProviderService({
    db: handle.db,
    secretBox,
    production: config.nodeEnv === 'production',
    importDir: config.importDir,
  });
  const createConnector: SyncEngineDeps['createConnector'] = (row, providerConfig) =>
    createConnectorFor(row, providerConfig, logger.child({ providerId: row.id }));
  const engine: SyncEngineDeps = {
    handle,
    logger,
    loadProvider: (id) => providers.loadConfig(id),
    createConnector,
  };
  const runner = createInProcessRunner({
    execute: (task) =>
      task.kind === 'sync' ? executeRun(engine, task.runId) : applyApprovedRun(engine, task.runId),
    maxConcurrent: config.maxConcurrentSyncs,
    logger,
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
    runner,
    engine,
    runs: createRunService({
      db: handle.db,
      runner,
      logger,
      loadProvider: (id) => providers.loadConfig(id),
      createConnector,
    }),
  };
}
