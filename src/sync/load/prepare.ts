import type { SqlSession } from '../../db/client.js';
import { ENTITY_SINGULAR, ENTITY_TYPES, type EntityType } from '../../domain/entity.js';
import { STAGING } from '../stage/staging-columns.js';
import { refreshStatistics } from './analyze.js';
import { CANONICAL } from './canonical-columns.js';
import { REFERENCES, type Reference } from './references.js';
import { matchAcrossProviders } from './match-records.js';
import { flagSharedUsers } from './shared-users.js';

/*
 * Runs once per run, after staging and before any load: decides which staged records are
 * valid, records why the others are not, and matches new users to existing ones. Load can then
 * be repeated (a preview, then the approved apply) and will do the same thing each time.
 */

export interface PrepareContext {
  runId: string;
  tenantId: string;
  providerId: string;
  /** Entities pulled as a complete snapshot: only what they hold exists. */
  completeSnapshots: ReadonlySet<EntityType>;
  /** Entities in this pull (snapshot or delta); absent ones are not prepared. */
  present: ReadonlySet<EntityType>;
  /** Entities whose pull was incomplete: they take nothing away, not even their tombstones. */
  incomplete: ReadonlySet<EntityType>;
}

const ERROR_COLUMNS =
  'run_id, tenant_id, entity, external_id, source_file, source_line, source_page, field, code, message, severity';

export async function prepareRun(session: SqlSession, ctx: PrepareContext): Promise<void> {
  const present = ENTITY_TYPES.filter((e) => ctx.present.has(e));
  if (present.length === 0) return;
  await refreshStatistics(session, [
    // Not the JSON columns: no plan reads their statistics, and sampling them means detoasting.
    ...present.map(
      (e) =>
        `${STAGING[e].table} (run_id, external_id, status, invalid${STAGING[e].columns.map((c) => `, ${c.column}`).join('')})`,
    ),
    'sis_external_links',
    ...present.map((e) => CANONICAL[e].table),
  ]);
  // In entity order: users are settled (matched, shared users refused) before the enrollments
  // that refer to them are checked.
  for (const entity of present) {
    await flagDuplicates(session, ctx, entity);
    for (const reference of REFERENCES[entity]) await checkReference(session, ctx, entity, reference);
    await matchAcrossProviders(session, ctx, entity);
    if (entity === 'users') {
      await matchUsers(session, ctx);
      await flagSharedUsers(session, ctx);
    }
  }
}

const params = (ctx: PrepareContext) => [ctx.runId, ctx.tenantId, ctx.providerId];

/** An id twice in one pull: which one is right is unknowable, so none is applied (all count as present). */
async function flagDuplicates(session: SqlSession, ctx: PrepareContext, entity: EntityType): Promise<void> {
  const table = STAGING[entity].table;
  await session.query(
    `WITH twice AS (
       SELECT external_id FROM ${table} WHERE run_id = $1 AND status = 'active'
       GROUP BY external_id HAVING count(*) > 1
     ), dup AS (
       -- Places are listed for the duplicates only (an ordered aggregate per id costs).
       SELECT external_id, count(*) AS n,
              string_agg(coalesce(source_file || ' line ' || source_line, source_page, '?'), ', '
                         ORDER BY source_line NULLS LAST) AS places
       FROM ${table} JOIN twice USING (external_id) WHERE run_id = $1 AND status = 'active'
       GROUP BY external_id
     ), errors AS (
       INSERT INTO sis_sync_run_errors (${ERROR_COLUMNS})
       SELECT $1, $2, '${entity}', r.external_id, r.source_file, r.source_line, r.source_page, 'externalId',
              'duplicate_id',
              format('%s %s appears %s times in this pull (%s); none of them is applied', '${ENTITY_SINGULAR[entity]}',
                     r.external_id, d.n, d.places),
              'error'
       FROM ${table} r JOIN dup d USING (external_id)
       WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid
       RETURNING 1
     )
     UPDATE ${table} r SET invalid = true FROM dup d
     WHERE r.run_id = $1 AND r.external_id = d.external_id AND r.status = 'active'`,
    [ctx.runId, ctx.tenantId],
  );
}

