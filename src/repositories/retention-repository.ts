import { getTableName } from 'drizzle-orm';

import type { Executor } from '../db/client.js';
import {
  sisRawClasses,
  sisRawCourses,
  sisRawEnrollments,
  sisRawSchools,
  sisRawTerms,
  sisRawUsers,
  sisRunLinkImages,
  sisRunRecordImages,
  sisSyncRunErrors,
  sisWebhookAttempts,
  sisWebhookDeliveries,
} from '../db/schema/index.js';
import { sqlSessionOf } from '../db/sql-session.js';
import { TERMINAL_RUN_STATUSES } from '../domain/run-status.js';

/*
 * What the retention sweep deletes, in bounded statements: each statement is its own short
 * transaction, so a run with ten million staged rows never becomes one giant transaction (on the
 * embedded database a long transaction holds up everything else).
 */

/** The tables that hold a run's per-record data, keyed by `run_id` (and indexed by it first). */
export const RUN_DATA_TABLES = [
  getTableName(sisRawSchools),
  getTableName(sisRawTerms),
  getTableName(sisRawCourses),
  getTableName(sisRawClasses),
  getTableName(sisRawUsers),
  getTableName(sisRawEnrollments),
  getTableName(sisSyncRunErrors),
] as const;
export type RunDataTable = (typeof RUN_DATA_TABLES)[number];

/**
 * A run's before-images (what undo restores), pruned with its staging: keyed by tenant, then run,
 * so they are found by run and tenant, and never listed like the tables above.
 */
export const RUN_IMAGE_TABLES = [getTableName(sisRunRecordImages), getTableName(sisRunLinkImages)] as const;
export type RunImageTable = (typeof RUN_IMAGE_TABLES)[number];

/** A run's rows in one of its tables ($1 the run, $2 its tenant). */
const ofRun = (table: RunDataTable | RunImageTable) =>
  (RUN_IMAGE_TABLES as readonly string[]).includes(table) ? 'tenant_id = $2 AND run_id = $1' : 'run_id = $1';

export const WEBHOOK_LOG_TABLES = [
  getTableName(sisWebhookDeliveries),
  getTableName(sisWebhookAttempts),
] as const;
export type WebhookLogTable = (typeof WEBHOOK_LOG_TABLES)[number];

export interface EndedRun {
  id: string;
  tenantId: string;
  providerId: string;
  finishedAt: Date;
}

/**
 * The distinct run ids present in a table, found by skipping through its `(run_id, ...)` index:
 * one probe per run that still has rows there, however many rows it has and however long the run
 * history is (pruned runs cost nothing).
 */
const runIdsIn = (table: RunDataTable) => `
  SELECT run_id FROM (
    WITH RECURSIVE ids(run_id) AS (
      (SELECT run_id FROM ${table} ORDER BY run_id LIMIT 1)
      UNION ALL
      SELECT (SELECT t.run_id FROM ${table} t WHERE t.run_id > ids.run_id ORDER BY t.run_id LIMIT 1)
      FROM ids WHERE ids.run_id IS NOT NULL
    )
    SELECT run_id FROM ids WHERE run_id IS NOT NULL
  ) AS ${table}_runs`;

/**
 * Runs that ended (a terminal status) before `cutoff` and still have staging rows or run errors,
 * oldest first. Runs still PENDING, IN_PROGRESS or HELD are never among them: they have no end.
 */
export async function listEndedRunsWithData(db: Executor, cutoff: Date): Promise<EndedRun[]> {
  const rows = await sqlSessionOf(db).query<{
    id: string;
    tenant_id: string;
    provider_id: string;
    finished_at: Date | string;
  }>(
    `SELECT r.id, r.tenant_id, r.provider_id, r.finished_at
     FROM sis_sync_runs r
     WHERE r.id IN (${RUN_DATA_TABLES.map(runIdsIn).join(' UNION ')})
       AND r.status = ANY($1::text[])
       AND r.finished_at < $2::timestamptz
     ORDER BY r.finished_at, r.id`,
    [[...TERMINAL_RUN_STATUSES], cutoff.toISOString()],
  );
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    providerId: r.provider_id,
    finishedAt: new Date(r.finished_at),
  }));
}

