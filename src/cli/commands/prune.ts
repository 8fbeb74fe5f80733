import { InvalidArgumentError, type Command } from 'commander';

import type { Config } from '../../config/config.js';
import { migrateDatabase } from '../../db/migrate.js';
import { RETENTION_TABLES, describeSweep, sweepRetention } from '../../services/retention-sweep.js';
import { openForCommand } from '../open-for-command.js';

interface PruneOptions {
  dryRun: boolean;
  olderThanDays?: number;
}

function parseDays(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) {
    throw new InvalidArgumentError('a whole number of days (0 keeps everything)');
  }
  const days = Number(raw.trim());
  if (days > 36_500) throw new InvalidArgumentError('at most 36500 days');
  return days;
}

export function pruneCommand(program: Command, config: Config): void {
  program
    .command('prune')
    .description(
      'remove now the staging rows and run errors of runs that ended more than N days ago, and finished ' +
        "webhook deliveries as old (each provider's last applied run and held runs are kept); print what went",
    )
    .option('--dry-run', 'count what would be removed, remove nothing', false)
    .option(
      '--older-than-days <n>',
      `retention in days; 0 keeps everything (default: SIS_SYNC_RETENTION_DAYS, now ${config.retentionDays})`,
      parseDays,
    )
    .action(async (options: PruneOptions) => {
      const olderThanDays = options.olderThanDays ?? config.retentionDays;
      const handle = await openForCommand(
        config,
        'sis-sync prune',
        'A running server prunes by itself once a day (SIS_SYNC_RETENTION_DAYS); stop it to prune from here.',
      );
      try {
        await migrateDatabase(handle);
        const result = await sweepRetention(handle.db, {
          olderThanDays,
          now: new Date(),
          dryRun: options.dryRun,
          reclaimSpace: handle.kind === 'pglite',
        });
        console.log(describeSweep(result));
        if (result.cutoff === null) return;
        if (result.keptLastApplied > 0) {
          console.log(
            `kept: the staging and errors of ${result.keptLastApplied} older run(s) that are their provider's last applied run`,
          );
        }
        console.log(`${'table'.padEnd(24)}${(options.dryRun ? 'would remove' : 'removed').padStart(14)}`);
        for (const table of RETENTION_TABLES) {
          console.log(`${table.padEnd(24)}${result.rows[table].toLocaleString('en-US').padStart(14)}`);
        }
      } finally {
        await handle.close();
      }
    });
}
