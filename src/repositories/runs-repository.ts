import { and, count, desc, eq, gt, inArray, isNull, notInArray, sql } from 'drizzle-orm';

import type { Executor, Transaction } from '../db/client.js';
import {
  sisProviders,
  sisSyncRunChanges,
  sisSyncRunErrors,
  sisSyncRuns,
  type RunTrigger,
} from '../db/schema/index.js';
import { ACTIVE_RUN_STATUSES, assertRunTransition, type RunStatus } from '../domain/run-status.js';
import type { EntityType } from '../domain/entity.js';

export type RunRow = typeof sisSyncRuns.$inferSelect;
export type RunErrorRow = typeof sisSyncRunErrors.$inferSelect;
export type NewRunError = Omit<typeof sisSyncRunErrors.$inferInsert, 'id' | 'createdAt'>;
export type RunChangeRow = typeof sisSyncRunChanges.$inferSelect;
export type NewRunChange = Omit<typeof sisSyncRunChanges.$inferInsert, 'id' | 'createdAt'>;

/** How many records the approval of a held run excluded (kept beside its held reason). */
export function excludedCount(run: RunRow): number {
  const excluded = run.heldReason?.excluded;
  return typeof excluded === 'number' ? excluded : 0;
}

const activeStatus = inArray(sisSyncRuns.status, [...ACTIVE_RUN_STATUSES]);

/**
 * A new PENDING run, or the run that already holds the provider. Safe inside a transaction: the
 * one-active-run index is met with ON CONFLICT, never with an error that would abort it.
 */
export async function createRun(
  db: Executor,
  run: {
    tenantId: string;
    providerId: string;
    trigger: RunTrigger;
    triggeredBy: string | null;
    dryRun: boolean;
    /** An undo run: the applied run it reverts. */
    undoesRunId?: string;
  },
): Promise<{ created: true; run: RunRow } | { created: false; active: RunRow }> {
  // The active run that blocked the insert may finish before we look it up: then insert again.
  for (let attempt = 1; ; attempt++) {
    const [row] = await db
      .insert(sisSyncRuns)
      .values(run)
      .onConflictDoNothing({ target: sisSyncRuns.providerId, where: activeStatus })
      .returning();
    if (row !== undefined) return { created: true, run: row };
    const active = await findActiveRun(db, run.providerId);
    if (active !== undefined) return { created: false, active };
    if (attempt === 3) throw new Error(`could not create a run for provider ${run.providerId}`);
  }
}

/** A scheduled run that was not run (a blackout window, a run still going), kept in the history. */
export async function insertSkippedRun(
  db: Executor,
  run: { tenantId: string; providerId: string; code: string; message: string },
): Promise<RunRow> {
  const now = new Date();
  const [row] = await db
    .insert(sisSyncRuns)
    .values({
      tenantId: run.tenantId,
      providerId: run.providerId,
      status: 'SKIPPED',
      trigger: 'SCHEDULE',
      triggeredBy: null,
      dryRun: false,
      phase: 'done',
      errorCode: run.code,
      errorMessage: run.message,
      finishedAt: now,
    })
    .returning();
  return row!;
}

export async function findRun(db: Executor, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(sisSyncRuns).where(eq(sisSyncRuns.id, id));
  return row;
}

export async function findActiveRun(db: Executor, providerId: string): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(sisSyncRuns)
    .where(and(eq(sisSyncRuns.providerId, providerId), activeStatus));
  return row;
}

/**
 * The checkpoint a new pull of the provider resumes from: the one its last applied run (SUCCESS
 * or PARTIAL, not a dry run) kept. Runs that applied nothing (failed, cancelled, discarded, dry)
 * moved nothing forward, so they are skipped; a last applied run without one means "pull it all".
 */
/** The provider's last run whose load was applied (not a dry run), newest first. */
export async function findLastAppliedRun(db: Executor, providerId: string): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(sisSyncRuns)
    .where(
      and(
        eq(sisSyncRuns.providerId, providerId),
        inArray(sisSyncRuns.status, ['SUCCESS', 'PARTIAL']),
        eq(sisSyncRuns.dryRun, false),
      ),
    )
    .orderBy(desc(sisSyncRuns.finishedAt), desc(sisSyncRuns.createdAt))
    .limit(1);
  return row;
}

