import type { SqlSession } from '../../db/client.js';
import { ENTITY_SINGULAR, type EntityType } from '../../domain/entity.js';
import { STAGING } from '../stage/staging-columns.js';
import type { LoadContext } from './load-entity.js';
import { REFERENCES } from './references.js';

/*
 * An approval may exclude listed changes (sis_sync_run_exclusions): the approved load leaves
 * those records as they are. An excluded created record does not exist afterwards, so a record
 * that needs it (an enrollment of an excluded new class, a class of an excluded new course, and in
 * turn that class's enrollments) cannot be applied either: it is left as it is too, with a warning.
 */

/** SQL: the record of `entity` with external id `idExpr` is not excluded from this run ($1). */
export const notExcluded = (entity: EntityType, idExpr: string) =>
  `NOT EXISTS (SELECT 1 FROM sis_sync_run_exclusions e WHERE e.run_id = $1 AND e.entity = '${entity}'
               AND e.external_id = ${idExpr})`;

/**
 * Takes the excluded records out of the load's rows (`load_<entity>`), then every changing record
 * with a required reference that no longer resolves: prepare checked that each resolves in the pull
 * or the roster, so one that does not now points at a record this approval does not apply.
 */
export async function leaveOutExcluded(tx: SqlSession, ctx: LoadContext, entity: EntityType): Promise<void> {
  const p = [ctx.runId, ctx.tenantId, ctx.providerId];
  await tx.query(
    `DELETE FROM load_${entity} t USING sis_sync_run_exclusions e
     WHERE e.run_id = $1 AND e.entity = '${entity}' AND e.external_id = t.external_id`,
    [ctx.runId],
  );
  const staging = STAGING[entity].table;
  for (const ref of REFERENCES[entity].filter((r) => r.required && r.target !== entity)) {
    const ids = ref.list ? `r.${ref.column}` : `ARRAY[r.${ref.column}]`;
    await tx.query(
      `WITH blocked AS (
         SELECT t.external_id, r.source_file, r.source_line, r.source_page, m.id AS target_id
         FROM load_${entity} t
         JOIN ${staging} r ON r.run_id = $1 AND r.external_id = t.external_id AND r.status = 'active' AND NOT r.invalid
         CROSS JOIN LATERAL (
           SELECT x.id FROM unnest(${ids}) AS x(id)
           WHERE x.id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM sis_external_links l WHERE l.tenant_id = $2 AND l.provider_id = $3
                             AND l.entity_type = '${ref.target}' AND l.external_id = x.id AND l.active)
           ORDER BY x.id LIMIT 1
         ) m
         WHERE t.kind <> 'unchanged'
       ), warned AS (
         INSERT INTO sis_sync_run_errors
           (run_id, tenant_id, entity, external_id, source_file, source_line, source_page, field, code, message, severity)
         SELECT $1, $2, '${entity}', b.external_id, b.source_file, b.source_line, b.source_page, '${ref.field}',
                'excluded_reference',
                format('%s %s is not applied: it refers to %s %s, which %s', '${ENTITY_SINGULAR[entity]}',
                       b.external_id, '${ENTITY_SINGULAR[ref.target]}', b.target_id,
                       CASE WHEN ${notExcluded(ref.target, 'b.target_id')}
                            THEN 'this approval does not apply either (it needs an excluded record)'
                            ELSE 'was excluded from this approval' END),
                'warning'
         FROM blocked b
         RETURNING external_id
       )
       DELETE FROM load_${entity} t USING warned w WHERE t.external_id = w.external_id`,
      p,
    );
  }
}