/**
 * A reference resolves when the target is in this pull and valid, or already known (an active
 * link) and not going away: not tombstoned (unless its entity is incomplete, and so takes nothing
 * away), and either its entity is not a complete snapshot here or it is present in it (an invalid
 * row still counts as present). The ids are put in a table right before each check (an earlier
 * check may have made rows of the target invalid), so that the check is one anti-join.
 */
async function createResolvable(session: SqlSession, ctx: PrepareContext, target: EntityType): Promise<void> {
  const table = STAGING[target].table;
  const notTombstoned = (idExpr: string) =>
    ctx.incomplete.has(target)
      ? ''
      : `AND NOT EXISTS (SELECT 1 FROM ${table} d WHERE d.run_id = $1 AND d.external_id = ${idExpr}
                         AND d.status = 'tobedeleted')`;
  // In a complete snapshot, what is known must also be present: every id is a staged one, so the
  // links are only asked about the invalid rows.
  const ids = ctx.completeSnapshots.has(target)
    ? `SELECT DISTINCT t.external_id FROM ${table} t
       WHERE t.run_id = $1 AND t.status = 'active'
         AND (NOT t.invalid
              OR (EXISTS (SELECT 1 FROM sis_external_links l WHERE l.tenant_id = $2 AND l.provider_id = $3
                          AND l.entity_type = '${target}' AND l.external_id = t.external_id AND l.active)
                  ${notTombstoned('t.external_id')}))`
    : `SELECT t.external_id FROM ${table} t WHERE t.run_id = $1 AND t.status = 'active' AND NOT t.invalid
       UNION
       SELECT l.external_id FROM sis_external_links l
       WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${target}' AND l.active
         ${notTombstoned('l.external_id')}`;
  await session.query(`CREATE TEMP TABLE resolvable ON COMMIT DROP AS ${ids}`, params(ctx));
  await refreshStatistics(session, ['resolvable']);
}

async function checkReference(
  session: SqlSession,
  ctx: PrepareContext,
  entity: EntityType,
  reference: Reference,
): Promise<void> {
  const table = STAGING[entity].table;
  const target = ENTITY_SINGULAR[reference.target];
  await createResolvable(session, ctx, reference.target);
  // Scalar: the one id. List: every id that does not resolve, and whether any did.
  const dangling = reference.list
    ? `SELECT r.external_id, r.source_file, r.source_line, r.source_page,
              array_agg(x.id ORDER BY x.n) FILTER (WHERE v.external_id IS NULL) AS missing,
              count(*) AS total
       FROM ${table} r CROSS JOIN LATERAL unnest(r.${reference.column}) WITH ORDINALITY AS x(id, n)
       LEFT JOIN resolvable v ON v.external_id = x.id
       WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid
       GROUP BY r.external_id, r.source_file, r.source_line, r.source_page`
    : `SELECT r.external_id, r.source_file, r.source_line, r.source_page,
              ARRAY[r.${reference.column}] AS missing, 1::bigint AS total
       FROM ${table} r
       WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid AND r.${reference.column} IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM resolvable v WHERE v.external_id = r.${reference.column})`;
  // A required list is broken only when nothing in it resolves; otherwise the unknown ids are dropped.
  const fatal = reference.required ? 'cardinality(d.missing) = d.total' : 'false';
  await session.query(
    `CREATE TEMP TABLE dangling ON COMMIT DROP AS
       SELECT * FROM (${dangling}) d WHERE cardinality(d.missing) > 0`,
    [ctx.runId],
  );
  await session.query(
    `INSERT INTO sis_sync_run_errors (${ERROR_COLUMNS})
     SELECT $1, $2, '${entity}', d.external_id, d.source_file, d.source_line, d.source_page, '${reference.field}',
            'dangling_reference',
            format('%s %s refers to %s, which %s not in this pull and not known from earlier syncs (%s); %s',
                   '${ENTITY_SINGULAR[entity]}', d.external_id,
                   CASE WHEN cardinality(d.missing) = 1 THEN '${target} ' ELSE '${target}s ' END
                     || array_to_string(d.missing, ', '),
                   CASE WHEN cardinality(d.missing) = 1 THEN 'is' ELSE 'are' END,
                   '${reference.field}',
                   CASE WHEN ${fatal} THEN 'the ${ENTITY_SINGULAR[entity]} is not applied' ELSE 'the reference is dropped' END),
            CASE WHEN ${fatal} THEN 'error' ELSE 'warning' END
     FROM dangling d`,
    [ctx.runId, ctx.tenantId],
  );
  if (reference.required) {
    await session.query(
      `UPDATE ${table} r SET invalid = true FROM dangling d
       WHERE r.run_id = $1 AND r.external_id = d.external_id AND r.status = 'active' AND cardinality(d.missing) = d.total`,
      [ctx.runId],
    );
  }
  await session.query('DROP TABLE dangling');
  await session.query('DROP TABLE resolvable');
}