/** Errors (not warnings) a run recorded on one entity. */
export async function countEntityErrors(db: Executor, runId: string, entity: EntityType): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(sisSyncRunErrors)
    .where(
      and(
        eq(sisSyncRunErrors.runId, runId),
        eq(sisSyncRunErrors.entity, entity),
        eq(sisSyncRunErrors.severity, 'error'),
      ),
    );
  return row?.n ?? 0;
}

/** Records on `to` the warnings `from` recorded on one entity (a file skipped as unchanged still has them). */
export async function copyEntityWarnings(
  db: Executor,
  from: string,
  to: string,
  entity: EntityType,
): Promise<void> {
  await db.execute(sql`
    INSERT INTO sis_sync_run_errors
      (run_id, tenant_id, entity, external_id, source_file, source_line, source_page, field, code, message, severity)
    SELECT ${to}, tenant_id, entity, external_id, source_file, source_line, source_page, field, code, message, severity
    FROM sis_sync_run_errors
    WHERE run_id = ${from} AND entity = ${entity} AND severity = 'warning'
    ORDER BY id`);
}

export async function findLatestRun(db: Executor, providerId: string): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(sisSyncRuns)
    .where(eq(sisSyncRuns.providerId, providerId))
    .orderBy(desc(sisSyncRuns.createdAt), desc(sisSyncRuns.id))
    .limit(1);
  return row;
}

export async function listProviderRuns(
  db: Executor,
  providerId: string,
  page: { limit: number; offset: number },
): Promise<{ runs: RunRow[]; total: number }> {
  const runs = await db
    .select()
    .from(sisSyncRuns)
    .where(eq(sisSyncRuns.providerId, providerId))
    .orderBy(desc(sisSyncRuns.createdAt), desc(sisSyncRuns.id))
    .limit(page.limit)
    .offset(page.offset);
  const [total] = await db
    .select({ n: count() })
    .from(sisSyncRuns)
    .where(eq(sisSyncRuns.providerId, providerId));
  return { runs, total: total?.n ?? 0 };
}

/**
 * The applied undo run of each of the given runs that has one: a run is undone once its undo
 * committed (SUCCESS; an undo never ends PARTIAL).
 */
export async function findUndoneBy(db: Executor, runIds: readonly string[]): Promise<Map<string, string>> {
  if (runIds.length === 0) return new Map();
  const rows = await db
    .select({ id: sisSyncRuns.id, undoesRunId: sisSyncRuns.undoesRunId })
    .from(sisSyncRuns)
    .where(and(inArray(sisSyncRuns.undoesRunId, [...runIds]), eq(sisSyncRuns.status, 'SUCCESS')));
  return new Map(rows.map((r) => [r.undoesRunId!, r.id]));
}

export type RunChanges = Partial<
  Pick<
    RunRow,
    | 'phase'
    | 'progress'
    | 'stats'
    | 'incompleteEntities'
    | 'checkpoint'
    | 'heldReason'
    | 'reviewedBy'
    | 'reviewedAt'
    | 'errorCode'
    | 'errorMessage'
    | 'workerId'
    | 'heartbeatAt'
    | 'startedAt'
    | 'finishedAt'
    | 'sourceInfo'
    | 'cancelRequestedAt'
    | 'diagnosis'
  >
>;

/**
 * Moves a run to `to` if it is still in `from` (checked against the state table first, and by
 * the database trigger after). Resolves to the updated run, or undefined when the run had moved on.
 */
export async function transitionRun(
  db: Executor,
  id: string,
  from: RunStatus,
  to: RunStatus,
  changes: RunChanges = {},
): Promise<RunRow | undefined> {
  assertRunTransition(from, to);
  const move = async (tx: Executor) => {
    const [row] = await tx
      .update(sisSyncRuns)
      .set({ ...changes, status: to })
      .where(and(eq(sisSyncRuns.id, id), eq(sisSyncRuns.status, from)))
      .returning();
    if (row !== undefined && (to === 'SUCCESS' || to === 'PARTIAL' || to === 'FAILURE') && !row.dryRun) {
      await recordLastSync(tx, row.providerId, row.finishedAt ?? new Date(), to);
    }
    return row;
  };
  // The run's end and the provider's "last sync" are one write (a savepoint inside a transaction).
  const ends = to === 'SUCCESS' || to === 'PARTIAL' || to === 'FAILURE';
  return ends ? db.transaction(move) : move(db);
}

