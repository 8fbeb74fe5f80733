import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { createSecretBox, keyIdOf } from '../../src/lib/secret-box.js';
import { runCli, startCli, waitForOutput, type CliResult } from '../support/cli.js';
import { createTestDatabase, driver, withCommandDatabase } from '../support/database.js';
import { readSealedRows, seedSealedRows } from '../support/sealed-rows.js';
import { TEST_SECRETS } from '../support/secrets.js';

/*
 * `sis-sync rotate-key` as an operator runs it, after a restart with the new key active and the
 * old one in SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS: killed after its first progress line and run
 * again, every secret decrypts throughout and all end under the new key; a row under a key that
 * is not configured makes it exit 1 naming the row; nothing it prints holds a secret. On
 * PostgreSQL the commands share a fresh test database; on PGlite, the data folder (opened here
 * only between commands).
 */

const tempDir = (prefix: string) => mkdtempSync(path.join(inject('workDir'), prefix));
const CLI_TIMEOUT = 120_000;

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const idA = keyIdOf(keyA);
const idB = keyIdOf(keyB);
const boxA = createSecretBox(keyA);
const ringBA = createSecretBox(keyB, [keyA]);

let env: Record<string, string>;
let dataDir: string;
let pgHandle: (DatabaseHandle & { url: string | undefined }) | undefined;
beforeAll(async () => {
  dataDir = tempDir('rotate-data-');
  // As after the restart: B encrypts, A still decrypts.
  env = {
    SIS_SYNC_DATA_DIR: dataDir,
    SIS_SYNC_ENCRYPTION_KEY: keyB.toString('base64'),
    SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS: keyA.toString('base64'),
  };
  if (driver === 'postgres') {
    pgHandle = await createTestDatabase();
    env.DATABASE_URL = pgHandle.url!;
  }
});
afterAll(async () => pgHandle?.close());

/** Runs `fn` on the commands' database (the embedded one is opened, and released, around it). */
const withDatabase = <T>(fn: (handle: DatabaseHandle) => Promise<T>): Promise<T> =>
  withCommandDatabase(pgHandle, dataDir, fn);

/** The rows of the command's table: `sis_providers  3  0  0` -> { sis_providers: [3, 0, 0] }. */
function tableOf(stdout: string): Record<string, number[]> {
  const rows: Record<string, number[]> = {};
  for (const match of stdout.matchAll(/^(sis_[a-z_]+)\s+(\d+)\s+(\d+)\s+(\d+)$/gm)) {
    rows[match[1]!] = [Number(match[2]), Number(match[3]), Number(match[4])];
  }
  return rows;
}

const printed: CliResult[] = [];
const rotate = async (...args: string[]) => {
  const result = await runCli(['rotate-key', ...args], env, CLI_TIMEOUT);
  printed.push(result);
  return result;
};

