import { and, count, eq, sql } from 'drizzle-orm';

import type { Executor, Transaction } from '../db/client.js';
import { sisSyncRunChanges, sisSyncRunExclusions, type ReviewChangeKind } from '../db/schema/index.js';
import type { EntityType } from '../domain/entity.js';
import type { RunChangeRow } from './runs-repository.js';

/** A record of a run's pull, as a reviewer names it. */
export interface RunRecordRef {
  entity: EntityType;
  externalId: string;
}

export interface RunChangeFilter {
  entity?: EntityType | undefined;
  kind?: ReviewChangeKind | undefined;
  /** Changes whose fields include this API field. */
  field?: string | undefined;
  /** Changes whose label or external id contains this text (case-insensitive). */
  q?: string | undefined;
}

export interface RunChangeCount {
  entity: string;
  kind: ReviewChangeKind;
  n: number;
}

/**
 * A page of a run's listed changes, the total the filter keeps, and for the filter bar the number
 * per entity and kind under the field and text filters alone, and every field the run's changes touch.
 */
export async function listRunChanges(
  db: Executor,
  runId: string,
  filter: RunChangeFilter & { limit: number; offset: number },
): Promise<{ changes: RunChangeRow[]; total: number; counts: RunChangeCount[]; fields: string[] }> {
  const c = sisSyncRunChanges;
  const searched = and(
    eq(c.runId, runId),
    filter.field === undefined ? undefined : sql`jsonb_exists(${c.fields}, ${filter.field})`,
    filter.q === undefined
      ? undefined
      : sql`(strpos(lower(${c.externalId}), lower(${filter.q})) > 0
             OR strpos(lower(coalesce(${c.label}, '')), lower(${filter.q})) > 0)`,
  );
  const where = and(
    searched,
    filter.entity === undefined ? undefined : eq(c.entity, filter.entity),
    filter.kind === undefined ? undefined : eq(c.kind, filter.kind),
  );
  const changes = await db
    .select()
    .from(c)
    .where(where)
    .orderBy(c.id)
    .limit(filter.limit)
    .offset(filter.offset);
  const [total] = await db.select({ n: count() }).from(c).where(where);
  const counts = await db
    .select({ entity: c.entity, kind: c.kind, n: count() })
    .from(c)
    .where(searched)
    .groupBy(c.entity, c.kind)
    .orderBy(c.entity, c.kind);
  const fields = await db.execute<{ field: string }>(
    sql`SELECT DISTINCT jsonb_object_keys(${c.fields}) AS field FROM ${c}
        WHERE ${c.runId} = ${runId} AND ${c.fields} IS NOT NULL ORDER BY 1`,
  );
  return {
    changes,
    total: total?.n ?? 0,
    counts,
    fields: (fields as { rows: { field: string }[] }).rows.map((r) => r.field),
  };
}

/** Of the records named, those that are not a change listed for the run, in the order given. */
export async function findUnlistedChanges(
  db: Executor,
  runId: string,
  records: readonly RunRecordRef[],
): Promise<{ index: number; record: RunRecordRef }[]> {
  const result = await db.execute<{ index: number }>(
    sql`SELECT (q.n - 1)::int AS index
        FROM jsonb_array_elements(${JSON.stringify(records)}::jsonb) WITH ORDINALITY AS q(r, n)
        WHERE NOT EXISTS (SELECT 1 FROM ${sisSyncRunChanges} c WHERE c.run_id = ${runId}
                          AND c.entity = q.r->>'entity' AND c.external_id = q.r->>'externalId')
        ORDER BY q.n`,
  );
  return (result as { rows: { index: number }[] }).rows.map(({ index }) => ({
    index,
    record: records[index]!,
  }));
}

/** Records the approval of a run leaves as they are. */
export async function insertRunExclusions(
  tx: Transaction,
  run: { runId: string; tenantId: string; excludedBy: string },
  records: readonly RunRecordRef[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 2000) {
    await tx
      .insert(sisSyncRunExclusions)
      .values(
        records.slice(i, i + 2000).map((r) => ({ ...run, entity: r.entity, externalId: r.externalId })),
      );
  }
}
