import type { Command } from 'commander';

import type { Config } from '../../config/config.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { startService, type ServiceRoles } from '../../service.js';

/** `sis-sync serve [--no-worker]`: the API (and, by default, a worker beside it). */
export function serveCommand(program: Command, config: Config): void {
  program
    .command('serve')
    .description(
      'serve the API, its docs and the admin UI, with a worker unless --no-worker; applies migrations first',
    )
    .option('--no-worker', 'serve the API only; runs are queued for `sis-sync worker` processes')
    .action(async (options: { worker: boolean }) => {
      await runUntilSignalled(config, { api: true, worker: options.worker });
    });
}

/** `sis-sync worker`: runs syncs and schedules from the queue, without the API. */
export function workerCommand(program: Command, config: Config): void {
  program
    .command('worker')
    .description('run scheduled and queued syncs without serving the API (several may share one PostgreSQL)')
    .action(async () => {
      await runUntilSignalled(config, { api: false, worker: true });
    });
}

/**
 * Starts the service and stops it gracefully on SIGINT/SIGTERM: no new requests or runs, the runs
 * in progress roll back at their next batch, then the database is released. A second signal quits.
 */
async function runUntilSignalled(config: Config, roles: ServiceRoles): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  const service = await startService(config, logger, roles);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      logger.info(`${signal}: shutting down`);
      shutDown(service, logger).then(resolve, () => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function shutDown(service: { close(): Promise<void> }, logger: Logger): Promise<void> {
  try {
    await service.close();
    logger.info('stopped');
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exitCode = 1;
  }
}