async function recordLastSync(db: Executor, providerId: string, at: Date, status: RunStatus): Promise<void> {
  await db
    .update(sisProviders)
    .set({ lastSyncAt: at, lastSyncStatus: status })
    .where(eq(sisProviders.id, providerId));
}

export async function updateRun(db: Executor, id: string, changes: RunChanges): Promise<void> {
  await db.update(sisSyncRuns).set(changes).where(eq(sisSyncRuns.id, id));
}

export async function requestCancel(db: Executor, id: string): Promise<void> {
  await db
    .update(sisSyncRuns)
    .set({ cancelRequestedAt: sql`coalesce(${sisSyncRuns.cancelRequestedAt}, now())` })
    .where(eq(sisSyncRuns.id, id));
}

export async function isCancelRequested(db: Executor, id: string): Promise<boolean> {
  const [row] = await db
    .select({ at: sisSyncRuns.cancelRequestedAt })
    .from(sisSyncRuns)
    .where(eq(sisSyncRuns.id, id));
  return row?.at !== null && row?.at !== undefined;
}

/** Writes many errors in one statement. */
export async function insertRunErrors(db: Executor, errors: NewRunError[]): Promise<void> {
  for (let i = 0; i < errors.length; i += 2000) {
    await db.insert(sisSyncRunErrors).values(errors.slice(i, i + 2000));
  }
}

/** Narrows a run's errors; each field given must match exactly. */
export interface RunErrorFilter {
  entity?: string | undefined;
  severity?: RunErrorRow['severity'] | undefined;
  code?: string | undefined;
}

const runErrorsWhere = (runId: string, filter: RunErrorFilter) =>
  and(
    eq(sisSyncRunErrors.runId, runId),
    filter.entity === undefined ? undefined : eq(sisSyncRunErrors.entity, filter.entity),
    filter.severity === undefined ? undefined : eq(sisSyncRunErrors.severity, filter.severity),
    filter.code === undefined ? undefined : eq(sisSyncRunErrors.code, filter.code),
  );

export async function listRunErrors(
  db: Executor,
  runId: string,
  page: { limit: number; offset: number },
  filter: RunErrorFilter = {},
): Promise<{ errors: RunErrorRow[]; total: number }> {
  const where = runErrorsWhere(runId, filter);
  const errors = await db
    .select()
    .from(sisSyncRunErrors)
    .where(where)
    .orderBy(sisSyncRunErrors.id)
    .limit(page.limit)
    .offset(page.offset);
  const [total] = await db.select({ n: count() }).from(sisSyncRunErrors).where(where);
  return { errors, total: total?.n ?? 0 };
}

/**
 * A run's errors in id order, `chunkSize` at a time: each chunk is one query that resumes after the
 * last id read (the run/id index), so a run with 100k errors is never held in memory at once.
 */
export async function* readRunErrors(
  db: Executor,
  runId: string,
  filter: RunErrorFilter,
  chunkSize = 5000,
): AsyncGenerator<RunErrorRow[]> {
  let afterId = 0;
  for (;;) {
    const chunk = await db
      .select()
      .from(sisSyncRunErrors)
      .where(and(runErrorsWhere(runId, filter), gt(sisSyncRunErrors.id, afterId)))
      .orderBy(sisSyncRunErrors.id)
      .limit(chunkSize);
    if (chunk.length > 0) yield chunk;
    if (chunk.length < chunkSize) return;
    afterId = chunk.at(-1)!.id;
  }
}

export async function replaceRunChanges(db: Executor, runId: string, changes: NewRunChange[]): Promise<void> {
  await db.delete(sisSyncRunChanges).where(eq(sisSyncRunChanges.runId, runId));
  for (let i = 0; i < changes.length; i += 2000) {
    await db.insert(sisSyncRunChanges).values(changes.slice(i, i + 2000));
  }
}

