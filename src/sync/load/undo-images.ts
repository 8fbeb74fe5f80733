import type { SqlSession } from '../../db/client.js';
import type { EntityType } from '../../domain/entity.js';
import type { LoadContext } from './load-entity.js';
import { CANONICAL } from './canonical-columns.js';

/*
 * Before-images for undo (decision 0008): what an applying load overwrites, kept beside the run
 * until its staging is pruned. Written set-based from the load's temp tables before the rows
 * change; records the run creates and links it creates need none (the change feed and
 * `first_seen_run_id` name them). A load writes images only for rows it really changes, so a
 * first sync writes none and a day-to-day re-sync a few.
 */

/**
 * Images of the canonical records and links the load is about to update or reactivate (and of
 * the links of unchanged records back from grace, whose missing count it resets). Called
 * after `load_<entity>` exists and before its UPDATEs. A record the UPDATE leaves as it is (a new
 * content hash with the same values) gets no image; for entities with a parent in the same table
 * every updated row does, since the parent may move after the UPDATE.
 */
export async function writeLoadImages(tx: SqlSession, ctx: LoadContext, entity: EntityType): Promise<void> {
  const spec = CANONICAL[entity];
  const columns = Object.keys(spec.columns);
  const changes =
    spec.selfParent === undefined
      ? `AND (NOT c.active OR (${columns.map((n) => `c.${n}`).join(', ')}) IS DISTINCT FROM (${columns.map((n) => `t.${n}`).join(', ')}))`
      : '';
  await tx.query(
    `INSERT INTO sis_run_record_images (tenant_id, run_id, entity, entity_id, before)
     SELECT $2, $1, '${entity}', c.id, to_jsonb(c)
     FROM load_${entity} t JOIN ${spec.table} c ON c.tenant_id = $2 AND c.id = t.target_id
     WHERE t.kind IN ('updated', 'reactivated') ${changes}
     ON CONFLICT DO NOTHING`,
    [ctx.runId, ctx.tenantId],
  );
  await tx.query(
    `INSERT INTO sis_run_link_images (tenant_id, run_id, provider_id, entity_type, external_id, before)
     SELECT $2, $1, $3, '${entity}', l.external_id, to_jsonb(l)
     FROM load_${entity} t JOIN sis_external_links l ON l.tenant_id = $2 AND l.provider_id = $3
       AND l.entity_type = '${entity}' AND l.external_id = t.external_id
     WHERE t.link_id IS NOT NULL AND (t.kind <> 'unchanged' OR (l.active AND l.missing_runs > 0))
     ON CONFLICT DO NOTHING`,
    [ctx.runId, ctx.tenantId, ctx.providerId],
  );
}

/**
 * A CTE to append to the statement whose CTE `cte` takes links away (RETURNING `external_id`;
 * parameters $1 run, $2 tenant, $3 provider): it images those links as they were. Every part of
 * one statement reads the same snapshot, so the join sees the rows before the UPDATE.
 */
export function goneLinkImages(entity: EntityType, cte: string): string {
  return `, ${cte}_images AS (
       INSERT INTO sis_run_link_images (tenant_id, run_id, provider_id, entity_type, external_id, before)
       SELECT $2, $1, $3, '${entity}', o.external_id, to_jsonb(o)
       FROM ${cte} JOIN sis_external_links o ON o.tenant_id = $2 AND o.provider_id = $3
         AND o.entity_type = '${entity}' AND o.external_id = ${cte}.external_id
       ON CONFLICT DO NOTHING
     )`;
}

/**
 * A CTE to append to the statement whose CTE `cte` deactivates canonical records (RETURNING `id`;
 * parameters $1 tenant, $2 run): it images those records as they were, from the same snapshot.
 */
export function deactivatedRecordImages(entity: EntityType, cte: string): string {
  return `, ${cte}_images AS (
       INSERT INTO sis_run_record_images (tenant_id, run_id, entity, entity_id, before)
       SELECT $1, $2, '${entity}', o.id, to_jsonb(o)
       FROM ${cte} JOIN ${CANONICAL[entity].table} o ON o.tenant_id = $1 AND o.id = ${cte}.id
       ON CONFLICT DO NOTHING
     )`;
}
