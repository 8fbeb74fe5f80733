import type { Database } from '../db/client.js';
import {
  RUN_DATA_TABLES,
  RUN_IMAGE_TABLES,
  WEBHOOK_LOG_TABLES,
  countFinishedDeliveries,
  countRunRows,
  deleteFinishedDeliveries,
  deleteRunRows,
  listEndedRunsWithData,
  vacuumTable,
  type EndedRun,
  type RunDataTable,
  type RunImageTable,
  type WebhookLogTable,
} from '../repositories/retention-repository.js';
import { findLastAppliedRun } from '../repositories/runs-repository.js';

export type RetentionTable = RunDataTable | RunImageTable | WebhookLogTable;
export const RETENTION_TABLES: readonly RetentionTable[] = [
  ...RUN_DATA_TABLES,
  ...RUN_IMAGE_TABLES,
  ...WEBHOOK_LOG_TABLES,
];

export interface RetentionSweepOptions {
  /** SIS_SYNC_RETENTION_DAYS, or the command's --older-than-days; 0 keeps everything. */
  olderThanDays: number;
  now: Date;
  /** Count what would go, delete nothing. */
  dryRun?: boolean;
  /** Rows per delete statement (each statement is its own transaction). */
  batchSize?: number;
  /**
   * VACUUM each table it deleted from, so that new rows reuse the space. The embedded database
   * needs it: it has no autovacuum, and its files would otherwise only grow. PostgreSQL's
   * autovacuum does it by itself.
   */
  reclaimSpace?: boolean;
}

export interface RetentionSweepResult {
  olderThanDays: number;
  /** Data of runs that ended before this instant (and finished webhook deliveries) is pruned; null: retention is off. */
  cutoff: Date | null;
  dryRun: boolean;
  /** Runs whose staging rows or run errors were removed (would be, on a dry run). */
  runs: number;
  /** Runs past the cutoff kept whole because they are their provider's last applied run. */
  keptLastApplied: number;
  /** Rows removed (would be) per table. */
  rows: Record<RetentionTable, number>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_BATCH = 20_000;

/**
 * Prunes what a run leaves behind once it is older than the retention period: its staging rows,
 * its per-record errors and its before-images (past them, the run can no longer be undone), run by
 * run, and finished webhook deliveries with their attempts. The runs themselves (status, stats,
 * review lists), the change feed and the audit log stay.
 *
 * Kept whatever their age:
 * - runs that have not ended: PENDING, IN_PROGRESS, and HELD (an approval applies a held run from
 *   its staging);
 * - the staging and the errors of each provider's last applied run (SUCCESS or PARTIAL, not a dry
 *   run). Its errors in particular: the engine skips a CSV file byte-for-byte the one that run
 *   loaded only when that run recorded no error on it (`countEntityErrors` in sync/execute-run.ts),
 *   and carries that run's warnings over (`copyEntityWarnings`). Pruned errors would make a file
 *   that had errors look clean, and it would be skipped instead of read and reported again.
 *
 * Safe beside running syncs and other sweeps: a run it prunes has ended for good (terminal states
 * have no way out), and it can never become its provider's last applied run again (only newer runs
 * do), so the choice made at the start holds to the end. Every delete is bounded, so no
 * transaction grows with a run's size; an interrupted sweep leaves nothing half-valid, and the next
 * one finishes the job.
 */
export async function sweepRetention(
  db: Database,
  options: RetentionSweepOptions,
): Promise<RetentionSweepResult> {
  const dryRun = options.dryRun ?? false;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const rows = Object.fromEntries(RETENTION_TABLES.map((t) => [t, 0])) as Record<RetentionTable, number>;
  const result: RetentionSweepResult = {
    olderThanDays: options.olderThanDays,
    cutoff: null,
    dryRun,
    runs: 0,
    keptLastApplied: 0,
    rows,
  };
  if (options.olderThanDays === 0) return result;
  const cutoff = new Date(options.now.getTime() - options.olderThanDays * DAY_MS);
  result.cutoff = cutoff;

  const lastApplied = new Map<string, string | undefined>();
  for (const run of await listEndedRunsWithData(db, cutoff)) {
    if (!lastApplied.has(run.providerId)) {
      lastApplied.set(run.providerId, (await findLastAppliedRun(db, run.providerId))?.id);
    }
    if (lastApplied.get(run.providerId) === run.id) {
      result.keptLastApplied += 1;
      continue;
    }
    let removed = 0;
    for (const table of [...RUN_DATA_TABLES, ...RUN_IMAGE_TABLES]) {
      const n = dryRun ? await countRunRows(db, table, run) : await deleteAll(db, table, run, batchSize);
      rows[table] += n;
      removed += n;
    }
    if (removed > 0) result.runs += 1;
  }

  if (dryRun) {
    Object.assign(rows, await countFinishedDeliveries(db, cutoff));
  } else {
    const deliveryBatch = Math.max(1, Math.floor(batchSize / 20));
    for (;;) {
      const gone = await deleteFinishedDeliveries(db, cutoff, deliveryBatch);
      rows.sis_webhook_deliveries += gone.sis_webhook_deliveries;
      rows.sis_webhook_attempts += gone.sis_webhook_attempts;
      if (gone.sis_webhook_deliveries < deliveryBatch) break;
    }
  }
  if (options.reclaimSpace === true && !dryRun) {
    for (const table of RETENTION_TABLES) if (rows[table] > 0) await vacuumTable(db, table);
  }
  return result;
}

async function deleteAll(
  db: Database,
  table: RunDataTable | RunImageTable,
  run: EndedRun,
  batchSize: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deleteRunRows(db, table, run, batchSize);
    total += n;
    if (n < batchSize) return total;
  }
}

/** "12 runs: sis_raw_users 4,000, sis_sync_run_errors 12, ..." (tables with nothing left out). */
export function describeSweep(result: RetentionSweepResult): string {
  if (result.cutoff === null) return 'retention is off (0 days): nothing pruned';
  const removed = RETENTION_TABLES.filter((t) => result.rows[t] > 0).map(
    (t) => `${t} ${result.rows[t].toLocaleString('en-US')}`,
  );
  const verb = result.dryRun ? 'would remove' : 'removed';
  return removed.length === 0
    ? `nothing older than ${result.cutoff.toISOString()} to prune`
    : `${verb} the data of ${result.runs} run(s) and finished webhook deliveries older than ${result.cutoff.toISOString()}: ${removed.join(', ')}`;
}