describe(`sis-sync rotate-key on ${driver}`, () => {
  it(
    'killed after its first progress line and run again: every secret decrypts throughout, all end under the new key, a third run rotates nothing',
    { timeout: 300_000 },
    async () => {
      const seeded = await withDatabase((h) => seedSealedRows(h.db, boxA, { providers: 120, webhooks: 20 }));
      const total = seeded.providers.length + seeded.webhooks.length;

      // A dry run reads everything and writes nothing.
      const dry = await rotate('--dry-run');
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`active key ${idB} (dry run: nothing is written)`);
      expect(tableOf(dry.stdout)).toEqual({
        sis_providers: [120, 0, 0],
        sis_webhook_subscriptions: [20, 0, 0],
      });
      expect(await withDatabase((h) => readSealedRows(h.db, boxA, seeded))).toEqual({
        keys: { [idA]: total },
        unreadable: [],
      });

      // Killed once it has rotated something.
      const child = startCli(['rotate-key'], env);
      const closed = new Promise((resolve) => child.once('close', resolve));
      await waitForOutput(child, (out) => /^rotated sis_providers /m.test(out.stdout), CLI_TIMEOUT);
      child.kill('SIGKILL');
      await closed;
      printed.push(child.output());
      expect(child.output().signal).toBe('SIGKILL');
      const interrupted = await withDatabase((h) => readSealedRows(h.db, ringBA, seeded));
      expect(interrupted.unreadable).toEqual([]);
      expect(Object.keys(interrupted.keys).every((k) => k === idA || k === idB)).toBe(true);
      expect(interrupted.keys[idB]).toBeGreaterThanOrEqual(1);
      console.info(`rotate-key killed with ${interrupted.keys[idB]} of ${total} rows rotated`);

      // Run again: the rest is rotated; A may go.
      const resumed = await rotate();
      expect(resumed.code, resumed.stderr).toBe(0);
      const table = tableOf(resumed.stdout);
      expect(table.sis_providers![2]! + table.sis_webhook_subscriptions![2]!).toBe(0);
      expect(table.sis_providers![0]! + table.sis_providers![1]!).toBe(120);
      expect(table.sis_webhook_subscriptions![0]! + table.sis_webhook_subscriptions![1]!).toBe(20);
      expect(table.sis_providers![0]! + table.sis_webhook_subscriptions![0]!).toBe(
        total - interrupted.keys[idB]!,
      );
      expect(resumed.stdout).toContain(
        `no row uses the old key(s) ${idA} any more: they may be removed from SIS_SYNC_PREVIOUS_ENCRYPTION_KEYS`,
      );
      // B alone opens everything now.
      expect(await withDatabase((h) => readSealedRows(h.db, createSecretBox(keyB), seeded))).toEqual({
        keys: { [idB]: total },
        unreadable: [],
      });

      const again = await rotate();
      expect(again.code, again.stderr).toBe(0);
      expect(tableOf(again.stdout)).toEqual({
        sis_providers: [0, 120, 0],
        sis_webhook_subscriptions: [0, 20, 0],
      });
      expect(again.stdout).toContain(
        `nothing to rotate: every stored secret is already under the active key ${idB}`,
      );
      expect(again.stdout).not.toMatch(/^rotated /m);

      for (const out of printed) {
        const text = out.stdout + out.stderr;
        for (const secret of [
          ...Object.values(TEST_SECRETS),
          ...seeded.webhooks.map((w) => w.secret),
          keyA.toString('base64'),
          keyB.toString('base64'),
          keyA.toString('hex'),
          keyB.toString('hex'),
        ]) {
          expect(text).not.toContain(secret);
        }
      }
    },
  );

  it(
    'a row under a key that is not configured: exits 1 naming the row and its key, after rotating the rest',
    { timeout: CLI_TIMEOUT },
    async () => {
      const keyC = randomBytes(32);
      const lost = await withDatabase((h) =>
        seedSealedRows(h.db, createSecretBox(keyC), { providers: 1, webhooks: 0, tenantId: 'lost' }),
      );
      const fine = await withDatabase((h) =>
        seedSealedRows(h.db, boxA, { providers: 2, webhooks: 1, tenantId: 'fine' }),
      );
      const result = await rotate();
      expect(result.code).toBe(1);
      const lostId = lost.providers[0]!.id;
      expect(result.stdout).toContain(`could not rotate sis_providers ${lostId} (key ${keyIdOf(keyC)})`);
      expect(result.stdout).toContain('1 row(s) could not be rotated');
      expect(tableOf(result.stdout).sis_providers).toEqual([2, 120, 1]);
      expect(await withDatabase((h) => readSealedRows(h.db, createSecretBox(keyB), fine))).toEqual({
        keys: { [idB]: 3 },
        unreadable: [],
      });
      const text = result.stdout + result.stderr;
      expect(text).not.toContain(JSON.stringify(lost.providers[0]!.config));
      for (const secret of Object.values(TEST_SECRETS)) expect(text).not.toContain(secret);
    },
  );
});

describe('sis-sync rotate-key on a data folder another process holds', () => {
  // The lock is the embedded database's: this runs without DATABASE_URL on either driver.
  it('exits non-zero at once with the lock message', { timeout: CLI_TIMEOUT }, async () => {
    const lockedDir = tempDir('rotate-locked-');
    const holder = await openDatabase(
      { kind: 'pglite', dataDir: path.join(lockedDir, 'pglite') },
      { command: 'serve' },
    );
    try {
      const result = await runCli(
        ['rotate-key'],
        { SIS_SYNC_DATA_DIR: lockedDir, SIS_SYNC_ENCRYPTION_KEY: keyB.toString('base64') },
        CLI_TIMEOUT,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('in use by another sis-sync process');
      expect(result.stderr).toContain(`pid ${process.pid}`);
      expect(result.stderr).toContain('beside running servers only on PostgreSQL');
    } finally {
      await holder.close();
    }
  });
});
