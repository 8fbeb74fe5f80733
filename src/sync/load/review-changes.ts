import type { SqlSession } from '../../db/client.js';
import type { ReviewChangeKind } from '../../db/schema/index.js';
import type { EntityType } from '../../domain/entity.js';
import { apiField, CANONICAL } from './canonical-columns.js';
import type { LoadContext } from './load-entity.js';

/*
 * The changes a run lists for review (sis_sync_run_changes), each with the API fields it changes,
 * old and new. Only the listed changes are looked at, the first `cap` + 1 of each kind by external
 * id: a held run of a million records costs no more to list than one of ten thousand.
 *
 * Old values are taken before the load writes (`noteListedChanges`), new ones once it has written
 * everything, parents included (`listChanges`). Both are the canonical row as jsonb, so values are
 * what the roster API shows: references as ids, dates as YYYY-MM-DD, arrays as arrays.
 */

export type FieldChanges = Record<string, { old: unknown; new: unknown }>;

export interface LoadedChange {
  entity: EntityType;
  kind: ReviewChangeKind;
  entityId: string;
  externalId: string;
  label: string | null;
  /** The fields that differ: for a created record, the values it gets (old null). */
  fields: FieldChanges;
  /** A record tied to a canonical record that already existed: the rule that tied it. */
  matchedBy: string | null;
}

/** The kinds read off the load's rows before the writes; deactivations are known only after. */
const WRITTEN_KINDS = ['created', 'updated', 'reactivated'] as const;

/** The canonical row's API fields as one jsonb object over the row `c`. */
function apiRow(entity: EntityType): string {
  const spec = CANONICAL[entity];
  const columns = [
    ...Object.keys(spec.columns),
    ...(spec.selfParent === undefined ? [] : [spec.selfParent.column]),
  ];
  return `jsonb_build_object('active', c.active, ${columns.map((column) => `'${apiField(column)}', to_jsonb(c.${column})`).join(', ')})`;
}

/**
 * Before the load writes: which created, updated and reactivated records will be listed, and the
 * API fields of their canonical rows as they are now (none for a created record).
 */
export async function noteListedChanges(
  tx: SqlSession,
  ctx: LoadContext,
  entity: EntityType,
  cap: number,
): Promise<void> {
  const spec = CANONICAL[entity];
  const firstOf = (kind: string) =>
    `(SELECT kind, target_id, external_id, matched_by, link_id FROM load_${entity}
      WHERE kind = '${kind}' ORDER BY external_id LIMIT $2 + 1)`;
  await tx.query(
    `CREATE TEMP TABLE review_${entity} ON COMMIT DROP AS
     SELECT x.kind, x.target_id AS entity_id, x.external_id,
            CASE WHEN x.link_id IS NULL THEN x.matched_by END AS matched_by,
            row_number() OVER (PARTITION BY x.kind ORDER BY x.external_id)::int AS n,
            CASE WHEN c.id IS NOT NULL THEN ${apiRow(entity)} END AS old
     FROM (${WRITTEN_KINDS.map(firstOf).join(' UNION ALL ')}) x
     LEFT JOIN ${spec.table} c ON c.tenant_id = $1 AND c.id = x.target_id`,
    [ctx.tenantId, cap],
  );
}

/**
 * Once the load has written: the listed changes of the entity, deactivations included, with a
 * label and the fields each changes. `truncated`: some kind had more than `cap` changes.
 */
export async function listChanges(
  tx: SqlSession,
  ctx: LoadContext,
  entity: EntityType,
  cap: number,
): Promise<{ list: LoadedChange[]; truncated: boolean }> {
  const spec = CANONICAL[entity];
  const rows = await tx.query<{
    kind: ReviewChangeKind;
    entity_id: string;
    external_id: string;
    matched_by: string | null;
    n: number;
    old: Record<string, unknown> | null;
    now: Record<string, unknown> | null;
    label: string | null;
  }>(
    `WITH listed AS (
       SELECT kind, entity_id, external_id, matched_by, n, old FROM review_${entity}
       UNION ALL
       SELECT 'deactivated', id, external_id, NULL, (row_number() OVER (ORDER BY external_id))::int, NULL
       FROM (SELECT id, external_id FROM deactivated_${entity} ORDER BY external_id LIMIT $2 + 1) d
     )
     SELECT x.kind, x.entity_id, x.external_id, x.matched_by, x.n, x.old,
            CASE WHEN c.id IS NOT NULL THEN ${apiRow(entity)} END AS now, ${spec.label} AS label
     FROM listed x LEFT JOIN ${spec.table} c ON c.tenant_id = $1 AND c.id = x.entity_id
     ORDER BY x.kind, x.n`,
    [ctx.tenantId, cap],
  );
  await tx.query(`DROP TABLE review_${entity}`);
  return {
    list: rows
      .filter((r) => r.n <= cap)
      .map((r) => ({
        entity,
        kind: r.kind,
        entityId: r.entity_id,
        externalId: r.external_id,
        label: r.label,
        fields: fieldChanges(r.kind, r.old, r.now ?? {}),
        matchedBy: r.matched_by,
      })),
    truncated: rows.some((r) => r.n > cap),
  };
}

/** What differs between the row before and after; a created record lists the values it has. */
export function fieldChanges(
  kind: ReviewChangeKind,
  old: Record<string, unknown> | null,
  now: Record<string, unknown>,
): FieldChanges {
  if (kind === 'deactivated') return { active: { old: true, new: false } };
  const fields: FieldChanges = {};
  for (const [field, value] of Object.entries(now)) {
    if (old === null) {
      if (field !== 'active' && !isEmpty(value)) fields[field] = { old: null, new: value };
    } else if (JSON.stringify(old[field] ?? null) !== JSON.stringify(value)) {
      fields[field] = { old: old[field] ?? null, new: value };
    }
  }
  return fields;
}

const isEmpty = (value: unknown) => value === null || (Array.isArray(value) && value.length === 0);
