import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildApp } from './api/app.js';
import type { Config } from './config/config.js';
import { withDevSecrets } from './config/dev-secrets.js';
import { databaseTargetFromConfig, openDatabase } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { buildDependencies, type Dependencies } from './dependencies.js';
import type { Logger } from './lib/logger.js';
import { requestCancel } from './repositories/runs-repository.js';
import { VERSION } from './version.js';

export interface RunningService {
  /** Where the API listens, e.g. http://127.0.0.1:3000. */
  url: string;
  close(): Promise<void>;
}

/** `sis-sync serve`: migrate, then serve the API, the docs and (later) the worker and UI. */
export async function startService(rawConfig: Config, logger: Logger): Promise<RunningService> {
  const { config, warnings } = withDevSecrets(rawConfig);
  for (const warning of warnings) logger.warn(`!!! ${warning}`);

  const handle = await openDatabase(databaseTargetFromConfig(config), { command: 'sis-sync serve' });
  try {
    const { applied } = await migrateDatabase(handle);
    logger.info({ database: handle.description, applied }, `database ready: ${handle.description}`);
    const deps = buildDependencies(config, handle, logger);
    const app = await buildApp({
      logger,
      version: VERSION,
      verifyToken: deps.verifyToken,
      readiness: deps.readiness,
      providers: deps.providers,
      runs: deps.runs,
    });
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
    logger.info(`sis-sync ${VERSION} listening on ${url} (API docs: ${url}/docs)`);
    if (config.nodeEnv !== 'production' && rawConfig.jwt.secret === undefined) {
      logger.info(`get a bearer token: ${tokenCommandHint(rawConfig)}`);
    }
    return {
      url,
      async close() {
        await app.close();
        await stopRuns(deps, logger);
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Runs this process started must not outlive its database handle: each is asked to cancel (it
 * stops at its next batch and rolls back, so the roster keeps its previous state) and awaited.
 */
async function stopRuns(deps: Dependencies, logger: Logger): Promise<void> {
  const unfinished = deps.runner.unfinished();
  if (unfinished.length === 0) return;
  logger.info({ runs: unfinished.map((t) => t.runId) }, 'cancelling the runs in progress before shutdown');
  for (const task of unfinished) await requestCancel(deps.handle.db, task.runId);
  await deps.runner.idle();
}

/** The command that mints a development token for this server, as the operator would type it. */
function tokenCommandHint(config: Config): string {
  const bin = path.relative(process.cwd(), fileURLToPath(new URL('../bin/sis-sync.js', import.meta.url)));
  const dataDir = path.relative(process.cwd(), config.dataDir);
  const env = dataDir === 'data' ? '' : `SIS_SYNC_DATA_DIR=${config.dataDir} `;
  return `${env}node ${bin} token --tenant demo --role DISTRICT_ADMIN`;
}
