import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildApp } from './api/app.js';
import { devTokenSettings } from './api/routes/dev-token.js';
import type { Config } from './config/config.js';
import { withDevSecrets } from './config/dev-secrets.js';
import { databaseTargetFromConfig, openDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { buildDependencies, type Dependencies } from './dependencies.js';
import type { Logger } from './lib/logger.js';
import { VERSION } from './version.js';

export interface RunningService {
  /** Where the API listens, e.g. http://127.0.0.1:3000; undefined for a worker without API. */
  url: string | undefined;
  /** Stops taking requests and work, lets the runs in progress roll back, releases the database. */
  close(): Promise<void>;
}

export interface ServiceRoles {
  /** Serve the API, its docs (and the admin UI). */
  api: boolean;
  /** Take runs and schedules from the queue. */
  worker: boolean;
}

/**
 * `sis-sync serve` (API and worker), `serve --no-worker` (API only: runs are queued for other
 * instances) and `sis-sync worker` (worker only): migrate, start the queue, then the roles asked for.
 */
export async function startService(
  rawConfig: Config,
  logger: Logger,
  roles: ServiceRoles = { api: true, worker: true },
): Promise<RunningService> {
  const { config, warnings } = withDevSecrets(rawConfig);
  for (const warning of warnings) logger.warn(`!!! ${warning}`);
  const command = roles.api ? 'sis-sync serve' : 'sis-sync worker';
  const handle = await openDatabase(databaseTargetFromConfig(config), { command });
  let deps: Dependencies | undefined;
  try {
    const { applied } = await migrateDatabase(handle);
    logger.info({ database: handle.description, applied }, `database ready: ${handle.description}`);
    deps = buildDependencies(config, handle, logger, { worker: roles.worker ? 'queue' : 'none' });
    await deps.start();
    if (!roles.api) {
      logger.info(`sis-sync ${VERSION} worker running (MAX_CONCURRENT_SYNCS=${config.maxConcurrentSyncs})`);
      return { url: undefined, close: closer(deps, undefined) };
    }
    const app = await buildApp({
      logger,
      version: VERSION,
      verifyToken: deps.verifyToken,
      readiness: deps.readiness,
      providers: deps.providers,
      runs: deps.runs,
      roster: deps.roster,
      webhooks: deps.webhooks,
      devTokens: devTokenSettings(config),
      metrics: { source: deps.metrics, token: config.metricsToken },
      rateLimitPerMinute: config.apiRateLimit,
    });
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
    logger.info(
      `sis-sync ${VERSION} listening on ${url} (API docs: ${url}/docs)` +
        (roles.worker ? '' : '; no worker here: runs wait for a `sis-sync worker`'),
    );
    if (config.nodeEnv !== 'production' && rawConfig.jwt.secret === undefined) {
      logger.info(`get a bearer token: ${tokenCommandHint(rawConfig)}`);
    }
    return { url, close: closer(deps, app) };
  } catch (error) {
    await deps?.stop().catch(() => undefined);
    await handle.close();
    throw error;
  }
}

/** Shutdown order: no new requests, no new work, the runs in progress end (rolled back), then the database. */
function closer(deps: Dependencies, app: { close(): Promise<unknown> } | undefined): () => Promise<void> {
  return async () => {
    await app?.close();
    await deps.stop();
    await deps.handle.close();
  };
}

/** The command that mints a development token for this server, as the operator would type it. */
function tokenCommandHint(config: Config): string {
  const bin = path.relative(process.cwd(), fileURLToPath(new URL('../bin/sis-sync.js', import.meta.url)));
  const dataDir = path.relative(process.cwd(), config.dataDir);
  const env = dataDir === 'data' ? '' : `SIS_SYNC_DATA_DIR=${config.dataDir} `;
  return `${env}node ${bin} token --tenant demo --role DISTRICT_ADMIN`;
}