/** Deletes up to `limit` of the run's rows from `table`; resolves to how many went. */
export async function deleteRunRows(
  db: Executor,
  table: RunDataTable | RunImageTable,
  run: { id: string; tenantId: string },
  limit: number,
): Promise<number> {
  const rows = await sqlSessionOf(db).query<{ n: number }>(
    `WITH gone AS (
       DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${ofRun(table)} LIMIT $3))
       RETURNING 1
     )
     SELECT count(*)::int AS n FROM gone`,
    [run.id, run.tenantId, limit],
  );
  return rows[0]?.n ?? 0;
}

export async function countRunRows(
  db: Executor,
  table: RunDataTable | RunImageTable,
  run: { id: string; tenantId: string },
): Promise<number> {
  const rows = await sqlSessionOf(db).query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE ${ofRun(table)}`,
    [run.id, run.tenantId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Whether the sweep took a run's data: it changed the roster (it has change events) but has no
 * staging left, and its before-images went with the staging.
 */
export async function isRunDataPruned(db: Executor, runId: string): Promise<boolean> {
  const staged = RUN_DATA_TABLES.filter((t) => t.startsWith('sis_raw_'))
    .map((t) => `EXISTS (SELECT 1 FROM ${t} WHERE run_id = $1)`)
    .join(' OR ');
  const [row] = await sqlSessionOf(db).query<{ pruned: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM sis_change_events WHERE run_id = $1) AND NOT (${staged}) AS pruned`,
    [runId],
  );
  return row?.pruned ?? false;
}

/**
 * A delivery is finished once it succeeded or gave up; it is as old as its last sign of activity.
 * Pending deliveries (still to be tried) never match.
 */
const finishedBefore = (w: string) => `${w}.status IN ('succeeded', 'failed')
  AND coalesce(${w}.delivered_at, ${w}.last_attempt_at, ${w}.created_at) < $1::timestamptz`;

/**
 * Deletes up to `limit` deliveries that finished before `cutoff`, with their attempts, in one
 * statement (so a delivery never loses its log without going itself). The delete checks the
 * condition again on the row it removes: a delivery sent again meanwhile (pending once more) stays,
 * and so does its log.
 */
export async function deleteFinishedDeliveries(
  db: Executor,
  cutoff: Date,
  limit: number,
): Promise<Record<WebhookLogTable, number>> {
  const [row] = await sqlSessionOf(db).query<{ deliveries: number; attempts: number }>(
    `WITH doomed AS (
       SELECT w.id FROM sis_webhook_deliveries w WHERE ${finishedBefore('w')} LIMIT $2
     ),
     deliveries AS (
       DELETE FROM sis_webhook_deliveries w USING doomed d WHERE w.id = d.id AND ${finishedBefore('w')}
       RETURNING w.id
     ),
     attempts AS (
       DELETE FROM sis_webhook_attempts a USING deliveries g WHERE a.delivery_id = g.id RETURNING 1
     )
     SELECT (SELECT count(*)::int FROM deliveries) AS deliveries, (SELECT count(*)::int FROM attempts) AS attempts`,
    [cutoff.toISOString(), limit],
  );
  return { sis_webhook_deliveries: row?.deliveries ?? 0, sis_webhook_attempts: row?.attempts ?? 0 };
}

export async function countFinishedDeliveries(
  db: Executor,
  cutoff: Date,
): Promise<Record<WebhookLogTable, number>> {
  const [row] = await sqlSessionOf(db).query<{ deliveries: number; attempts: number }>(
    `WITH doomed AS (SELECT w.id FROM sis_webhook_deliveries w WHERE ${finishedBefore('w')})
     SELECT (SELECT count(*)::int FROM doomed) AS deliveries,
            (SELECT count(*)::int FROM sis_webhook_attempts a JOIN doomed d ON d.id = a.delivery_id) AS attempts`,
    [cutoff.toISOString()],
  );
  return { sis_webhook_deliveries: row?.deliveries ?? 0, sis_webhook_attempts: row?.attempts ?? 0 };
}

/** Makes the space of deleted rows reusable (the embedded database has no autovacuum to do it). */
export async function vacuumTable(
  db: Executor,
  table: RunDataTable | RunImageTable | WebhookLogTable,
): Promise<void> {
  await sqlSessionOf(db).exec(`VACUUM ${table}`);
}
