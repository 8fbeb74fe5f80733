import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';

import type { SqlSession } from '../../db/client.js';
import {
  classes,
  courses,
  schools,
  sisExternalLinks,
  terms,
  users,
  enrollments,
} from '../../db/schema/index.js';
import { ENTITY_TYPES, type EntityStats, type EntityType } from '../../domain/entity.js';
import { apiField, CANONICAL } from './canonical-columns.js';

/*
 * Undo of an applied run (decision 0008), in the caller's transaction: the records the run changed
 * (its change events) go back to their before-images, the records it created go inactive, the
 * links it changed go back to theirs and the links it created go inactive (kept, so a later sync
 * of the same data reactivates the same ids), and the enrollment periods it opened or closed are
 * taken back. What a later run changed again is left alone and reported.
 */

export interface RevertContext {
  /** The undo run: it owns the change events and the run changes written here. */
  runId: string;
  tenantId: string;
  providerId: string;
  /** The applied run being undone. */
  targetRunId: string;
  targetCreatedAt: Date;
}

/** A record the run changed that a later run changed again: left as it is. */
export interface LeftAlone {
  entity: EntityType;
  entityId: string;
  externalId: string | null;
  reason: 'changed_later' | 'no_before_image';
  laterRunIds: string[];
}

export interface RevertOutcome {
  stats: Partial<Record<EntityType, Omit<EntityStats, 'errors'>>>;
  leftAlone: LeftAlone[];
}

const TABLES: Record<EntityType, PgTable> = { schools, terms, courses, classes, users, enrollments };
/** Identity and bookkeeping columns an image never overwrites. */
const KEPT = new Set(['tenant_id', 'id', 'created_at', 'updated_at']);
const LINK_KEY = new Set([
  'tenant_id',
  'provider_id',
  'entity_type',
  'external_id',
  'created_at',
  'updated_at',
]);

const columnsOf = (table: PgTable, kept: Set<string>) =>
  getTableConfig(table)
    .columns.map((c) => c.name)
    .filter((name) => !kept.has(name));

export async function revertRun(
  tx: SqlSession,
  ctx: RevertContext,
  changeCap: number,
): Promise<RevertOutcome> {
  // $1 tenant, $2 target run, $3 provider, $4 undo run, $5 when the target run was created.
  const p = [ctx.tenantId, ctx.targetRunId, ctx.providerId, ctx.runId, ctx.targetCreatedAt.toISOString()];
  await tx.query(
    `CREATE TEMP TABLE undo_targets ON COMMIT DROP AS
     SELECT entity, entity_id, kind, seq FROM sis_change_events WHERE tenant_id = $1 AND run_id = $2`,
    p,
  );
  // Changed again later: a later event on the record, or a later run of the provider that
  // overwrote its link (a new content hash with no new value writes no event, but restoring the
  // record under that link would leave the next sync believing it current).
  await tx.query(
    `CREATE TEMP TABLE undo_later ON COMMIT DROP AS
     SELECT entity, entity_id, array_agg(DISTINCT run_id::text ORDER BY run_id::text) AS runs FROM (
       SELECT e.entity, e.entity_id, e.run_id FROM sis_change_events e
       WHERE e.tenant_id = $1 AND e.run_id <> $2 AND e.seq > (SELECT coalesce(min(seq), 0) FROM undo_targets)
       UNION ALL
       SELECT x.entity_type, l.entity_id, x.run_id FROM sis_run_link_images x
       JOIN sis_external_links l ON l.tenant_id = x.tenant_id AND l.provider_id = x.provider_id
         AND l.entity_type = x.entity_type AND l.external_id = x.external_id
       WHERE x.tenant_id = $1 AND x.run_id IN (
         SELECT id FROM sis_sync_runs WHERE provider_id = $3 AND id <> $2 AND created_at > $5::timestamptz)
     ) x GROUP BY entity, entity_id`,
    p,
  );
  const leftAlone = await findLeftAlone(tx, p);
  await revertLinks(tx, p);
  const stats: RevertOutcome['stats'] = {};
  for (const entity of ENTITY_TYPES) {
    await restoreRecords(tx, entity, p);
    await deactivateCreated(tx, entity, p);
    const counts = await tx.query<{ kind: string; n: number }>(
      `SELECT kind, count(*)::int AS n FROM sis_change_events
       WHERE tenant_id = $1 AND run_id = $2 AND entity = '${entity}' GROUP BY kind`,
      [ctx.tenantId, ctx.runId],
    );
    const count = (kind: string) => counts.find((c) => c.kind === kind)?.n ?? 0;
    const entityStats = {
      created: 0,
      updated: count('updated'),
      deactivated: count('deactivated'),
      reactivated: count('reactivated'),
      unchanged: leftAlone.filter((l) => l.entity === entity).length,
    };
    if (Object.values(entityStats).some((n) => n > 0)) stats[entity] = entityStats;
    await listUndoChanges(tx, entity, p, changeCap);
  }
  await revertEnrollmentPeriods(tx, p);
  await tx.query('DROP TABLE undo_targets');
  await tx.query('DROP TABLE undo_later');
  return { stats, leftAlone };
}

