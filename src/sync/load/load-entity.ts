import type { SqlSession } from '../../db/client.js';
import type { EntityStats, EntityType } from '../../domain/entity.js';
import { STAGING } from '../stage/staging-columns.js';
import { refreshStatistics } from './analyze.js';
import { apiField, CANONICAL } from './canonical-columns.js';
import { recordEnrollmentPeriods } from './enrollment-periods.js';
import { leaveOutExcluded, notExcluded } from './exclusions.js';
import { noteRelinks, takeRelinks, type RelinkCounts } from './relinks.js';
import { listChanges, noteListedChanges, type LoadedChange } from './review-changes.js';
import { deactivatedRecordImages, goneLinkImages, writeLoadImages } from './undo-images.js';

export interface LoadContext {
  runId: string;
  tenantId: string;
  providerId: string;
}

/** What may go: everything a complete snapshot lacks, only tombstones, or nothing (incomplete pull). */
export type DeactivationScope = 'snapshot' | 'tombstones' | 'none';

export interface EntityLoadResult {
  stats: Omit<EntityStats, 'errors'>;
  /** This provider's active records of the entity before the load. */
  activeBefore: number;
  /** This provider's records the load takes away (the threshold's numerator). */
  removing: number;
  /** This provider's records of the entity in grace after the load: active, missing from complete runs. */
  inGrace: number;
  changes: LoadedChange[];
  /** Changes beyond the cap were counted but not listed. */
  changesTruncated: boolean;
  /** Records tied to existing canonical records, per matching rule. */
  relinks: RelinkCounts;
}

/**
 * Loads one entity of a run from staging into the canonical tables with set-based statements:
 * insert what is new, update what changed (by content hash), reactivate what came back, and
 * deactivate what the scope says is gone. Runs inside the caller's transaction and leaves no
 * trace if it rolls back; it may run again on the same staging with the same result.
 */
