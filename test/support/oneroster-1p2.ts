import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { inject } from 'vitest';

import type { TestApp } from './app.js';
import { rows } from './sync.js';

/** The hand-written OneRoster 1.2 package (test/fixtures/oneroster-1.2/README.md). */
export const FIXTURE_1P2 = fileURLToPath(new URL('../fixtures/oneroster-1.2', import.meta.url));

/** The password the fixture's userProfiles.csv carries; it must end up nowhere. */
export const FIXTURE_PASSWORD = 'fixture-pw-7Qx9!Lm';

/** The line of roles.csv naming a user that users.csv does not have. */
export const GHOST_ROLE_LINE = 10;

/**
 * A copy of the fixture package to change, without its README; `clean` drops the roles.csv row of
 * the user that does not exist, so that the package syncs without an error.
 */
export function copyFixture1p2(options: { clean?: boolean } = {}): string {
  const dir = mkdtempSync(path.join(inject('workDir'), 'or12-'));
  cpSync(FIXTURE_1P2, dir, { recursive: true });
  rmSync(path.join(dir, 'README.md'));
  if (options.clean === true) editFile(dir, 'roles.csv', (text) => text.replace(/^rol-9,.*\n/m, ''));
  return dir;
}

export function editFile(dir: string, name: string, edit: (text: string) => string): void {
  const file = path.join(dir, name);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
}

/** A tenant's users with what OneRoster 1.2 adds, references resolved to names. */
export async function users1p2(t: TestApp, tenantId: string): Promise<Record<string, unknown>[]> {
  return rows(
    t,
    `SELECT u.username, u.role, u.roles, u.given_name, u.preferred_given_name, u.preferred_middle_name,
            u.preferred_family_name, u.pronouns, u.master_identifier, u.active, p.name AS primary_school,
            ARRAY(SELECT s.name FROM unnest(u.school_ids) WITH ORDINALITY AS x(id, n)
                  JOIN schools s ON s.tenant_id = u.tenant_id AND s.id = x.id ORDER BY x.n) AS schools
     FROM users u LEFT JOIN schools p ON p.tenant_id = u.tenant_id AND p.id = u.primary_school_id
     WHERE u.tenant_id = '${tenantId}' ORDER BY u.username`,
  );
}

/**
 * Where `needle` occurs in the database: every table's rows as text, in every schema sis-sync
 * and its queue own. Empty when nowhere.
 */
export async function occurrencesInDatabase(t: TestApp, needle: string): Promise<string[]> {
  const tables = await rows<{ schema: string; name: string }>(
    t,
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
  );
  const found: string[] = [];
  for (const { schema, name } of tables) {
    const [hit] = await rows<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM "${schema}"."${name}" x WHERE x::text LIKE '%${needle.replaceAll("'", "''")}%'`,
    );
    if ((hit?.n ?? 0) > 0) found.push(`${schema}.${name}`);
  }
  return found;
}

/** The log files this test file's loggers wrote (test/support/logger.ts names them after it). */
export function logsOf(testFile: string): string {
  const dir = inject('logDir');
  return readdirSync(dir)
    .filter((name) => name.startsWith(path.basename(testFile)))
    .map((name) => readFileSync(path.join(dir, name), 'utf8'))
    .join('\n');
}
