import type { SqlSession } from '../../db/client.js';
import { ENTITY_SINGULAR, type EntityType } from '../../domain/entity.js';
import { STAGING } from '../stage/staging-columns.js';
import { refreshStatistics } from './analyze.js';

/*
 * Matching across providers (decision 0010): a staged record that this provider has no link for
 * yet is tied to a canonical record the tenant already has, so that a district moving from one hub
 * to another keeps its ids. Candidates are the tenant's records of the entity (active or not) that
 * this provider links to none of its records. Rules, in order; the first rule that finds any
 * candidate decides:
 *
 *   sourced_id   another provider's link of the entity with the same external id (for users also
 *                Clever's `sis_id`, kept in `userIds`, on either side)
 *   identifier   schools: the identifier (NCES or state number)
 *   natural_key  terms: title, start and end (and type, unless either side says only `term`, as
 *                Clever does); courses: course code and school (a district-wide course has none);
 *                classes: class code, school and course; enrollments: class, user and role, with
 *                references resolved as this run will load them
 *
 * A rule with several candidates matches nothing, and two records of the pull wanting one
 * candidate get none of it: both are created new, with a warning. Users then go on to email and
 * student number (prepare.ts), which treat ambiguity as an error.
 */

interface MatchContext {
  runId: string;
  tenantId: string;
  providerId: string;
}

/** Columns of `cross_unlinked` beyond the record's id and place, and how each is read from `r`. */
interface EntityMatching {
  keys: Record<string, string>;
  joins: string[];
  /** Candidate rules after `sourced_id`, each a SELECT of (external_id, id) from `u` and `c`. */
  rules: { rule: 'identifier' | 'natural_key'; field: string; describe: string; join: string }[];
}

/** The canonical id a reference of this pull will load as: this provider's link, or the match of its record. */
const resolved = (alias: string, target: EntityType, column: string) => ({
  join: `LEFT JOIN sis_external_links ${alias}_l ON ${alias}_l.tenant_id = $2 AND ${alias}_l.provider_id = $3
       AND ${alias}_l.entity_type = '${target}' AND ${alias}_l.external_id = r.${column} AND ${alias}_l.active
     LEFT JOIN ${STAGING[target].table} ${alias}_s ON ${alias}_s.run_id = $1 AND ${alias}_s.external_id = r.${column}
       AND ${alias}_s.status = 'active' AND NOT ${alias}_s.invalid`,
  value: `coalesce(${alias}_l.entity_id, ${alias}_s.${target === 'users' ? 'matched_user_id' : 'matched_id'})`,
});

const text = (field: string) => `nullif(btrim(r.data->>'${field}'), '')`;
const school = resolved('school', 'schools', 'school_external_id');
const course = resolved('course', 'courses', 'course_external_id');
const klass = resolved('class', 'classes', 'class_external_id');
const person = resolved('person', 'users', 'user_external_id');

