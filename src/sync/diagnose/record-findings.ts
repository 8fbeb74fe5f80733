import type { SqlSession } from '../../db/client.js';
import type { DiagnosisFinding } from '../../domain/diagnosis.js';
import { ENTITY_SINGULAR, ENTITY_TYPES, type EntityType } from '../../domain/entity.js';
import { REFERENCES, type Reference } from '../load/references.js';
import { STAGING } from '../stage/staging-columns.js';

/*
 * What changed in the records since the last good pull, in set-based SQL over this run's staging
 * and the provider's links (what it had after its last applied run). Each check runs only where
 * it can fire: ids are compared only for complete snapshots that miss records, references only
 * where preparation found dangling ones, schools only when users went missing. Samples are bounded.
 */

export interface RecordContext {
  runId: string;
  tenantId: string;
  providerId: string;
  /** Entities read in full in this pull: what they lack is gone. */
  completeSnapshots: ReadonlySet<EntityType>;
  /** Entities read in this pull (snapshot or delta). */
  loaded: ReadonlySet<EntityType>;
  /** The provider's deactivation threshold: a drop at or above it is large. */
  threshold: number;
}

const SAMPLES = 5;
/** At most this many emptied schools are named, the largest first. */
const SCHOOLS = 10;

const count = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;
const params = (ctx: RecordContext) => [ctx.runId, ctx.tenantId, ctx.providerId];

/** Active links of the entity, and those this run's staging lacks ($1 run, $2 tenant, $3 provider). */
const missingLinks = (entity: EntityType) => `
  FROM sis_external_links l
  WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}' AND l.active
    AND NOT EXISTS (SELECT 1 FROM ${STAGING[entity].table} r WHERE r.run_id = $1 AND r.external_id = l.external_id)`;

export async function recordFindings(session: SqlSession, ctx: RecordContext): Promise<DiagnosisFinding[]> {
  const findings: DiagnosisFinding[] = [];
  const missing: Partial<Record<EntityType, number>> = {};
  for (const entity of ENTITY_TYPES) {
    if (!ctx.completeSnapshots.has(entity)) continue;
    const drop = await largeDrop(session, ctx, entity);
    missing[entity] = drop.missing;
    if (drop.finding !== null) findings.push(drop.finding);
    if (drop.missing > 0) findings.push(...(await strippedIds(session, ctx, entity)));
  }
  findings.push(...(await strippedReferences(session, ctx)));
  if ((missing.users ?? 0) > 0) findings.push(...(await emptiedSchools(session, ctx)));
  return findings;
}

async function largeDrop(
  session: SqlSession,
  ctx: RecordContext,
  entity: EntityType,
): Promise<{ missing: number; finding: DiagnosisFinding | null }> {
  const [counts] = await session.query<{ active: number; missing: number }>(
    `SELECT (SELECT count(*)::int FROM sis_external_links l
             WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${entity}' AND l.active) AS active,
            (SELECT count(*)::int ${missingLinks(entity)}) AS missing`,
    params(ctx),
  );
  const { active, missing } = counts ?? { active: 0, missing: 0 };
  if (missing === 0 || missing / active < ctx.threshold) return { missing, finding: null };
  const sample = await session.query<{ external_id: string }>(
    `SELECT l.external_id ${missingLinks(entity)} ORDER BY l.external_id LIMIT ${SAMPLES}`,
    params(ctx),
  );
  const share = missing / active;
  return {
    missing,
    finding: {
      code: 'large_drop',
      severity: 'warning',
      entity,
      message: `${plural(missing, ENTITY_SINGULAR[entity], entity)} of the ${count(active)} this integration had (${Math.round(share * 100)}%) ${missing === 1 ? 'is' : 'are'} missing from this pull.`,
      evidence: {
        activeBefore: active,
        missing,
        share,
        threshold: ctx.threshold,
        sample: sample.map((s) => s.external_id),
      },
    },
  };
}

/** Missing ids whose form without leading zeros is a new id in this pull. */
async function strippedIds(
  session: SqlSession,
  ctx: RecordContext,
  entity: EntityType,
): Promise<DiagnosisFinding[]> {
  const table = STAGING[entity].table;
  const rows = await session.query<{ before: string; now: string; total: number }>(
    `SELECT l.external_id AS before, ltrim(l.external_id, '0') AS now, count(*) OVER ()::int AS total
     ${missingLinks(entity)} AND l.external_id LIKE '0%'
       AND EXISTS (SELECT 1 FROM ${table} r WHERE r.run_id = $1 AND r.external_id = ltrim(l.external_id, '0'))
       AND NOT EXISTS (SELECT 1 FROM sis_external_links n
                       WHERE n.tenant_id = $2 AND n.provider_id = $3 AND n.entity_type = '${entity}'
                         AND n.external_id = ltrim(l.external_id, '0'))
     ORDER BY l.external_id LIMIT ${SAMPLES}`,
    params(ctx),
  );
  const total = rows[0]?.total ?? 0;
  if (total === 0) return [];
  const first = rows[0]!;
  return [
    {
      code: 'leading_zeros_lost',
      severity: 'error',
      entity,
      message: `${plural(total, `${ENTITY_SINGULAR[entity]} id`, `${ENTITY_SINGULAR[entity]} ids`)} lost ${total === 1 ? 'its' : 'their'} leading zeros ("${first.before}" is now "${first.now}"): the export likely went through a spreadsheet that read them as numbers. Applying it would retire the old ${total === 1 ? 'id' : 'ids'} and take the stripped ${total === 1 ? 'one' : 'ones'} in ${total === 1 ? 'its' : 'their'} place.`,
      evidence: { count: total, samples: rows.map(({ before, now }) => ({ before, now })) },
    },
  ];
}

