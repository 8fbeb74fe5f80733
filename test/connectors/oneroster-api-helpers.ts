import type { TestApp } from '../support/app.js';
import { platformAdmin, rows } from '../support/sync.js';

/** Test-speed HTTP settings: short waits, through the provider config as an admin would set them. */
export const FAST_HTTP = {
  timeoutMs: 400,
  maxRetries: 4,
  retryBaseMs: 1,
  retryMaxMs: 5,
  maxRetryAfterMs: 10,
};

export async function apiProvider(
  t: TestApp,
  tenantId: string,
  providerType: 'ONEROSTER_API' | 'CLASSLINK',
  config: Record<string, unknown>,
): Promise<string> {
  const view = await t.deps.providers.create(
    { principal: platformAdmin },
    { tenantId, providerType, name: `${providerType} ${tenantId}`, config },
  );
  return view.id;
}

/**
 * The canonical roster of a tenant without ids or timestamps: references are resolved to the
 * names, titles and usernames they point at, so two tenants holding the same district compare equal.
 */
export async function rosterDump(t: TestApp, tenantId: string): Promise<Record<string, unknown[]>> {
  const q = (sql: string) => rows(t, sql.replaceAll(':tenant', `'${tenantId}'`));
  return {
    schools: await q(`SELECT s.name, s.identifier, s.org_type, s.active, p.name AS parent FROM schools s
      LEFT JOIN schools p ON p.tenant_id = s.tenant_id AND p.id = s.parent_id WHERE s.tenant_id = :tenant ORDER BY 1, 2`),
    terms: await q(`SELECT title, term_type, start_date::text, end_date::text, school_year, active FROM terms
      WHERE tenant_id = :tenant ORDER BY 1, 2, 3`),
    courses:
      await q(`SELECT c.title, c.course_code, c.grades, c.subjects, c.subject_codes, c.active, s.name AS school
      FROM courses c LEFT JOIN schools s ON s.tenant_id = c.tenant_id AND s.id = c.school_id
      WHERE c.tenant_id = :tenant ORDER BY 2, 1, 7`),
    classes: await q(`SELECT c.title, c.class_code, c.class_type, c.location, c.grades, c.periods, c.active,
      co.course_code, s.name AS school, cardinality(c.term_ids) AS terms FROM classes c
      LEFT JOIN courses co ON co.tenant_id = c.tenant_id AND co.id = c.course_id
      LEFT JOIN schools s ON s.tenant_id = c.tenant_id AND s.id = c.school_id
      WHERE c.tenant_id = :tenant ORDER BY 2, 1, 9`),
    users:
      await q(`SELECT role, username, given_name, family_name, middle_name, email, identifier, sms, phone, grades,
      user_ids, enabled, active, cardinality(school_ids) AS schools FROM users WHERE tenant_id = :tenant ORDER BY 2, 1`),
    enrollments:
      await q(`SELECT u.username, c.class_code, e.role, e.is_primary, e.begin_date::text, e.end_date::text,
      e.active FROM enrollments e JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.user_id
      JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id WHERE e.tenant_id = :tenant ORDER BY 1, 2, 3`),
  };
}
