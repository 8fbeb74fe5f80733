import type { Command } from 'commander';

import type { Config } from '../../config/config.js';
import { databaseTargetFromConfig, openDatabase } from '../../db/client.js';
import { migrateDatabase } from '../../db/migrate.js';

export function migrateCommand(program: Command, config: Config): void {
  program
    .command('migrate')
    .description('apply pending database migrations and exit (non-zero on failure)')
    .action(async () => {
      const handle = await openDatabase(databaseTargetFromConfig(config), { command: 'sis-sync migrate' });
      try {
        const { applied } = await migrateDatabase(handle);
        console.log(
          applied.length === 0
            ? `${handle.description}: up to date`
            : `${handle.description}: applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}`,
        );
      } finally {
        await handle.close();
      }
    });
}