/**
 * Runs that hold one of the deployment's MAX_CONCURRENT_SYNCS slots: taken by a worker and not
 * finished. An approved run waiting for a worker (no worker yet) holds none.
 */
const holdsSlot = sql`${sisSyncRuns.status} = 'IN_PROGRESS' AND ${sisSyncRuns.workerId} IS NOT NULL`;

/** Serialises slot claims across every instance; held to the end of the claiming transaction. */
const SLOT_LOCK_KEY = 7_311_046_502;

/**
 * Takes the deployment-wide slot lock for this transaction and says how many slots are held.
 * Claims made under it are counted by the next claimer (it waits for this transaction to end).
 */
export async function lockSlots(tx: Transaction): Promise<number> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${SLOT_LOCK_KEY})`);
  const [row] = await tx.select({ n: count() }).from(sisSyncRuns).where(holdsSlot);
  return row?.n ?? 0;
}

/**
 * Gives a run to a worker, under the slot lock: a PENDING run starts (`sync`), an approved held run
 * is taken for applying (`apply`). Undefined when the run is no longer waiting for that.
 */
export async function claimRun(
  tx: Transaction,
  runId: string,
  kind: 'sync' | 'apply',
  workerId: string,
): Promise<RunRow | undefined> {
  const [row] = await tx
    .update(sisSyncRuns)
    .set(
      kind === 'sync'
        ? {
            status: 'IN_PROGRESS',
            workerId,
            heartbeatAt: sql`now()`,
            startedAt: new Date(),
            phase: 'extracting',
          }
        : { workerId, heartbeatAt: sql`now()` },
    )
    .where(
      kind === 'sync'
        ? and(eq(sisSyncRuns.id, runId), eq(sisSyncRuns.status, 'PENDING'))
        : and(
            eq(sisSyncRuns.id, runId),
            eq(sisSyncRuns.status, 'IN_PROGRESS'),
            eq(sisSyncRuns.phase, 'approved'),
            isNull(sisSyncRuns.workerId),
          ),
    )
    .returning();
  return row;
}

/** The worker still has these runs: their heartbeat moves to the database's now. */
export async function heartbeatRuns(
  db: Executor,
  runIds: readonly string[],
  workerId: string,
): Promise<void> {
  if (runIds.length === 0) return;
  await db
    .update(sisSyncRuns)
    .set({ heartbeatAt: sql`now()` })
    .where(
      and(
        inArray(sisSyncRuns.id, [...runIds]),
        eq(sisSyncRuns.status, 'IN_PROGRESS'),
        eq(sisSyncRuns.workerId, workerId),
      ),
    );
}

/**
 * Fails the runs whose worker stopped reporting for `timeoutMs` (killed, lost its connection):
 * their transaction died with them, so nothing of theirs was applied, and their provider is free
 * again. `except`: runs the caller is executing itself. Resolves to the runs failed.
 */
export async function failAbandonedRuns(
  db: Executor,
  options: { timeoutMs: number; except: readonly string[] },
): Promise<RunRow[]> {
  const seconds = options.timeoutMs / 1000;
  return db.transaction(async (tx) => {
    const failed = await tx
      .update(sisSyncRuns)
      .set({
        status: 'FAILURE',
        phase: 'done',
        errorCode: 'worker_lost',
        errorMessage: sql`'the worker running it (' || ${sisSyncRuns.workerId} || ') stopped reporting during '
        || coalesce(${sisSyncRuns.phase}, 'the run') || ' and was given up after '
        || ${formatSeconds(seconds)} || ' without a heartbeat; nothing was applied'`,
        finishedAt: new Date(),
      })
      .where(
        and(
          holdsSlot,
          sql`${sisSyncRuns.heartbeatAt} < now() - make_interval(secs => ${seconds})`,
          options.except.length === 0 ? undefined : notInArray(sisSyncRuns.id, [...options.except]),
        ),
      )
      .returning();
    for (const run of failed) {
      if (!run.dryRun) await recordLastSync(tx, run.providerId, run.finishedAt ?? new Date(), 'FAILURE');
    }
    return failed;
  });
}

function formatSeconds(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)} minutes` : `${seconds} seconds`;
}