/** Records with a later change, and records whose before-image is missing: reported, not touched. */
async function findLeftAlone(tx: SqlSession, p: unknown[]): Promise<LeftAlone[]> {
  const rows = await tx.query<{
    entity: EntityType;
    entity_id: string;
    external_id: string | null;
    runs: string[] | null;
  }>(
    `SELECT t.entity, t.entity_id::text AS entity_id, l.runs,
            (SELECT x.external_id FROM sis_external_links x WHERE x.tenant_id = $1 AND x.provider_id = $3
               AND x.entity_type = t.entity AND x.entity_id = t.entity_id ORDER BY x.active DESC LIMIT 1) AS external_id
     FROM undo_targets t
     LEFT JOIN undo_later l ON l.entity = t.entity AND l.entity_id = t.entity_id
     WHERE l.entity_id IS NOT NULL
        OR (t.kind <> 'created' AND NOT EXISTS (
              SELECT 1 FROM sis_run_record_images i WHERE i.tenant_id = $1 AND i.run_id = $2
                AND i.entity = t.entity AND i.entity_id = t.entity_id))
     ORDER BY t.seq`,
    p,
  );
  return rows.map((r) => ({
    entity: r.entity,
    entityId: r.entity_id,
    externalId: r.external_id,
    reason: r.runs === null ? 'no_before_image' : 'changed_later',
    laterRunIds: r.runs ?? [],
  }));
}

/** Whether `id` (of entity `entity`) is left alone: SQL over the temp table of later changes. */
const changedLater = (entity: string, id: string) =>
  `EXISTS (SELECT 1 FROM undo_later z WHERE z.entity = ${entity} AND z.entity_id = ${id})`;

/** Links back to their images; links the run created go inactive. Those of records left alone stay. */
async function revertLinks(tx: SqlSession, p: unknown[]): Promise<void> {
  const columns = columnsOf(sisExternalLinks, LINK_KEY);
  await tx.query(
    `UPDATE sis_external_links l SET ${columns.map((c) => `${c} = b.${c}`).join(', ')}, updated_at = now()
     FROM sis_run_link_images i CROSS JOIN LATERAL jsonb_populate_record(NULL::sis_external_links, i.before) b
     WHERE i.tenant_id = $1 AND i.run_id = $2
       AND l.tenant_id = $1 AND l.provider_id = i.provider_id AND l.entity_type = i.entity_type
       AND l.external_id = i.external_id
       AND NOT ${changedLater('l.entity_type', 'l.entity_id')} AND NOT ${changedLater('l.entity_type', 'b.entity_id')}`,
    p,
  );
  await tx.query(
    `UPDATE sis_external_links l SET active = false, removed_at = now(), updated_at = now()
     WHERE l.tenant_id = $1 AND l.provider_id = $3 AND l.first_seen_run_id = $2 AND l.active
       AND NOT ${changedLater('l.entity_type', 'l.entity_id')}`,
    p,
  );
}

/**
 * Records the run updated, reactivated or deactivated go back to their images, each with the
 * change event a reader needs to follow: the kind as it sees it and the fields that moved.
 */
