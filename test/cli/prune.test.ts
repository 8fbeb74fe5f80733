import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, driver, withCommandDatabase } from '../support/database.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';

/*
 * `sis-sync prune` as an operator runs it: a dry run counts, the sweep removes exactly that, the
 * retention comes from SIS_SYNC_RETENTION_DAYS unless --older-than-days says otherwise, and the
 * provider's last applied run keeps its staging. On PostgreSQL the spawned commands share a fresh
 * test database; on PGlite, the data folder (opened here only between commands).
 */

/** Rows of a plain SQL query on `handle`. */
async function query<T = Record<string, unknown>>(
  handle: DatabaseHandle,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  return ((await handle.executeSql(text, values)) as { rows: T[] }).rows;
}

const tempDir = (prefix: string) => mkdtempSync(path.join(inject('workDir'), prefix));
const CLI_TIMEOUT = 120_000;

let env: Record<string, string>;
let dataDir: string;
let pgHandle: (DatabaseHandle & { url: string | undefined }) | undefined;
beforeAll(async () => {
  dataDir = tempDir('prune-data-');
  env = { SIS_SYNC_DATA_DIR: dataDir };
  if (driver === 'postgres') {
    pgHandle = await createTestDatabase();
    env.DATABASE_URL = pgHandle.url!;
  }
});
afterAll(async () => pgHandle?.close());

/** Runs `fn` on the commands' database (the embedded one is opened, and released, around it). */
const withDatabase = <T>(fn: (handle: DatabaseHandle) => Promise<T>): Promise<T> =>
  withCommandDatabase(pgHandle, dataDir, fn);

/** The rows of the command's table: `sis_raw_users  12` -> { sis_raw_users: 12 }. */
function tableOf(stdout: string): Record<string, number> {
  const rows: Record<string, number> = {};
  for (const match of stdout.matchAll(/^(sis_[a-z_]+)\s+([\d,]+)$/gm)) {
    rows[match[1]!] = Number(match[2]!.replace(/,/g, ''));
  }
  return rows;
}

const stagedOf = (runId: string) =>
  withDatabase(async (handle) => {
    const counts: Record<string, number> = {};
    for (const table of ['sis_raw_schools', 'sis_raw_users', 'sis_raw_enrollments', 'sis_sync_run_errors']) {
      const [row] = await query<{ n: number }>(
        handle,
        `SELECT count(*)::int AS n FROM ${table} WHERE run_id = $1`,
        [runId],
      );
      counts[table] = row!.n;
    }
    return counts;
  });

describe(`sis-sync prune on ${driver}`, () => {
  it(
    'counts on --dry-run, then removes exactly that; keeps the last applied run',
    { timeout: 240_000 },
    async () => {
      const spec = smallDistrict();
      const dir = writePackage(spec);
      const syncRun = async () => {
        const result = await runCli(['sync', '--csv', dir, '--json'], env, CLI_TIMEOUT);
        expect(result.code, result.stderr).toBe(0);
        return (JSON.parse(result.stdout) as { runId: string }).runId;
      };
      const first = await syncRun();
      spec.users = spec.users.map((u) => ({ ...u, givenName: `${u.givenName}2` }));
      writePackage(spec, { dir });
      const second = await syncRun();
      await withDatabase((handle) =>
        query(
          handle,
          `UPDATE sis_sync_runs SET finished_at = now() - interval '40 days' WHERE id = ANY($1::uuid[])`,
          [[first, second]],
        ),
      );
      const before = { first: await stagedOf(first), second: await stagedOf(second) };
      expect(before.first.sis_raw_users).toBe(spec.users.length);
      expect(before.second.sis_raw_users).toBe(spec.users.length);

      // Retention longer than their age (SIS_SYNC_RETENTION_DAYS), or off: nothing to do.
      const longer = await runCli(['prune'], { ...env, SIS_SYNC_RETENTION_DAYS: '50' }, CLI_TIMEOUT);
      expect(longer.code, longer.stderr).toBe(0);
      expect(longer.stdout).toMatch(/^nothing older than \S+ to prune$/m);
      const off = await runCli(['prune', '--older-than-days', '0'], env, CLI_TIMEOUT);
      expect(off.code, off.stderr).toBe(0);
      expect(off.stdout).toContain('retention is off (0 days): nothing pruned');

      const dry = await runCli(['prune', '--dry-run'], env, CLI_TIMEOUT);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(/would remove the data of 1 run\(s\)/);
      expect(dry.stdout).toContain(
        "kept: the staging and errors of 1 older run(s) that are their provider's last applied run",
      );
      const wouldRemove = tableOf(dry.stdout);
      expect(wouldRemove).toMatchObject({
        sis_raw_schools: before.first.sis_raw_schools,
        sis_raw_users: before.first.sis_raw_users,
        sis_raw_enrollments: before.first.sis_raw_enrollments,
        sis_webhook_deliveries: 0,
      });
      expect(await stagedOf(first)).toEqual(before.first);

      const pruned = await runCli(['prune', '--older-than-days', '30'], env, CLI_TIMEOUT);
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(pruned.stdout).toMatch(/removed the data of 1 run\(s\)/);
      expect(tableOf(pruned.stdout)).toEqual(wouldRemove);
      expect(await stagedOf(first)).toEqual({
        sis_raw_schools: 0,
        sis_raw_users: 0,
        sis_raw_enrollments: 0,
        sis_sync_run_errors: 0,
      });
      expect(await stagedOf(second)).toEqual(before.second);
    },
  );

  it('refuses a malformed --older-than-days', { timeout: CLI_TIMEOUT }, async () => {
    const result = await runCli(['prune', '--older-than-days', 'ten'], env, CLI_TIMEOUT);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('a whole number of days');
  });
});

describe('sis-sync prune on a data folder another process holds', () => {
  // The lock is the embedded database's: this runs without DATABASE_URL on either driver.
  it('exits non-zero at once, naming the lock and what to do', { timeout: CLI_TIMEOUT }, async () => {
    const lockedDir = tempDir('prune-locked-');
    const holder = await openDatabase(
      { kind: 'pglite', dataDir: path.join(lockedDir, 'pglite') },
      { command: 'serve' },
    );
    try {
      const result = await runCli(['prune'], { SIS_SYNC_DATA_DIR: lockedDir }, CLI_TIMEOUT);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('in use by another sis-sync process');
      expect(result.stderr).toContain(`pid ${process.pid}`);
      expect(result.stderr).toContain('A running server prunes by itself once a day');
    } finally {
      await holder.close();
    }
  });
});