const MATCHING: Record<EntityType, EntityMatching> = {
  schools: {
    keys: { identifier: text('identifier') },
    joins: [],
    rules: [
      {
        rule: 'identifier',
        field: 'identifier',
        describe: `format('identifier %s', u.identifier)`,
        join: `JOIN schools c ON c.tenant_id = $2 AND btrim(c.identifier) = u.identifier`,
      },
    ],
  },
  terms: {
    keys: {
      title: text('title'),
      term_type: text('termType'),
      start_date: `(r.data->>'startDate')::date`,
      end_date: `(r.data->>'endDate')::date`,
    },
    joins: [],
    rules: [
      {
        rule: 'natural_key',
        field: 'title',
        describe: `format('title %s and dates %s to %s', u.title, coalesce(u.start_date::text, '?'), coalesce(u.end_date::text, '?'))`,
        join: `JOIN terms c ON c.tenant_id = $2 AND c.title = u.title
                 AND c.start_date IS NOT DISTINCT FROM u.start_date AND c.end_date IS NOT DISTINCT FROM u.end_date
                 AND (c.term_type IS NOT DISTINCT FROM u.term_type OR 'term' IN (c.term_type, u.term_type))`,
      },
    ],
  },
  courses: {
    keys: { course_code: text('courseCode'), school_id: school.value },
    joins: [school.join],
    rules: [
      {
        rule: 'natural_key',
        field: 'courseCode',
        describe: `format('course code %s', u.course_code)`,
        join: `JOIN courses c ON c.tenant_id = $2 AND c.course_code = u.course_code
                 AND (c.school_id = u.school_id OR c.school_id IS NULL OR u.school_id IS NULL)`,
      },
    ],
  },
  classes: {
    keys: { class_code: text('classCode'), school_id: school.value, course_id: course.value },
    joins: [school.join, course.join],
    rules: [
      {
        rule: 'natural_key',
        field: 'classCode',
        describe: `format('class code %s in the same school and course', u.class_code)`,
        join: `JOIN classes c ON c.tenant_id = $2 AND c.class_code = u.class_code
                 AND c.school_id = u.school_id AND c.course_id = u.course_id`,
      },
    ],
  },
  users: {
    keys: {
      sis_ids: `ARRAY(SELECT x->>'identifier' FROM jsonb_array_elements(coalesce(r.data->'userIds', '[]'::jsonb)) x
                      WHERE x->>'type' = 'sis_id')`,
    },
    joins: [],
    rules: [],
  },
  enrollments: {
    keys: { class_id: klass.value, user_id: person.value, role: `r.data->>'role'` },
    joins: [klass.join, person.join],
    rules: [
      {
        rule: 'natural_key',
        field: 'classExternalId',
        describe: `'the same class, user and role'`,
        join: `JOIN enrollments c ON c.tenant_id = $2 AND c.class_id = u.class_id AND c.user_id = u.user_id
                 AND c.role = u.role`,
      },
    ],
  },
};