/**
 * Design rule order for users with no link from this provider: (1) the link itself, handled by
 * load; then another provider's sourced id (match-records.ts, already recorded); (2) email, trimmed and case-folded; (3) student number, for students. Two candidates
 * for a rule, a candidate another record of this provider still stands for, or two records of
 * this pull wanting one candidate: an ambiguity, reported, never a silent merge.
 *
 * Users are matched as this pull leaves them, so that a re-run of the same data matches the same
 * way: a user that exactly one valid record of this pull is linked to (active link or not: load
 * writes through either) is matched on that record's email, student number and role. Any other
 * user (no record of it in this pull, or two, which flagSharedUsers refuses) on its stored values.
 */
async function matchUsers(session: SqlSession, ctx: PrepareContext): Promise<void> {
  // Most re-syncs bring no record without a link: then there is nothing to match.
  const [unlinked] = await session.query<{ any: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM sis_raw_users r
       WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid AND r.matched_user_id IS NULL
         AND NOT EXISTS (SELECT 1 FROM sis_external_links l WHERE l.tenant_id = $2 AND l.provider_id = $3
                         AND l.entity_type = 'users' AND l.external_id = r.external_id)) AS any`,
    params(ctx),
  );
  if (unlinked?.any !== true) return;
  // A record of this provider keeps standing for its user unless this run takes it away: a
  // tombstone, or its absence from a complete snapshot. A delta that does not resend it leaves it,
  // and an incomplete pull takes nothing away, not even what it tombstones.
  const resent = `EXISTS (SELECT 1 FROM sis_raw_users s WHERE s.run_id = $1 AND s.external_id = l.external_id
                          AND s.status = 'active')`;
  const stillLinked = ctx.completeSnapshots.has('users')
    ? resent
    : ctx.incomplete.has('users')
      ? 'true'
      : `NOT EXISTS (SELECT 1 FROM sis_raw_users s WHERE s.run_id = $1 AND s.external_id = l.external_id
                     AND s.status = 'tobedeleted')`;
  // The users a valid record of this pull stands for, with that record's values.
  await session.query(
    `CREATE TEMP TABLE user_pulled ON COMMIT DROP AS
     SELECT l.entity_id AS id, min(s.email) AS email, min(s.identifier) AS identifier, min(s.role) AS role
     FROM sis_raw_users s
     JOIN sis_external_links l ON l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = 'users'
       AND l.external_id = s.external_id
     WHERE s.run_id = $1 AND s.status = 'active' AND NOT s.invalid
     GROUP BY l.entity_id
     HAVING count(*) = 1`,
    params(ctx),
  );
  // Every user of the tenant once: stored values, or this pull's for the users above.
  const pool = `(SELECT c.id, c.email, c.identifier, c.role FROM users c
                 WHERE c.tenant_id = $2 AND NOT EXISTS (SELECT 1 FROM user_pulled p WHERE p.id = c.id)
                 UNION ALL
                 SELECT p.id, p.email, p.identifier, p.role FROM user_pulled p)`;
  await session.query(
    `CREATE TEMP TABLE user_match ON COMMIT DROP AS
     WITH unlinked AS (
       SELECT r.external_id, r.email, r.identifier, r.role, r.source_file, r.source_line, r.source_page
       FROM sis_raw_users r
       WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid AND r.matched_user_id IS NULL
         AND NOT EXISTS (SELECT 1 FROM sis_external_links l WHERE l.tenant_id = $2 AND l.provider_id = $3
                         AND l.entity_type = 'users' AND l.external_id = r.external_id)
     ), by_email AS (
       SELECT u.external_id, array_agg(c.id ORDER BY c.id) AS ids
       FROM unlinked u JOIN ${pool} c ON lower(btrim(c.email)) = lower(btrim(u.email))
       WHERE btrim(coalesce(u.email, '')) <> ''
       GROUP BY u.external_id
     ), by_number AS (
       SELECT u.external_id, array_agg(c.id ORDER BY c.id) AS ids
       FROM unlinked u JOIN ${pool} c ON c.role = 'student' AND c.identifier = u.identifier
       WHERE u.role = 'student' AND btrim(coalesce(u.identifier, '')) <> ''
         AND NOT EXISTS (SELECT 1 FROM by_email e WHERE e.external_id = u.external_id)
       GROUP BY u.external_id
     )
     SELECT u.*, coalesce(e.ids, n.ids) AS candidates,
            CASE WHEN e.ids IS NOT NULL THEN 'email' ELSE 'student_number' END AS rule
     FROM unlinked u
     LEFT JOIN by_email e USING (external_id)
     LEFT JOIN by_number n USING (external_id)
     WHERE coalesce(e.ids, n.ids) IS NOT NULL`,
    params(ctx),
  );
  // Two records wanting one user: only records with that one candidate count. A record with several
  // is ambiguous on its own, and which of its candidates sorts first is down to random uuids.
  await session.query(
    `CREATE TEMP TABLE user_match_verdict ON COMMIT DROP AS
     SELECT m.*,
       CASE
         WHEN cardinality(m.candidates) > 1 THEN
           format('user %s: %s %s matches %s existing users; it is not applied until the duplicates are resolved',
                  m.external_id, CASE WHEN m.rule = 'email' THEN 'email' ELSE 'student number' END,
                  CASE WHEN m.rule = 'email' THEN m.email ELSE m.identifier END, cardinality(m.candidates))
         WHEN other.external_id IS NOT NULL THEN
           format('user %s: %s %s matches a user that record %s of this provider already stands for; not merged',
                  m.external_id, CASE WHEN m.rule = 'email' THEN 'email' ELSE 'student number' END,
                  CASE WHEN m.rule = 'email' THEN m.email ELSE m.identifier END, other.external_id)
         WHEN count(*) FILTER (WHERE cardinality(m.candidates) = 1) OVER (PARTITION BY m.candidates[1]) > 1 THEN
           format('user %s: %s %s matches the same existing user as %s other record(s) of this pull; not merged',
                  m.external_id, CASE WHEN m.rule = 'email' THEN 'email' ELSE 'student number' END,
                  CASE WHEN m.rule = 'email' THEN m.email ELSE m.identifier END,
                  count(*) FILTER (WHERE cardinality(m.candidates) = 1) OVER (PARTITION BY m.candidates[1]) - 1)
       END AS problem
     FROM user_match m
     LEFT JOIN LATERAL (
       SELECT l.external_id FROM sis_external_links l
       WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = 'users' AND l.active
         AND l.entity_id = m.candidates[1] AND cardinality(m.candidates) = 1
         AND ${stillLinked}
       ORDER BY l.external_id
       LIMIT 1
     ) other ON true`,
    params(ctx),
  );
  await session.query(
    `INSERT INTO sis_sync_run_errors (${ERROR_COLUMNS})
     SELECT $1, $2, 'users', v.external_id, v.source_file, v.source_line, v.source_page,
            CASE WHEN v.rule = 'email' THEN 'email' ELSE 'identifier' END, 'ambiguous_match', v.problem, 'error'
     FROM user_match_verdict v WHERE v.problem IS NOT NULL`,
    [ctx.runId, ctx.tenantId],
  );
  await session.query(
    `UPDATE sis_raw_users r
     SET invalid = v.problem IS NOT NULL,
         matched_user_id = CASE WHEN v.problem IS NULL THEN v.candidates[1] END,
         matched_by = CASE WHEN v.problem IS NULL THEN v.rule END
     FROM user_match_verdict v
     WHERE r.run_id = $1 AND r.external_id = v.external_id AND r.status = 'active' AND NOT r.invalid`,
    [ctx.runId],
  );
  await session.query('DROP TABLE user_match_verdict');
  await session.query('DROP TABLE user_match');
  await session.query('DROP TABLE user_pulled');
}
