import type { SqlSession } from '../../db/client.js';
import { ENTITY_TYPES, type EntityType, type MatchRule } from '../../domain/entity.js';
import { CANONICAL } from './canonical-columns.js';
import type { LoadedChange } from './review-changes.js';

/** Per matching rule, how many records of one entity a load ties to existing canonical records. */
export type RelinkCounts = Partial<Record<MatchRule, number>>;

/**
 * Before the canonical rows are written: the records this load ties to a canonical record that
 * existed already (matched by a rule, no link of this provider yet), and whether the tie changes
 * any of its values. A tie that changes nothing is a `linked` change in a review.
 */
export async function noteRelinks(tx: SqlSession, tenantId: string, entity: EntityType): Promise<void> {
  const spec = CANONICAL[entity];
  const columns = Object.keys(spec.columns);
  await tx.query(
    `CREATE TEMP TABLE relinked_${entity} ON COMMIT DROP AS
     SELECT t.target_id, t.matched_by,
            NOT c.active OR (${columns.map((n) => `c.${n}`).join(', ')}) IS DISTINCT FROM (${columns.map((n) => `t.${n}`).join(', ')}) AS changes
     FROM load_${entity} t JOIN ${spec.table} c ON c.tenant_id = $1 AND c.id = t.target_id
     WHERE t.link_id IS NULL AND t.matched_by IS NOT NULL`,
    [tenantId],
  );
}

/**
 * The listed changes with the rule that tied each re-linked record (and `linked` for a tie that
 * changes nothing), and the counts per rule; drops what noteRelinks kept.
 */
export async function takeRelinks(
  tx: SqlSession,
  entity: EntityType,
  changes: LoadedChange[],
): Promise<{ changes: LoadedChange[]; relinks: RelinkCounts }> {
  const counts = await tx.query<{ matched_by: MatchRule; n: number }>(
    `SELECT matched_by, count(*)::int AS n FROM relinked_${entity} GROUP BY matched_by`,
  );
  const relinks: RelinkCounts = {};
  for (const c of counts) relinks[c.matched_by] = c.n;
  const listed = changes
    .filter((c) => c.kind === 'updated' || c.kind === 'reactivated')
    .map((c) => c.entityId);
  const rows =
    counts.length === 0 || listed.length === 0
      ? []
      : await tx.query<{ target_id: string; matched_by: MatchRule; changes: boolean }>(
          `SELECT target_id, matched_by, changes FROM relinked_${entity} WHERE target_id = ANY($1::uuid[])`,
          [listed],
        );
  await tx.query(`DROP TABLE relinked_${entity}`);
  const byId = new Map(rows.map((r) => [r.target_id, r]));
  return {
    relinks,
    changes: changes.map((c) => {
      const tie = c.kind === 'updated' || c.kind === 'reactivated' ? byId.get(c.entityId) : undefined;
      if (tie === undefined) return c;
      return { ...c, kind: tie.changes ? c.kind : 'linked', matchedBy: tie.matched_by };
    }),
  };
}

/** Why a provider's first run into a roster other providers feed is held, and what it proposes. */
export interface RelinkReview {
  message: string;
  entities: { entity: EntityType; matched: RelinkCounts; created: number }[];
}

export function relinkReview(
  relinks: Partial<Record<EntityType, RelinkCounts>>,
  stats: Partial<Record<EntityType, { created: number }>>,
): RelinkReview {
  const entities = ENTITY_TYPES.filter((e) => relinks[e] !== undefined || stats[e] !== undefined).map(
    (entity) => ({ entity, matched: relinks[entity] ?? {}, created: stats[entity]?.created ?? 0 }),
  );
  const matched = entities.reduce((n, e) => n + Object.values(e.matched).reduce((a, b) => a + b, 0), 0);
  const created = entities.reduce((n, e) => n + e.created, 0);
  return {
    message:
      `first run of this provider in a roster that other providers already feed: ${matched} record(s) ` +
      `would be linked to existing records by the matching rules and ${created} created; review the ` +
      'proposed re-links before approving',
    entities,
  };
}