async function restoreRecords(tx: SqlSession, entity: EntityType, p: unknown[]): Promise<void> {
  const table = CANONICAL[entity].table;
  const columns = columnsOf(TABLES[entity], KEPT);
  const fields = columns.filter((c) => c !== 'deactivated_at');
  const sources = `undo_targets t
     JOIN sis_run_record_images i ON i.tenant_id = $1 AND i.run_id = $2 AND i.entity = t.entity AND i.entity_id = t.entity_id
     CROSS JOIN LATERAL jsonb_populate_record(NULL::${table}, i.before) b`;
  const where = `t.entity = '${entity}' AND t.kind <> 'created' AND NOT ${changedLater('t.entity', 't.entity_id')}
       AND c.tenant_id = $1 AND c.id = t.entity_id`;
  const differs = fields.map((c) => `CASE WHEN c.${c} IS DISTINCT FROM b.${c} THEN '${apiField(c)}' END`);
  await tx.query(
    `INSERT INTO sis_change_events (tenant_id, run_id, provider_id, entity, entity_id, kind, changed_fields)
     SELECT $1, $4, $3, '${entity}', entity_id, kind, changed_fields FROM (
       SELECT c.id AS entity_id,
              CASE WHEN c.active AND NOT b.active THEN 'deactivated'
                   WHEN b.active AND NOT c.active THEN 'reactivated' ELSE 'updated' END AS kind,
              array_remove(ARRAY[${differs.join(', ')}], NULL) AS changed_fields, t.seq
       FROM ${sources}, ${table} c WHERE ${where}
     ) e WHERE cardinality(changed_fields) > 0 ORDER BY seq`,
    p,
  );
  await tx.query(
    `UPDATE ${table} c SET ${columns.map((col) => `${col} = b.${col}`).join(', ')}, updated_at = now()
     FROM ${sources} WHERE ${where}
       AND (${columns.map((col) => `c.${col}`).join(', ')}) IS DISTINCT FROM (${columns.map((col) => `b.${col}`).join(', ')})`,
    p,
  );
}

/** Records the run created go inactive, unless some provider still links them. */
async function deactivateCreated(tx: SqlSession, entity: EntityType, p: unknown[]): Promise<void> {
  const table = CANONICAL[entity].table;
  await tx.query(
    `WITH d AS (
       UPDATE ${table} c SET active = false, deactivated_at = now(), updated_at = now()
       FROM undo_targets t
       WHERE t.entity = '${entity}' AND t.kind = 'created' AND NOT ${changedLater('t.entity', 't.entity_id')}
         AND c.tenant_id = $1 AND c.id = t.entity_id AND c.active
         AND NOT EXISTS (SELECT 1 FROM sis_external_links o WHERE o.tenant_id = $1 AND o.entity_type = '${entity}'
                         AND o.entity_id = c.id AND o.active)
       RETURNING c.id, t.seq
     )
     INSERT INTO sis_change_events (tenant_id, run_id, provider_id, entity, entity_id, kind, changed_fields)
     SELECT $1, $4, $3, '${entity}', id, 'deactivated', '{active}'::text[] FROM d ORDER BY seq`,
    p,
  );
}

/** The undo run's reviewable list: the first `cap` changes of each kind, labelled like a sync's. */
async function listUndoChanges(tx: SqlSession, entity: EntityType, p: unknown[], cap: number): Promise<void> {
  const spec = CANONICAL[entity];
  await tx.query(
    `INSERT INTO sis_sync_run_changes (run_id, tenant_id, entity, kind, entity_id, external_id, label)
     SELECT $4, $1, '${entity}', kind, entity_id, external_id, label FROM (
       SELECT e.kind, e.entity_id, coalesce(l.external_id, e.entity_id::text) AS external_id, ${spec.label} AS label,
              row_number() OVER (PARTITION BY e.kind ORDER BY e.seq) AS n
       FROM sis_change_events e
       LEFT JOIN ${spec.table} c ON c.tenant_id = $1 AND c.id = e.entity_id
       LEFT JOIN LATERAL (SELECT x.external_id FROM sis_external_links x WHERE x.tenant_id = $1 AND x.provider_id = $3
                            AND x.entity_type = '${entity}' AND x.entity_id = e.entity_id LIMIT 1) l ON true
       WHERE e.tenant_id = $1 AND e.run_id = $4 AND e.entity = '${entity}'
     ) x WHERE n <= $6`,
    [...p, cap],
  );
}

/** Periods the run opened go; periods it closed open again (for enrollments not left alone). */
async function revertEnrollmentPeriods(tx: SqlSession, p: unknown[]): Promise<void> {
  const untouched = `NOT ${changedLater(`'enrollments'`, 'ep.enrollment_id')}`;
  await tx.query(
    `DELETE FROM enrollment_periods ep WHERE ep.tenant_id = $1 AND ep.opened_by_run_id = $2 AND ${untouched}`,
    p,
  );
  await tx.query(
    `UPDATE enrollment_periods ep SET closed_at = NULL, closed_by_run_id = NULL
     WHERE ep.tenant_id = $1 AND ep.closed_by_run_id = $2 AND ${untouched}`,
    p,
  );
}
