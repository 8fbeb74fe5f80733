import { and, count, desc, eq, inArray, sql } from 'drizzle-orm';

import type { Executor } from '../db/client.js';
import {
  sisProviders,
  sisSyncRunChanges,
  sisSyncRunErrors,
  sisSyncRuns,
  type RunTrigger,
} from '../db/schema/index.js';
import { ACTIVE_RUN_STATUSES, assertRunTransition, type RunStatus } from '../domain/run-status.js';
import { isUniqueViolation } from '../lib/pg-errors.js';

export type RunRow = typeof sisSyncRuns.$inferSelect;
export type RunErrorRow = typeof sisSyncRunErrors.$inferSelect;
export type NewRunError = Omit<typeof sisSyncRunErrors.$inferInsert, 'id' | 'createdAt'>;
export type RunChangeRow = typeof sisSyncRunChanges.$inferSelect;
export type NewRunChange = Omit<typeof sisSyncRunChanges.$inferInsert, 'id' | 'createdAt'>;

const ONE_ACTIVE_RUN = 'sis_sync_runs_one_active_uq';

/** A new PENDING run, or the run that already holds the provider. */
export async function createRun(
  db: Executor,
  run: {
    tenantId: string;
    providerId: string;
    trigger: RunTrigger;
    triggeredBy: string | null;
    dryRun: boolean;
  },
): Promise<{ created: true; run: RunRow } | { created: false; active: RunRow }> {
  // The active run that blocked the insert may finish before we look it up: then insert again.
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = await db.insert(sisSyncRuns).values(run).returning();
      return { created: true, run: row! };
    } catch (error) {
      if (!isUniqueViolation(error, ONE_ACTIVE_RUN)) throw error;
      const active = await findActiveRun(db, run.providerId);
      if (active !== undefined) return { created: false, active };
      if (attempt === 3) throw error;
    }
  }
}

export async function findRun(db: Executor, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(sisSyncRuns).where(eq(sisSyncRuns.id, id));
  return row;
}

export async function findActiveRun(db: Executor, providerId: string): Promise<RunRow | undefined> {
  const [row] = await db
    .select()
    .from(sisSyncRuns)
    .where(
      and(eq(sisSyncRuns.providerId, providerId), inArray(sisSyncRuns.status, [...ACTIVE_RUN_STATUSES])),
    );
  return row;
}

/**
 * The checkpoint a new pull of the provider resumes from: the one its last applied run (SUCCESS
 * or PARTIAL, not a dry run) kept. Runs that applied nothing (failed, cancelled, discarded, dry)
 * moved nothing forward, so they are skipped; a last applied run without one means "pull it all".
 */
export async function findResumeCheckpoint(db: Executor, providerId: string): Promise<string | null> {
  const [row] = await db
    .select({ checkpoint: sisSyncRuns.checkpoint })
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
  const value = row?.checkpoint?.value;
  return typeof value === 'string' ? value : null;
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
  const [row] = await db
    .update(sisSyncRuns)
    .set({ ...changes, status: to })
    .where(and(eq(sisSyncRuns.id, id), eq(sisSyncRuns.status, from)))
    .returning();
  if (row !== undefined && (to === 'SUCCESS' || to === 'PARTIAL' || to === 'FAILURE') && !row.dryRun) {
    await db
      .update(sisProviders)
      .set({ lastSyncAt: row.finishedAt ?? new Date(), lastSyncStatus: to })
      .where(eq(sisProviders.id, row.providerId));
  }
  return row;
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

export async function listRunErrors(
  db: Executor,
  runId: string,
  page: { limit: number; offset: number },
): Promise<{ errors: RunErrorRow[]; total: number }> {
  const errors = await db
    .select()
    .from(sisSyncRunErrors)
    .where(eq(sisSyncRunErrors.runId, runId))
    .orderBy(sisSyncRunErrors.id)
    .limit(page.limit)
    .offset(page.offset);
  const [total] = await db
    .select({ n: count() })
    .from(sisSyncRunErrors)
    .where(eq(sisSyncRunErrors.runId, runId));
  return { errors, total: total?.n ?? 0 };
}

export async function replaceRunChanges(db: Executor, runId: string, changes: NewRunChange[]): Promise<void> {
  await db.delete(sisSyncRunChanges).where(eq(sisSyncRunChanges.runId, runId));
  for (let i = 0; i < changes.length; i += 2000) {
    await db.insert(sisSyncRunChanges).values(changes.slice(i, i + 2000));
  }
}

export async function listRunChanges(
  db: Executor,
  runId: string,
  filter: { entity?: string | undefined; kind?: string | undefined; limit: number; offset: number },
): Promise<{ changes: RunChangeRow[]; total: number }> {
  const where = and(
    eq(sisSyncRunChanges.runId, runId),
    filter.entity === undefined ? undefined : eq(sisSyncRunChanges.entity, filter.entity),
    filter.kind === undefined ? undefined : eq(sisSyncRunChanges.kind, filter.kind as RunChangeRow['kind']),
  );
  const changes = await db
    .select()
    .from(sisSyncRunChanges)
    .where(where)
    .orderBy(sisSyncRunChanges.id)
    .limit(filter.limit)
    .offset(filter.offset);
  const [total] = await db.select({ n: count() }).from(sisSyncRunChanges).where(where);
  return { changes, total: total?.n ?? 0 };
}
