import type { Command } from 'commander';

import type { Config } from '../../config/config.js';
import { createLogger } from '../../lib/logger.js';
import { startService } from '../../service.js';

export function serveCommand(program: Command, config: Config): void {
  program
    .command('serve')
    .description('serve the API, its docs and the admin UI; applies migrations first')
    .action(async () => {
      const logger = createLogger({ level: config.logLevel });
      const service = await startService(config, logger);
      await new Promise<void>((resolve) => {
        let stopping = false;
        const stop = (signal: NodeJS.Signals) => {
          if (stopping) {
            logger.warn(`${signal} again: exiting now`);
            process.exit(1);
          }
          stopping = true;
          logger.info(`${signal}: shutting down`);
          service.close().then(resolve, (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exitCode = 1;
            resolve();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
