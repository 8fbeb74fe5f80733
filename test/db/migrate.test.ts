import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterEach, describe, expect, inject, it } from 'vitest';

import type { DatabaseHandle } from '../../src/db/client.js';
import { MIGRATIONS_FOLDER, migrateDatabase, readMigrations } from '../../src/db/migrate.js';
import { createTestDatabase, driver } from '../support/database.js';

let handle: DatabaseHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

/** A copy of the real migrations folder, to add to or edit. */
function migrationsCopy(): string {
  const dir = mkdtempSync(path.join(inject('workDir'), 'migrations-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  return dir;
}

function addMigration(dir: string, tag: string, text: string): void {
  writeFileSync(path.join(dir, `${tag}.sql`), text);
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: object[] };
  journal.entries.push({
    idx: journal.entries.length,
    version: '7',
    when: Date.now(),
    tag,
    breakpoints: true,
  });
  writeFileSync(journalFile, JSON.stringify(journal));
}

const tables = async (h: DatabaseHandle) =>
  h.withSession((s) =>
    s.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"),
  );

describe(`migrations on ${driver}`, () => {
  it('create the whole model and are already applied to a test database', async () => {
    handle = await createTestDatabase();
    expect(await migrateDatabase(handle)).toEqual({ applied: [] });
    const names = (await tables(handle)).map((t) => t.tablename);
    expect(names).toEqual(
      expect.arrayContaining([
        'tenants',
        'sis_providers',
        'sis_sync_runs',
        'sis_sync_run_errors',
        'sis_raw_schools',
        'sis_raw_terms',
        'sis_raw_courses',
        'sis_raw_classes',
        'sis_raw_users',
        'sis_raw_enrollments',
        'schools',
        'terms',
        'courses',
        'classes',
        'users',
        'enrollments',
        'user_relationships',
        'sis_external_links',
        'audit_log',
        'sis_sync_run_changes',
        'sis_sync_migrations',
      ]),
    );
  });

  it('apply a new migration once', async () => {
    handle = await createTestDatabase();
    const dir = migrationsCopy();
    addMigration(dir, '29990101000000_extra', 'CREATE TABLE extra_probe (id int);');
    expect(await migrateDatabase(handle, dir)).toEqual({ applied: ['29990101000000_extra'] });
    expect(await migrateDatabase(handle, dir)).toEqual({ applied: [] });
  });

  it('roll back every pending migration when one fails, and say which', async () => {
    handle = await createTestDatabase();
    const dir = migrationsCopy();
    addMigration(dir, '29990101000000_good', 'CREATE TABLE good_probe (id int);');
    addMigration(
      dir,
      '29990101000001_bad',
      'CREATE TABLE bad_probe (id int);\n--> statement-breakpoint\nSELECT nope FROM nowhere;',
    );
    await expect(migrateDatabase(handle, dir)).rejects.toThrow(/29990101000001_bad failed at statement 2/);
    const names = (await tables(handle)).map((t) => t.tablename);
    expect(names).not.toContain('good_probe');
    expect(names).not.toContain('bad_probe');
  });

  it('refuse a landed migration that was edited', async () => {
    handle = await createTestDatabase();
    const dir = migrationsCopy();
    const [first] = readMigrations(dir);
    writeFileSync(
      path.join(dir, `${first!.tag}.sql`),
      `${readFileSync(path.join(dir, `${first!.tag}.sql`), 'utf8')}\n-- edit`,
    );
    await expect(migrateDatabase(handle, dir)).rejects.toThrow(/was changed after it was applied/);
  });

  it('refuse a database migrated by a newer version', async () => {
    handle = await createTestDatabase();
    await handle.withSession((s) =>
      s.query("INSERT INTO sis_sync_migrations (tag, hash) VALUES ('29991231000000_future', 'x')"),
    );
    await expect(migrateDatabase(handle)).rejects.toThrow(/29991231000000_future/);
  });
});