/** Records the matches of one entity on its staging rows (`matched_id`, or users' `matched_user_id`). */
export async function matchAcrossProviders(
  session: SqlSession,
  ctx: MatchContext,
  entity: EntityType,
): Promise<void> {
  const params = [ctx.runId, ctx.tenantId, ctx.providerId];
  const staging = STAGING[entity].table;
  const ownLink = (idExpr: string, by: 'external_id' | 'entity_id') =>
    `EXISTS (SELECT 1 FROM sis_external_links o WHERE o.tenant_id = $2 AND o.provider_id = $3
             AND o.entity_type = '${entity}' AND o.${by} = ${idExpr})`;
  // A first sync into a tenant no other provider ever fed, and a re-sync of known records, have
  // nothing to match: both questions are answered from indexes.
  const [worth] = await session.query<{ worth: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM sis_providers p WHERE p.tenant_id = $2 AND p.id <> $3
                    AND EXISTS (SELECT 1 FROM sis_external_links l WHERE l.tenant_id = $2 AND l.provider_id = p.id
                                AND l.entity_type = '${entity}'))
        AND EXISTS (SELECT 1 FROM ${staging} r WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid
                    AND NOT ${ownLink('r.external_id', 'external_id')}) AS worth`,
    params,
  );
  if (worth?.worth !== true) return;

  const spec = MATCHING[entity];
  await session.query(
    `CREATE TEMP TABLE cross_unlinked ON COMMIT DROP AS
     SELECT r.external_id, r.source_file, r.source_line, r.source_page,
            ${Object.entries(spec.keys)
              .map(([name, expr]) => `${expr} AS ${name}`)
              .join(', ')}
     FROM ${staging} r
     ${spec.joins.join('\n     ')}
     WHERE r.run_id = $1 AND r.status = 'active' AND NOT r.invalid
       AND NOT ${ownLink('r.external_id', 'external_id')}`,
    params,
  );
  await refreshStatistics(session, ['cross_unlinked']);

  const sourcedId = [
    `SELECT u.external_id, l.entity_id AS id FROM cross_unlinked u
     JOIN sis_external_links l ON l.tenant_id = $2 AND l.entity_type = '${entity}' AND l.provider_id <> $3
       AND l.external_id = u.external_id`,
    ...(entity === 'users'
      ? [
          `SELECT u.external_id, l.entity_id FROM cross_unlinked u CROSS JOIN LATERAL unnest(u.sis_ids) k(id)
           JOIN sis_external_links l ON l.tenant_id = $2 AND l.entity_type = 'users' AND l.provider_id <> $3
             AND l.external_id = k.id`,
          `SELECT u.external_id, c.id FROM users c
           CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(c.user_ids) WHEN 'array' THEN c.user_ids
                                                   ELSE '[]'::jsonb END) x
           JOIN cross_unlinked u ON u.external_id = x->>'identifier'
           WHERE c.tenant_id = $2 AND x->>'type' = 'sis_id'`,
        ]
      : []),
  ];
  const rules = [
    {
      rule: 'sourced_id',
      rank: 1,
      field: 'externalId',
      describe: `format('sourced id %s', u.external_id)`,
      select: sourcedId.join('\n     UNION\n     '),
    },
    ...spec.rules.map((r, i) => ({
      rule: r.rule,
      rank: i + 2,
      field: r.field,
      describe: r.describe,
      select: `SELECT u.external_id, c.id FROM cross_unlinked u ${r.join}`,
    })),
  ];
  await session.query(
    `CREATE TEMP TABLE cross_match ON COMMIT DROP AS
     WITH hits AS (
       ${rules
         .map(
           (r) => `SELECT h.external_id, ${r.rank} AS rank, h.id FROM (${r.select}) h
       WHERE NOT EXISTS (SELECT 1 FROM sis_external_links o WHERE o.tenant_id = $2 AND o.provider_id = $3
                         AND o.entity_type = '${entity}' AND o.entity_id = h.id)`,
         )
         .join('\n       UNION ALL\n       ')}
     ), decided AS (
       SELECT h.external_id, min(h.rank) AS rank FROM hits h GROUP BY h.external_id
     ), candidates AS (
       SELECT h.external_id, h.rank, array_agg(DISTINCT h.id) AS ids
       FROM hits h JOIN decided d ON d.external_id = h.external_id AND d.rank = h.rank
       GROUP BY h.external_id, h.rank
     )
     SELECT c.external_id, c.rank, c.ids,
            CASE WHEN cardinality(c.ids) > 1 THEN 'several'
                 WHEN count(*) FILTER (WHERE cardinality(c.ids) = 1) OVER (PARTITION BY c.ids[1]) > 1 THEN 'shared'
            END AS problem
     FROM candidates c`,
    params,
  );
  const singular = ENTITY_SINGULAR[entity];
  const ruleCase = (pick: (r: (typeof rules)[number]) => string) =>
    `CASE m.rank ${rules.map((r) => `WHEN ${r.rank} THEN ${pick(r)}`).join(' ')} END`;
  // Not an error: the record is applied, as a new one, and an admin can see why it was not linked.
  await session.query(
    `INSERT INTO sis_sync_run_errors
       (run_id, tenant_id, entity, external_id, source_file, source_line, source_page, field, code, message, severity)
     SELECT $1, $2, '${entity}', u.external_id, u.source_file, u.source_line, u.source_page,
            ${ruleCase((r) => `'${r.field}'`)}, 'ambiguous_match',
            CASE WHEN m.problem = 'several'
              THEN format('%s %s: %s matches %s existing %ss; linked to none of them, a new %s is created',
                          '${singular}', u.external_id, ${ruleCase((r) => r.describe)},
                          cardinality(m.ids), '${singular}', '${singular}')
              ELSE format('%s %s: %s matches an existing %s that %s other record(s) of this pull match too; linked to none, a new %s is created',
                          '${singular}', u.external_id, ${ruleCase((r) => r.describe)}, '${singular}',
                          count(*) OVER (PARTITION BY m.ids[1]) - 1, '${singular}')
            END,
            'warning'
     FROM cross_match m JOIN cross_unlinked u USING (external_id)
     WHERE m.problem IS NOT NULL`,
    [ctx.runId, ctx.tenantId],
  );
  const [idColumn, byColumn] =
    entity === 'users' ? ['matched_user_id', 'matched_by'] : ['matched_id', 'matched_by'];
  await session.query(
    `UPDATE ${staging} r SET ${idColumn} = m.ids[1], ${byColumn} = ${ruleCase((x) => `'${x.rule}'`)}
     FROM cross_match m
     WHERE r.run_id = $1 AND r.external_id = m.external_id AND r.status = 'active' AND NOT r.invalid
       AND m.problem IS NULL`,
    [ctx.runId],
  );
  await session.query('DROP TABLE cross_match');
  await session.query('DROP TABLE cross_unlinked');
}