export async function loadEntity(
  tx: SqlSession,
  ctx: LoadContext,
  entity: EntityType,
  options: {
    scope: DeactivationScope;
    changeCap: number;
    /** Write the change feed's events (an applying load; a preview writes none). */
    recordEvents: boolean;
    /** Consecutive complete snapshots a record may be missing from before it goes (1: the first). */
    graceRuns: number;
    /** The run has records an approval excluded: leave them, and what needs them, as they are. */
    excluding: boolean;
  },
): Promise<EntityLoadResult> {
  const { scope, changeCap, recordEvents, graceRuns, excluding } = options;
  const staging = STAGING[entity].table;
  const spec = CANONICAL[entity];
  const rows = `load_${entity}`;
  const p = [ctx.runId, ctx.tenantId, ctx.providerId];
  const linkOf = (alias: string, target: EntityType, idExpr: string) =>
    `LEFT JOIN sis_external_links ${alias} ON ${alias}.tenant_id = $2 AND ${alias}.provider_id = $3
       AND ${alias}.entity_type = '${target}' AND ${alias}.external_id = ${idExpr} AND ${alias}.active`;
  const matched = entity === 'users' ? 'r.matched_user_id' : 'r.matched_id';
  const columnNames = Object.keys(spec.columns);
  // The column values are worked out (JSON read, references looked up) only for rows that change:
  // on a re-sync most rows are unchanged, and their values are never written.
  const written = `(CASE
              WHEN c.id IS NULL THEN 'created'
              WHEN NOT c.active OR (l.entity_id IS NOT NULL AND NOT l.active) THEN 'reactivated'
              WHEN l.entity_id IS NULL OR l.content_hash <> r.content_hash THEN 'updated'
              ELSE 'unchanged'
            END)`;
  // A record that would be written with other identity columns (an enrollment's class or user)
  // is a move: a new canonical record is created, and the old one goes (see `deactivate`).
  const moved =
    spec.identity === undefined
      ? 'false'
      : `(${written} IN ('updated', 'reactivated') AND (${spec.identity
          .map((column) => `${spec.columns[column]} IS DISTINCT FROM c.${column}`)
          .join(' OR ')}))`;
  const kind =
    spec.identity === undefined ? written : `(CASE WHEN ${moved} THEN 'created' ELSE ${written} END)`;

  const [{ n: activeBefore } = { n: 0 }] = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM sis_external_links
     WHERE tenant_id = $1 AND provider_id = $2 AND entity_type = '${entity}' AND active`,
    [ctx.tenantId, ctx.providerId],
  );

  await tx.query(
    `CREATE TEMP TABLE ${rows} ON COMMIT DROP AS
     SELECT r.external_id, r.content_hash,
            l.entity_id AS link_id,
            r.matched_by,
            CASE WHEN ${moved} THEN sis_uuid_v7() ELSE coalesce(l.entity_id, ${matched}, sis_uuid_v7()) END AS target_id,
            CASE WHEN ${moved} THEN c.id END AS moved_from,
            ${kind} AS kind,
            ${columnNames.map((name) => `CASE WHEN ${kind} <> 'unchanged' THEN ${spec.columns[name]} END AS ${name}`).join(',\n            ')}
     FROM ${staging} r
     LEFT JOIN sis_external_links l ON l.tenant_id = $2 AND l.provider_id = $3
       AND l.entity_type = '${entity}' AND l.external_id = r.external_id
     LEFT JOIN ${spec.table} c ON c.tenant_id = $2 AND c.id = coalesce(l.entity_id, ${matched})
     ${spec.refs.map((ref) => linkOf(ref.alias, ref.target, `r.${ref.column}`)).join('\n     ')}
     WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid`,
    p,
  );
  if (excluding) await leaveOutExcluded(tx, ctx, entity);
  await refreshStatistics(tx, [rows]);
  await noteRelinks(tx, ctx.tenantId, entity);
  // Which fields an update changes can only be seen before it is written.
  await noteListedChanges(tx, ctx, entity, changeCap);
  if (recordEvents) await noteChangedFields(tx, ctx, entity);
  if (recordEvents) await writeLoadImages(tx, ctx, entity);

  // Updates go before inserts: the statistics refreshed above describe the tables as they were,
  // and an update planned on them must not meet thousands of rows inserted a moment ago.
  // A record whose provider record changed in nothing the roster keeps (a new dateLastModified)
  // is left alone: its updated_at moves only when its values do, as the change feed says.
  await tx.query(
    `UPDATE ${spec.table} c
     SET ${columnNames.map((n) => `${n} = t.${n}`).join(', ')}, active = true, deactivated_at = NULL, updated_at = now()
     FROM ${rows} t
     WHERE c.tenant_id = $1 AND c.id = t.target_id AND t.kind IN ('updated', 'reactivated')
       AND (NOT c.active OR (${columnNames.map((n) => `c.${n}`).join(', ')}) IS DISTINCT FROM (${columnNames.map((n) => `t.${n}`).join(', ')}))`,
    [ctx.tenantId],
  );
  await tx.query(
    `INSERT INTO ${spec.table} (tenant_id, id, ${columnNames.join(', ')}, active, created_at, updated_at)
     SELECT $1, target_id, ${columnNames.join(', ')}, true, now(), now() FROM ${rows} WHERE kind = 'created'`,
    [ctx.tenantId],
  );
  await tx.query(
    `UPDATE sis_external_links l
     SET entity_id = t.target_id, content_hash = t.content_hash, active = true, removed_at = NULL, missing_runs = 0,
         last_seen_run_id = $1, updated_at = now()
     FROM ${rows} t
     WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}'
       AND l.external_id = t.external_id AND t.link_id IS NOT NULL AND t.kind <> 'unchanged'`,
    p,
  );
  // An unchanged record that is back from grace: only the few links in grace are touched (their
  // partial index), never every unchanged one.
  await tx.query(
    `UPDATE sis_external_links l SET missing_runs = 0, last_seen_run_id = $1, updated_at = now()
     FROM ${rows} t
     WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}' AND l.active
       AND l.missing_runs > 0 AND l.external_id = t.external_id AND t.kind = 'unchanged'`,
    p,
  );
  await tx.query(
    `INSERT INTO sis_external_links
       (tenant_id, provider_id, entity_type, external_id, entity_id, matched_by, content_hash, active,
        first_seen_run_id, last_seen_run_id)
     SELECT $2, $3, '${entity}', external_id, target_id, coalesce(matched_by, 'created'), content_hash, true, $1, $1
     FROM ${rows} WHERE link_id IS NULL`,
    p,
  );
  // What follows (parents, guardians, deletes, and the next entities' loads) joins the rows just
  // written; the tables not written yet keep the statistics prepare refreshed.
  await refreshStatistics(tx, ['sis_external_links', spec.table]);
  if (spec.selfParent !== undefined) {
    await resolveParents(tx, ctx, entity, spec.selfParent, recordEvents);
  }
  if (entity === 'users') await syncRelationships(tx, ctx);

  const removed = await deactivate(tx, ctx, entity, scope, graceRuns, excluding, recordEvents);
  if (recordEvents) {
    if (entity === 'enrollments') await recordEnrollmentPeriods(tx, ctx);
    await writeChangeEvents(tx, ctx, entity);
  }
  const counts = await tx.query<{ kind: string; n: number }>(
    `SELECT kind, count(*)::int AS n FROM ${rows} GROUP BY kind`,
  );
  const count = (kind: string) => counts.find((c) => c.kind === kind)?.n ?? 0;
  const listed = await listChanges(tx, ctx, entity, changeCap);
  const { changes, relinks } = await takeRelinks(tx, entity, listed.list);
  await tx.query(`DROP TABLE ${rows}`);
  await tx.query(`DROP TABLE gone_${entity}`);
  await tx.query(`DROP TABLE deactivated_${entity}`);
  if (recordEvents) await tx.query(`DROP TABLE changed_${entity}`);
  return {
    stats: {
      created: count('created'),
      updated: count('updated'),
      unchanged: count('unchanged'),
      reactivated: count('reactivated'),
      deactivated: removed.deactivated,
    },
    activeBefore,
    removing: removed.removing,
    inGrace: removed.inGrace,
    changes,
    changesTruncated: listed.truncated,
    relinks,
  };
}

/** Parents within one entity (school -> district, term -> school year) resolve once all rows exist. */
async function resolveParents(
  tx: SqlSession,
  ctx: LoadContext,
  entity: EntityType,
  parent: { column: string; stagingColumn: string },
  recordEvents: boolean,
): Promise<void> {
  const staging = STAGING[entity].table;
  const update = `UPDATE ${CANONICAL[entity].table} c SET ${parent.column} = p.entity_id, updated_at = now()
     FROM load_${entity} t
     JOIN ${staging} r ON r.run_id = $1 AND r.external_id = t.external_id AND r.status = 'active' AND NOT r.invalid
     LEFT JOIN sis_external_links p ON p.tenant_id = $2 AND p.provider_id = $3 AND p.entity_type = '${entity}'
       AND p.external_id = r.${parent.stagingColumn} AND p.active
     WHERE c.tenant_id = $2 AND c.id = t.target_id AND t.kind <> 'unchanged'
       AND c.${parent.column} IS DISTINCT FROM p.entity_id`;
  if (!recordEvents) {
    await tx.query(update, [ctx.runId, ctx.tenantId, ctx.providerId]);
    return;
  }
  // A new parent is a changed field of the record's event (a created record lists none).
  await tx.query(
    `WITH moved AS (${update} RETURNING c.id)
     UPDATE changed_${entity} e SET changed_fields = array_append(e.changed_fields, '${apiField(parent.column)}')
     FROM moved WHERE e.entity_id = moved.id`,
    [ctx.runId, ctx.tenantId, ctx.providerId],
  );
}

/**
 * Before the canonical rows are written: for each record the load updates or reactivates, the
 * fields whose values differ. A link that comes back to a record another provider kept active is
 * no reactivation of the record: its event, if any field changed, is an update.
 */
async function noteChangedFields(tx: SqlSession, ctx: LoadContext, entity: EntityType): Promise<void> {
  const spec = CANONICAL[entity];
  const differs = Object.keys(spec.columns).map(
    (column) => `CASE WHEN c.${column} IS DISTINCT FROM t.${column} THEN '${apiField(column)}' END`,
  );
  await tx.query(
    `CREATE TEMP TABLE changed_${entity} ON COMMIT DROP AS
     SELECT t.target_id AS entity_id,
            CASE WHEN NOT c.active THEN 'reactivated' ELSE 'updated' END AS kind,
            array_remove(ARRAY[CASE WHEN NOT c.active THEN 'active' END, ${differs.join(', ')}], NULL) AS changed_fields
     FROM load_${entity} t JOIN ${spec.table} c ON c.tenant_id = $1 AND c.id = t.target_id
     WHERE t.kind IN ('updated', 'reactivated')`,
    [ctx.tenantId],
  );
}

/**
 * The change feed's events for what this load did to the canonical records: created, updated (at
 * least one field changed), reactivated, deactivated. In the load's transaction, so the feed holds
 * exactly what committed.
 */
async function writeChangeEvents(tx: SqlSession, ctx: LoadContext, entity: EntityType): Promise<void> {
  await tx.query(
    `INSERT INTO sis_change_events (tenant_id, run_id, provider_id, entity, entity_id, kind, changed_fields)
     SELECT $2, $1, $3, '${entity}', entity_id, kind, changed_fields FROM (
       SELECT target_id AS entity_id, 'created' AS kind, '{}'::text[] AS changed_fields
       FROM load_${entity} WHERE kind = 'created'
       UNION ALL
       SELECT entity_id, kind, changed_fields FROM changed_${entity}
       WHERE kind = 'reactivated' OR cardinality(changed_fields) > 0
       UNION ALL
       SELECT id, 'deactivated', '{active}'::text[] FROM deactivated_${entity}
     ) e`,
    [ctx.runId, ctx.tenantId, ctx.providerId],
  );
}

/** Guardian links of the users this load touched: as their records list them now. */
async function syncRelationships(tx: SqlSession, ctx: LoadContext): Promise<void> {
  await tx.query(
    `CREATE TEMP TABLE wanted_relationships ON COMMIT DROP AS
     SELECT DISTINCT ON (t.target_id, a.entity_id) t.target_id AS user_id, a.entity_id AS related_user_id,
            coalesce(g.role, 'guardian') AS relationship
     FROM load_users t
     JOIN sis_raw_users r ON r.run_id = $1 AND r.external_id = t.external_id AND r.status = 'active' AND NOT r.invalid
     CROSS JOIN LATERAL unnest(r.agent_external_ids) AS x(agent)
     JOIN sis_external_links a ON a.tenant_id = $2 AND a.provider_id = $3 AND a.entity_type = 'users'
      AND a.external_id = x.agent AND a.active
     LEFT JOIN users g ON g.tenant_id = $2 AND g.id = a.entity_id
     WHERE t.kind <> 'unchanged' AND a.entity_id <> t.target_id`,
    [ctx.runId, ctx.tenantId, ctx.providerId],
  );
  await tx.query(
    `INSERT INTO user_relationships (tenant_id, user_id, related_user_id, relationship, active)
     SELECT $1, user_id, related_user_id, relationship, true FROM wanted_relationships
     ON CONFLICT (tenant_id, user_id, related_user_id) DO UPDATE
       SET active = true, relationship = excluded.relationship, updated_at = now()
       WHERE NOT user_relationships.active OR user_relationships.relationship <> excluded.relationship`,
    [ctx.tenantId],
  );
  await tx.query(
    `UPDATE user_relationships ur SET active = false, updated_at = now()
     FROM load_users t
     WHERE ur.tenant_id = $1 AND ur.user_id = t.target_id AND t.kind <> 'unchanged' AND ur.active
       AND NOT EXISTS (SELECT 1 FROM wanted_relationships w
                       WHERE w.user_id = ur.user_id AND w.related_user_id = ur.related_user_id)`,
    [ctx.tenantId],
  );
  await tx.query('DROP TABLE wanted_relationships');
}

/**
 * Takes away this provider's links to what the scope says is gone, then deactivates canonical
 * records that no provider stands for any more (a user another provider still has stays active).
 * A record a complete snapshot lacks counts one more missing run and goes only once it has been
 * missing from `graceRuns` consecutive complete runs; until then its link stays active, in grace.
 * A tombstone takes its record away at once.
 */
async function deactivate(
  tx: SqlSession,
  ctx: LoadContext,
  entity: EntityType,
  scope: DeactivationScope,
  graceRuns: number,
  excluding: boolean,
  writeImages: boolean,
): Promise<{ removing: number; deactivated: number; inGrace: number }> {
  const staging = STAGING[entity].table;
  const table = CANONICAL[entity].table;
  await tx.query(`CREATE TEMP TABLE gone_${entity} (entity_id uuid, external_id text) ON COMMIT DROP`);
  await tx.query(`CREATE TEMP TABLE deactivated_${entity} (id uuid, external_id text) ON COMMIT DROP`);
  /**
   * Deactivates the active records `candidates` names (id, external_id) that no provider links any
   * more, with their before-images; they are listed in deactivated_<entity>.
   */
  const deactivateUnlinked = (candidates: string) =>
    tx.query(
      `WITH d AS (
         UPDATE ${table} c SET active = false, deactivated_at = now(), updated_at = now()
         FROM (${candidates}) x
         WHERE c.tenant_id = $1 AND c.id = x.id AND c.active
           AND NOT EXISTS (SELECT 1 FROM sis_external_links o WHERE o.tenant_id = $1 AND o.entity_type = '${entity}'
                           AND o.entity_id = c.id AND o.active)
         RETURNING c.id, x.external_id
       )${writeImages ? deactivatedRecordImages(entity, 'd') : ''}
       INSERT INTO deactivated_${entity} SELECT id, external_id FROM d`,
      [ctx.tenantId, ctx.runId],
    );
  if (scope !== 'none') {
    // What is missing, as one set: ids the snapshot lacks (an anti-join) and ids tombstoned (a
    // join; a tombstone in a snapshot is also lacking, hence the bool_or). Kept apart from the
    // UPDATE so that neither test becomes a subquery run once per link.
    const lacking =
      scope === 'snapshot'
        ? `SELECT l.external_id, false AS tombstoned FROM sis_external_links l
           WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}' AND l.active
             AND NOT EXISTS (SELECT 1 FROM ${staging} s WHERE s.run_id = $1 AND s.external_id = l.external_id
                             AND s.status = 'active')
           UNION ALL `
        : '';
    const goes = `(x.tombstoned OR l.missing_runs + 1 >= $4)`;
    // A record entering grace was last seen by the provider's last applied run before this one.
    const lastApplied = `(SELECT r.id FROM sis_sync_runs r
       WHERE r.provider_id = $3 AND r.id <> $1 AND r.status IN ('SUCCESS', 'PARTIAL') AND NOT r.dry_run
       ORDER BY r.finished_at DESC NULLS LAST, r.created_at DESC LIMIT 1)`;
    await tx.query(
      `WITH g AS (
         UPDATE sis_external_links l
         SET missing_runs = l.missing_runs + 1, active = NOT ${goes},
             removed_at = CASE WHEN ${goes} THEN now() END,
             last_seen_run_id = CASE WHEN l.missing_runs = 0 AND NOT ${goes}
                                     THEN coalesce(${lastApplied}, l.last_seen_run_id)
                                     ELSE l.last_seen_run_id END,
             updated_at = now()
         FROM (SELECT external_id, bool_or(tombstoned) AS tombstoned FROM (
                 ${lacking}SELECT s.external_id, true AS tombstoned FROM ${staging} s WHERE s.run_id = $1 AND s.status = 'tobedeleted'
               ) m GROUP BY external_id) x
         WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}' AND l.active
           AND l.external_id = x.external_id ${excluding ? `AND ${notExcluded(entity, 'l.external_id')}` : ''}
         RETURNING l.entity_id, l.external_id, l.active
       )${writeImages ? goneLinkImages(entity, 'g') : ''}
       INSERT INTO gone_${entity} SELECT entity_id, external_id FROM g WHERE NOT active`,
      [ctx.runId, ctx.tenantId, ctx.providerId, graceRuns],
    );
    await deactivateUnlinked(`SELECT entity_id AS id, external_id FROM gone_${entity}`);
  }
  if (CANONICAL[entity].identity !== undefined) {
    // The record a moved one was before: its link now points at the new record, so it goes unless
    // another provider stands for it. Not a removal of this provider's records (the threshold).
    await deactivateUnlinked(
      `SELECT moved_from AS id, external_id FROM load_${entity} WHERE moved_from IS NOT NULL`,
    );
  }
  const [counts] = await tx.query<{ removing: number; deactivated: number; in_grace: number }>(
    `SELECT (SELECT count(*)::int FROM gone_${entity}) AS removing,
            (SELECT count(*)::int FROM deactivated_${entity}) AS deactivated,
            (SELECT count(*)::int FROM sis_external_links
             WHERE tenant_id = $1 AND provider_id = $2 AND entity_type = '${entity}' AND active AND missing_runs > 0)
              AS in_grace`,
    [ctx.tenantId, ctx.providerId],
  );
  return {
    removing: counts?.removing ?? 0,
    deactivated: counts?.deactivated ?? 0,
    inGrace: counts?.in_grace ?? 0,
  };
}
