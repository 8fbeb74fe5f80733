import type { SqlSession } from '../../db/client.js';

/**
 * Two valid records of one pull that would write the same user (a record that came back to the
 * user another record of this provider has been matched to since, or a new record matched by email
 * or student number to a user whose own record is back in this pull): a merge the design forbids.
 * Every record linked to a shared user, and every record matched to a user some present record is
 * linked to, is an `ambiguous_match` error and is not applied; all still count as present.
 */
export async function flagSharedUsers(
  session: SqlSession,
  ctx: { runId: string; tenantId: string; providerId: string },
): Promise<void> {
  await session.query(
    `CREATE TEMP TABLE shared_users ON COMMIT DROP AS
     WITH target AS (
       SELECT r.external_id, r.source_file, r.source_line, r.source_page, l.entity_id IS NOT NULL AS linked,
              coalesce(l.entity_id, r.matched_user_id) AS user_id
       FROM sis_raw_users r
       LEFT JOIN sis_external_links l ON l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = 'users'
         AND l.external_id = r.external_id
       WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid
     ), per_user AS (
       SELECT user_id, count(*) FILTER (WHERE linked) AS linked_records,
              string_agg(external_id, ', ' ORDER BY external_id) AS records
       FROM target WHERE user_id IS NOT NULL GROUP BY user_id
     )
     SELECT t.*, p.records FROM target t JOIN per_user p USING (user_id)
     WHERE (t.linked AND p.linked_records > 1) OR (NOT t.linked AND p.linked_records > 0)`,
    [ctx.runId, ctx.tenantId, ctx.providerId],
  );
  await session.query(
    `INSERT INTO sis_sync_run_errors
       (run_id, tenant_id, entity, external_id, source_file, source_line, source_page, field, code, message, severity)
     SELECT $1, $2, 'users', s.external_id, s.source_file, s.source_line, s.source_page, 'externalId', 'ambiguous_match',
            format('user %s: records %s of this pull would all be one user; none of them is applied until they are told apart',
                   s.external_id, s.records),
            'error'
     FROM shared_users s`,
    [ctx.runId, ctx.tenantId],
  );
  await session.query(
    `UPDATE sis_raw_users r SET invalid = true, matched_user_id = NULL, matched_by = NULL
     FROM shared_users s
     WHERE r.run_id = $1 AND r.external_id = s.external_id AND r.status = 'active'`,
    [ctx.runId],
  );
  await session.query('DROP TABLE shared_users');
}
