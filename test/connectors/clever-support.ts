import type { CleverHttpOptions } from '../../src/connectors/clever/clever-client.js';
import { createCleverConnector } from '../../src/connectors/clever/clever-connector.js';
import type { RunningCleverSimulator } from '../../src/simulators/clever/clever-server.js';
import type { TestApp } from '../support/app.js';
import { createTestLogger } from '../support/logger.js';
import { platformAdmin, rows } from '../support/sync.js';

/** Retries that wait for nothing: a test never sleeps real seconds. */
export const FAST_HTTP: CleverHttpOptions = {
  sleep: () => Promise.resolve(),
  settings: { timeoutMs: 2_000, maxRetries: 3 },
  // Small pages, so a few hundred students take many pages and `rel=next` is exercised.
  pageLimit: 50,
};

/**
 * Builds Clever connectors for this app's runs with `http` (fast retries); other providers as
 * the registry builds them. The run service's connection test keeps the registry's defaults.
 */
export function useCleverHttp(
  t: TestApp,
  http: CleverHttpOptions = FAST_HTTP,
  options: { fullPulls?: boolean } = {},
): void {
  const engine = t.deps.engine;
  const original = engine.createConnector.bind(engine);
  const logger = createTestLogger();
  engine.createConnector = (row, config) => {
    if (row.providerType !== 'CLEVER') return original(row, config);
    const connector = createCleverConnector(config, { logger, http });
    if (options.fullPulls !== true) return connector;
    // Without the engine's checkpoint every pull is a full one, whatever the last run kept.
    return { ...connector, open: (ctx) => connector.open({ ...ctx, checkpoint: null }) };
  };
}

/** A Clever provider over the simulator: client credentials and district id, or a fixed token. */
export async function cleverProvider(
  t: TestApp,
  tenantId: string,
  sim: RunningCleverSimulator,
  mode: 'client-credentials' | 'access-token' = 'client-credentials',
): Promise<string> {
  const config =
    mode === 'client-credentials'
      ? {
          clientId: sim.clientId,
          clientSecret: sim.clientSecret,
          districtId: sim.districtId,
          baseUrl: sim.baseUrl,
          tokenUrl: sim.tokenUrl,
        }
      : { accessToken: sim.accessToken(), baseUrl: sim.baseUrl };
  const view = await t.deps.providers.create(
    { principal: platformAdmin },
    { tenantId, providerType: 'CLEVER', name: `Clever ${tenantId}`, config },
  );
  return view.id;
}

/**
 * The canonical roster of a tenant with its ids left out and what Clever cannot carry
 * normalized away, so a Clever tenant and a CSV tenant of one district compare equal:
 * - terms: title and dates (Clever terms have no type, school year or parent);
 * - courses: title and code (no school, grades, subjects);
 * - classes: one grade, one term (a class over several terms of a year: the year), no
 *   location or subjects;
 * - users: administrators and aides are staff; usernames and schools only for students and
 *   staff (contacts have neither in Clever); phones only for contacts; no enabled flag or
 *   user ids (Clever shares only active users and has its own ids);
 * - enrollments: students and teachers only, without dates.
 */
export async function normalizedRoster(t: TestApp, tenant: string): Promise<Record<string, string[]>> {
  const userKey = (alias: string) =>
    `concat_ws('|', ${alias}.given_name, ${alias}.family_name, ${alias}.identifier, ${alias}.email)`;
  const queries: Record<string, string> = {
    schools: `SELECT json_build_array(s.name, s.identifier, s.org_type, p.name)::text AS v
      FROM schools s LEFT JOIN schools p ON p.tenant_id = s.tenant_id AND p.id = s.parent_id
      WHERE s.tenant_id = '${tenant}' AND s.active`,
    terms: `SELECT json_build_array(title, start_date::text, end_date::text)::text AS v
      FROM terms WHERE tenant_id = '${tenant}' AND active`,
    courses: `SELECT json_build_array(title, course_code)::text AS v FROM courses WHERE tenant_id = '${tenant}' AND active`,
    classes: `SELECT json_build_array(c.title, c.class_code, c.class_type, c.periods, c.grades[1], co.title, s.name,
        CASE WHEN cardinality(c.term_ids) > 1
             THEN (SELECT p.title FROM terms t JOIN terms p ON p.id = t.parent_id WHERE t.id = c.term_ids[1])
             ELSE (SELECT t.title FROM terms t WHERE t.id = c.term_ids[1]) END)::text AS v
      FROM classes c JOIN courses co ON co.id = c.course_id JOIN schools s ON s.id = c.school_id
      WHERE c.tenant_id = '${tenant}' AND c.active`,
    users: `SELECT json_build_array(
        CASE WHEN u.role IN ('administrator', 'aide', 'proctor') THEN 'staff' ELSE u.role END,
        u.given_name, u.family_name, u.middle_name, u.email, u.identifier, u.grades,
        CASE WHEN u.role IN ('guardian', 'parent', 'relative') THEN NULL ELSE u.username END,
        CASE WHEN u.role IN ('guardian', 'parent', 'relative') THEN NULL ELSE
          ARRAY(SELECT s.name FROM unnest(u.school_ids) WITH ORDINALITY AS x(id, n) JOIN schools s ON s.id = x.id ORDER BY x.n) END,
        CASE WHEN u.role IN ('guardian', 'parent', 'relative') THEN json_build_array(u.phone, u.sms) END)::text AS v
      FROM users u WHERE u.tenant_id = '${tenant}' AND u.active`,
    enrollments: `SELECT json_build_array(c.title, c.class_code, ${userKey('u')}, e.role, e.is_primary, s.name)::text AS v
      FROM enrollments e JOIN classes c ON c.id = e.class_id JOIN users u ON u.id = e.user_id
      LEFT JOIN schools s ON s.id = e.school_id
      WHERE e.tenant_id = '${tenant}' AND e.active AND e.role IN ('student', 'teacher')`,
    relationships: `SELECT json_build_array(${userKey('u')}, ${userKey('r')}, ur.relationship)::text AS v
      FROM user_relationships ur JOIN users u ON u.id = ur.user_id JOIN users r ON r.id = ur.related_user_id
      WHERE ur.tenant_id = '${tenant}' AND ur.active`,
  };
  const result: Record<string, string[]> = {};
  for (const [name, query] of Object.entries(queries)) {
    result[name] = (await rows<{ v: string }>(t, query)).map((r) => r.v).sort();
  }
  return result;
}

/** Active rows per canonical table of a tenant. */
export async function activeCounts(t: TestApp, tenant: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [
    'schools',
    'terms',
    'courses',
    'classes',
    'users',
    'enrollments',
    'user_relationships',
  ]) {
    const [row] = await rows<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = '${tenant}' AND active`,
    );
    counts[table] = row?.n ?? 0;
  }
  return counts;
}
