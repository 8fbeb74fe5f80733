import type { SqlSession } from '../../db/client.js';
import type { EntityStats, EntityType } from '../../domain/entity.js';
import type { ChangeKind } from '../../db/schema/index.js';
import { STAGING } from '../stage/staging-columns.js';
import { refreshStatistics } from './analyze.js';
import { CANONICAL } from './canonical-columns.js';
import { deactivatedRecordImages, goneLinkImages, writeLoadImages } from './undo-images.js';

export interface LoadContext {
  runId: string;
  tenantId: string;
  providerId: string;
}

/** What may go: everything a complete snapshot lacks, only tombstones, or nothing (incomplete pull). */
export type DeactivationScope = 'snapshot' | 'tombstones' | 'none';

export interface LoadedChange {
  entity: EntityType;
  kind: ChangeKind;
  entityId: string;
  externalId: string;
  label: string | null;
}

export interface EntityLoadResult {
  stats: Omit<EntityStats, 'errors'>;
  /** This provider's active records of the entity before the load. */
  activeBefore: number;
  /** This provider's records the load takes away (the threshold's numerator). */
  removing: number;
  changes: LoadedChange[];
  /** Changes beyond the cap were counted but not listed. */
  changesTruncated: boolean;
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
  },
): Promise<EntityLoadResult> {
  const { scope, changeCap, recordEvents } = options;
  const staging = STAGING[entity].table;
  const spec = CANONICAL[entity];
  const rows = `load_${entity}`;
  const p = [ctx.runId, ctx.tenantId, ctx.providerId];
  const linkOf = (alias: string, target: EntityType, idExpr: string) =>
    `LEFT JOIN sis_external_links ${alias} ON ${alias}.tenant_id = $2 AND ${alias}.provider_id = $3
       AND ${alias}.entity_type = '${target}' AND ${alias}.external_id = ${idExpr} AND ${alias}.active`;
  const matched = entity === 'users' ? 'r.matched_user_id' : 'NULL::uuid';
  const columnNames = Object.keys(spec.columns);
  // The column values are worked out (JSON read, references looked up) only for rows that change:
  // on a re-sync most rows are unchanged, and their values are never written.
  const kind = `(CASE
              WHEN c.id IS NULL THEN 'created'
              WHEN NOT c.active OR (l.entity_id IS NOT NULL AND NOT l.active) THEN 'reactivated'
              WHEN l.entity_id IS NULL OR l.content_hash <> r.content_hash THEN 'updated'
              ELSE 'unchanged'
            END)`;

  const [{ n: activeBefore } = { n: 0 }] = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM sis_external_links
     WHERE tenant_id = $1 AND provider_id = $2 AND entity_type = '${entity}' AND active`,
    [ctx.tenantId, ctx.providerId],
  );

  await tx.query(
    `CREATE TEMP TABLE ${rows} ON COMMIT DROP AS
     SELECT r.external_id, r.content_hash,
            l.entity_id AS link_id,
            ${entity === 'users' ? 'r.matched_by' : 'NULL::text'} AS matched_by,
            coalesce(l.entity_id, ${matched}, sis_uuid_v7()) AS target_id,
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
  await refreshStatistics(tx, [rows]);
  // Which fields an update changes can only be seen before it is written.
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
     SET content_hash = t.content_hash, active = true, removed_at = NULL, missing_runs = 0,
         last_seen_run_id = $1, updated_at = now()
     FROM ${rows} t
     WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}'
       AND l.external_id = t.external_id AND t.link_id IS NOT NULL AND t.kind <> 'unchanged'`,
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

  const removed = await deactivate(tx, ctx, entity, scope, recordEvents);
  if (recordEvents) await writeChangeEvents(tx, ctx, entity);
  const counts = await tx.query<{ kind: string; n: number }>(
    `SELECT kind, count(*)::int AS n FROM ${rows} GROUP BY kind`,
  );
  const count = (kind: string) => counts.find((c) => c.kind === kind)?.n ?? 0;
  const changes = await listChanges(tx, ctx, entity, changeCap);
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
    changes: changes.list,
    changesTruncated: changes.truncated,
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

/** The API's name of a canonical column: the Drizzle property, camelCase of the SQL name. */
export function apiField(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
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
 */
async function deactivate(
  tx: SqlSession,
  ctx: LoadContext,
  entity: EntityType,
  scope: DeactivationScope,
  writeImages: boolean,
): Promise<{ removing: number; deactivated: number }> {
  const staging = STAGING[entity].table;
  const table = CANONICAL[entity].table;
  await tx.query(`CREATE TEMP TABLE gone_${entity} (entity_id uuid, external_id text) ON COMMIT DROP`);
  await tx.query(`CREATE TEMP TABLE deactivated_${entity} (id uuid, external_id text) ON COMMIT DROP`);
  if (scope === 'none') return { removing: 0, deactivated: 0 };
  // What goes, as one set: ids the snapshot lacks (an anti-join) and ids tombstoned (a join). Kept
  // apart from the UPDATE so that neither test becomes a subquery run once per link.
  const lacking =
    scope === 'snapshot'
      ? `SELECT l.external_id FROM sis_external_links l
         WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}' AND l.active
           AND NOT EXISTS (SELECT 1 FROM ${staging} s WHERE s.run_id = $1 AND s.external_id = l.external_id
                           AND s.status = 'active')
         UNION `
      : '';
  await tx.query(
    `WITH g AS (
       UPDATE sis_external_links l
       SET active = false, removed_at = now(), missing_runs = l.missing_runs + 1, updated_at = now()
       FROM (${lacking}SELECT s.external_id FROM ${staging} s WHERE s.run_id = $1 AND s.status = 'tobedeleted') x
       WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}' AND l.active
         AND l.external_id = x.external_id
       RETURNING l.entity_id, l.external_id
     )${writeImages ? goneLinkImages(entity, 'g') : ''}
     INSERT INTO gone_${entity} SELECT entity_id, external_id FROM g`,
    [ctx.runId, ctx.tenantId, ctx.providerId],
  );
  await tx.query(
    `WITH d AS (
       UPDATE ${table} c SET active = false, deactivated_at = now(), updated_at = now()
       FROM gone_${entity} g
       WHERE c.tenant_id = $1 AND c.id = g.entity_id AND c.active
         AND NOT EXISTS (SELECT 1 FROM sis_external_links o WHERE o.tenant_id = $1 AND o.entity_type = '${entity}'
                         AND o.entity_id = c.id AND o.active)
       RETURNING c.id, g.external_id
     )${writeImages ? deactivatedRecordImages(entity, 'd') : ''}
     INSERT INTO deactivated_${entity} SELECT id, external_id FROM d`,
    [ctx.tenantId, ctx.runId],
  );
  const [counts] = await tx.query<{ removing: number; deactivated: number }>(
    `SELECT (SELECT count(*)::int FROM gone_${entity}) AS removing,
            (SELECT count(*)::int FROM deactivated_${entity}) AS deactivated`,
  );
  return counts ?? { removing: 0, deactivated: 0 };
}

async function listChanges(
  tx: SqlSession,
  ctx: LoadContext,
  entity: EntityType,
  cap: number,
): Promise<{ list: LoadedChange[]; truncated: boolean }> {
  const spec = CANONICAL[entity];
  // The first cap + 1 of each kind by external id: a bounded top-N per kind, never a sort of all.
  const firstOf = (kind: ChangeKind, from: string, id: string, where: string) =>
    `(SELECT '${kind}'::text AS kind, ${id} AS entity_id, external_id FROM ${from}
      ${where} ORDER BY external_id LIMIT $2 + 1)`;
  const rows = await tx.query<{
    kind: ChangeKind;
    entity_id: string;
    external_id: string;
    n: number;
    label: string | null;
  }>(
    `WITH firsts AS (
       ${(['created', 'updated', 'reactivated'] as const)
         .map((kind) => firstOf(kind, `load_${entity}`, 'target_id', `WHERE kind = '${kind}'`))
         .join('\n       UNION ALL ')}
       UNION ALL ${firstOf('deactivated', `deactivated_${entity}`, 'id', '')}
     ), numbered AS (
       SELECT *, row_number() OVER (PARTITION BY kind ORDER BY external_id) AS n FROM firsts
     )
     SELECT x.kind, x.entity_id, x.external_id, x.n::int AS n, ${spec.label} AS label
     FROM numbered x LEFT JOIN ${spec.table} c ON c.tenant_id = $1 AND c.id = x.entity_id
     ORDER BY x.kind, x.n`,
    [ctx.tenantId, cap],
  );
  const truncated = rows.some((r) => r.n > cap);
  return {
    list: rows
      .filter((r) => r.n <= cap)
      .map((r) => ({
        entity,
        kind: r.kind,
        entityId: r.entity_id,
        externalId: r.external_id,
        label: r.label,
      })),
    truncated,
  };
}