/** References that resolve nowhere but would with their leading zeros back (a school id `42` for `0042`). */
async function strippedReferences(session: SqlSession, ctx: RecordContext): Promise<DiagnosisFinding[]> {
  const dangling = await session.query<{ entity: EntityType; field: string }>(
    `SELECT DISTINCT entity, field FROM sis_sync_run_errors WHERE run_id = $1 AND code = 'dangling_reference'`,
    [ctx.runId],
  );
  const findings: DiagnosisFinding[] = [];
  for (const { entity, field } of dangling) {
    const reference = REFERENCES[entity].find((r) => r.field === field);
    if (reference === undefined || !ctx.loaded.has(entity)) continue;
    const finding = await strippedReference(session, ctx, entity, reference);
    if (finding !== null) findings.push(finding);
  }
  return findings;
}

async function strippedReference(
  session: SqlSession,
  ctx: RecordContext,
  entity: EntityType,
  reference: Reference,
): Promise<DiagnosisFinding | null> {
  const ids = reference.list
    ? `SELECT DISTINCT x.id FROM ${STAGING[entity].table} r CROSS JOIN LATERAL unnest(r.${reference.column}) AS x(id) WHERE r.run_id = $1`
    : `SELECT DISTINCT r.${reference.column} AS id FROM ${STAGING[entity].table} r WHERE r.run_id = $1 AND r.${reference.column} IS NOT NULL`;
  const target = reference.target;
  const rows = await session.query<{ before: string; now: string; total: number }>(
    `SELECT l.external_id AS before, x.id AS now, count(*) OVER ()::int AS total
     FROM (${ids}) x
     JOIN sis_external_links l
       ON l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${target}' AND l.active
      AND l.external_id LIKE '0%' AND ltrim(l.external_id, '0') = x.id
     WHERE NOT EXISTS (SELECT 1 FROM ${STAGING[target].table} t WHERE t.run_id = $1 AND t.external_id = x.id)
       AND NOT EXISTS (SELECT 1 FROM sis_external_links n
                       WHERE n.tenant_id = $2 AND n.provider_id = $3 AND n.entity_type = '${target}'
                         AND n.external_id = x.id)
     ORDER BY l.external_id LIMIT ${SAMPLES}`,
    params(ctx),
  );
  const total = rows[0]?.total ?? 0;
  if (total === 0) return null;
  const first = rows[0]!;
  const name = ENTITY_SINGULAR[target];
  return {
    code: 'leading_zeros_lost',
    severity: 'error',
    entity,
    message: `${entity[0]!.toUpperCase()}${entity.slice(1)} refer to ${plural(total, `${name} id`, `${name} ids`)} without ${total === 1 ? 'its' : 'their'} leading zeros in ${reference.field} ("${first.now}" where the ${name} is "${first.before}"): those references resolve to nothing.`,
    evidence: {
      field: reference.field,
      target,
      count: total,
      samples: rows.map(({ before, now }) => ({ before, now })),
    },
  };
}

/** Schools whose missing users were all it had in this pull: no staged user belongs to them any more. */
async function emptiedSchools(session: SqlSession, ctx: RecordContext): Promise<DiagnosisFinding[]> {
  const rows = await session.query<{ external_id: string; name: string; users: number; sample: string[] }>(
    `WITH missing AS (
       SELECT l.external_id, u.school_ids
       FROM sis_external_links l JOIN users u ON u.tenant_id = l.tenant_id AND u.id = l.entity_id
       WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = 'users' AND l.active
         AND NOT EXISTS (SELECT 1 FROM sis_raw_users r WHERE r.run_id = $1 AND r.external_id = l.external_id)
     ), lost AS (
       SELECT s.id AS school_id, count(*)::int AS users,
              (array_agg(m.external_id ORDER BY m.external_id))[1:${SAMPLES}] AS sample
       FROM missing m CROSS JOIN LATERAL unnest(m.school_ids) AS s(id)
       GROUP BY s.id
     ), candidates AS (
       SELECT sl.external_id, sc.name, lost.users, lost.sample
       FROM lost
       JOIN sis_external_links sl ON sl.tenant_id = $2 AND sl.provider_id = $3 AND sl.entity_type = 'schools'
                                 AND sl.entity_id = lost.school_id AND sl.active
       JOIN schools sc ON sc.tenant_id = $2 AND sc.id = lost.school_id AND sc.org_type = 'school'
     ), present AS (
       SELECT DISTINCT x.id
       FROM sis_raw_users r CROSS JOIN LATERAL unnest(r.school_external_ids) AS x(id)
       WHERE r.run_id = $1 AND x.id IN (SELECT external_id FROM candidates)
     )
     SELECT c.external_id, c.name, c.users, c.sample FROM candidates c
     WHERE c.external_id NOT IN (SELECT id FROM present)
     ORDER BY c.users DESC, c.external_id LIMIT ${SCHOOLS}`,
    params(ctx),
  );
  return rows.map((row) => ({
    code: 'school_emptied',
    severity: 'warning',
    entity: 'users',
    message: `${row.name} (${row.external_id}): ${plural(row.users, 'user', 'users')} of this school ${row.users === 1 ? 'is' : 'are'} missing from this pull, and no user in it belongs to the school any more. A school whose users all vanish at once is more often a partial export than a closed school.`,
    evidence: { school: row.external_id, name: row.name, usersMissing: row.users, sample: row.sample },
  }));
}
