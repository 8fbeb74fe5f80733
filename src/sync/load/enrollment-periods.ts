import type { SqlSession } from '../../db/client.js';
import type { LoadContext } from './load-entity.js';

/**
 * Keeps `enrollment_periods` in step with what an applying enrollments load did, from its temp
 * tables, one statement per kind: a period opens for each enrollment created or reactivated, the
 * open one closes for each deactivated, and an active enrollment whose SIS dates changed moves its
 * open period's dates with them. Every opening and closing names the run, so the run can be undone
 * (docs/decisions/0009-enrollment-moves-and-periods.md).
 *
 * Runs after the canonical rows are written and the deactivations are done, before the temp
 * tables `load_enrollments`, `changed_enrollments` and `deactivated_enrollments` are dropped.
 */
export async function recordEnrollmentPeriods(tx: SqlSession, ctx: LoadContext): Promise<void> {
  const p = [ctx.runId, ctx.tenantId];
  await tx.query(
    `UPDATE enrollment_periods e SET closed_at = now(), closed_by_run_id = $1
     FROM deactivated_enrollments d
     WHERE e.tenant_id = $2 AND e.enrollment_id = d.id AND e.closed_at IS NULL`,
    p,
  );
  await tx.query(
    `INSERT INTO enrollment_periods (tenant_id, enrollment_id, begin_date, end_date, opened_at, opened_by_run_id)
     SELECT $2, c.id, c.begin_date, c.end_date, now(), $1
     FROM (SELECT target_id AS id FROM load_enrollments WHERE kind = 'created'
           UNION ALL
           SELECT entity_id FROM changed_enrollments WHERE kind = 'reactivated') n
     JOIN enrollments c ON c.tenant_id = $2 AND c.id = n.id`,
    p,
  );
  await tx.query(
    `UPDATE enrollment_periods e SET begin_date = c.begin_date, end_date = c.end_date
     FROM changed_enrollments x
     JOIN enrollments c ON c.tenant_id = $1 AND c.id = x.entity_id
     WHERE x.kind = 'updated' AND x.changed_fields && ARRAY['beginDate', 'endDate']
       AND e.tenant_id = $1 AND e.enrollment_id = x.entity_id AND e.closed_at IS NULL`,
    [ctx.tenantId],
  );
}
