import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { SYNC_EXIT } from '../../src/cli/commands/sync.js';
import type { EntityStats, EntityType } from '../../src/domain/entity.js';
import { runCli, startCli, waitForOutput, type CliResult } from '../support/cli.js';
import { createTestDatabase, driver } from '../support/database.js';

/*
 * `sis-sync sync` as an operator scripts it, against a generated district: the first sync
 * creates everything, a repeat changes nothing, the next day's export counts its changes, exit
 * codes tell the outcomes apart, and a data folder held by a server is refused at once. On
 * PostgreSQL the spawned commands get a fresh test database of their own.
 */

type Stats = Record<EntityType, EntityStats>;
interface SyncReport {
  runId: string;
  providerId: string;
  status: string;
  dryRun: boolean;
  stats: Stats;
  heldReason: { entities: { entity: string }[] } | null;
  errors: string[];
  errorCount: number;
  errorMessage: string | null;
}

const tempDir = (prefix: string) => mkdtempSync(path.join(inject('workDir'), prefix));
const CLI_TIMEOUT = 120_000;

let env: Record<string, string>;
let closeDatabase: () => Promise<void> = async () => {};
beforeAll(async () => {
  env = { SIS_SYNC_DATA_DIR: tempDir('sync-data-') };
  if (driver === 'postgres') {
    const db = await createTestDatabase();
    env.DATABASE_URL = db.url!;
    closeDatabase = () => db.close();
  }
});
afterAll(async () => closeDatabase());

async function generate(out: string, ...args: string[]) {
  const result = await runCli(['generate', '--students', '300', '--out', out, '--json', ...args], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as {
    files: Record<string, number>;
    changes?: Record<string, number>;
  };
}

/** Runs `sync --json`; stdout must be nothing but the JSON report. */
async function sync(...args: string[]): Promise<CliResult & { report: SyncReport }> {
  const result = await runCli(['sync', '--json', ...args], env, CLI_TIMEOUT);
  let report: SyncReport;
  try {
    report = JSON.parse(result.stdout) as SyncReport;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, report };
}

const FILE_OF: Record<EntityType, string> = {
  schools: 'orgs',
  terms: 'academicSessions',
  courses: 'courses',
  classes: 'classes',
  users: 'users',
  enrollments: 'enrollments',
};
const ENTITIES = Object.keys(FILE_OF) as EntityType[];

function expectNoChanges(stats: Stats): void {
  for (const entity of ENTITIES) {
    expect(stats[entity], entity).toMatchObject({
      created: 0,
      updated: 0,
      deactivated: 0,
      reactivated: 0,
      errors: 0,
    });
  }
}

describe('sis-sync sync --csv over generated exports', () => {
  const district = tempDir('sync-district-');
  let day0: Awaited<ReturnType<typeof generate>>;
  let providerId: string;

  it(
    'creates the whole district on the first sync, JSON on stdout and logs on stderr',
    { timeout: CLI_TIMEOUT },
    async () => {
      day0 = await generate(district);
      const first = await sync('--csv', district);
      providerId = first.report.providerId;
      expect(first.code, first.stderr).toBe(0);
      expect(first.report.status).toBe('SUCCESS');
      expect(first.report.dryRun).toBe(false);
      expect(first.report.errorCount).toBe(0);
      for (const entity of ENTITIES) {
        // The district org is an org like the schools: everything in the file is created.
        expect(first.report.stats[entity].created, entity).toBe(day0.files[FILE_OF[entity]]);
      }
      expect(first.stdout).not.toMatch(/"level":\d+/);
    },
  );

  it('changes nothing when the same export is synced again', { timeout: CLI_TIMEOUT }, async () => {
    const again = await sync('--csv', district);
    expect(again.code).toBe(0);
    expect(again.report.providerId).toBe(providerId);
    expectNoChanges(again.report.stats);
    for (const entity of ENTITIES) {
      expect(again.report.stats[entity].unchanged, entity).toBe(day0.files[FILE_OF[entity]]);
    }
  });

  let dayOne: { changes: Record<string, number>; stats: Stats; code: number | null };

  it('previews the next day with --dry-run and applies nothing', { timeout: CLI_TIMEOUT }, async () => {
    const day1 = await generate(district, '--day', '1');
    const dry = await sync('--csv', district, '--dry-run');
    expect(dry.code).toBe(SYNC_EXIT.SUCCESS);
    expect(dry.report.dryRun).toBe(true);
    expect(dry.report.stats.users.updated).toBeGreaterThan(0);
    expect(dry.report.stats.users.deactivated).toBeGreaterThan(0);
    // Had the preview applied anything, the real run would find less to do.
    const real = await sync('--csv', district);
    expect(real.report.dryRun).toBe(false);
    expect(real.report.stats).toEqual(dry.report.stats);
    dayOne = { changes: day1.changes!, stats: real.report.stats, code: real.code };
  });

  it('counts day 1 as the generator summarised it', () => {
    const { changes, stats, code } = dayOne;
    expect(code).toBe(SYNC_EXIT.SUCCESS);
    expect(changes.usersDropped).toBeGreaterThan(0);
    expect(stats.users.created).toBe(
      changes.studentsAdded! + changes.guardiansAdded! + changes.duplicateEmails!,
    );
    expect(stats.users.deactivated).toBe(changes.usersDropped);
    expect(stats.users.reactivated).toBe(changes.usersReappeared);
    // Edits and new emails show as updates; so do guardians whose children came or went.
    expect(stats.users.updated).toBeGreaterThanOrEqual(
      changes.emailsChanged! + Math.ceil(changes.usersEdited! * 0.9),
    );
    expect(stats.enrollments.created).toBe(changes.enrollmentsAdded);
    expect(stats.enrollments.deactivated).toBe(changes.enrollmentsDropped);
    for (const entity of ['schools', 'terms', 'courses', 'classes'] as const) {
      expect(stats[entity].unchanged, entity).toBe(day0.files[FILE_OF[entity]]);
    }
  });

  it('syncs a stored provider with --provider', { timeout: CLI_TIMEOUT }, async () => {
    const result = await sync('--provider', providerId);
    expect(result.code).toBe(0);
    expect(result.report.providerId).toBe(providerId);
    expect(result.report.status).toBe('SUCCESS');
    expectNoChanges(result.report.stats);
  });

  it(
    'holds a day that removes too much, exit 3, until it is reviewed',
    { timeout: CLI_TIMEOUT },
    async () => {
      await generate(district, '--day', '2', '--drops', '0.3');
      const held = await sync('--csv', district);
      expect(held.report.status).toBe('HELD');
      expect(held.code).toBe(SYNC_EXIT.HELD);
      expect(held.code).toBe(3);
      expect(held.report.heldReason?.entities.map((e) => e.entity)).toContain('users');
      expect(held.report.stats.users.deactivated).toBeGreaterThan(day0.files.users! * 0.2);
      // The held run waits for approval or discard; another sync is refused meanwhile.
      const blocked = await runCli(['sync', '--provider', providerId], env, CLI_TIMEOUT);
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toMatch(/HELD|held/);
    },
  );

  it('reports record errors as PARTIAL, exit 2', { timeout: CLI_TIMEOUT }, async () => {
    const broken = tempDir('sync-broken-');
    await generate(broken);
    const enrollments = path.join(broken, 'enrollments.csv');
    writeFileSync(
      enrollments,
      `${readFileSync(enrollments, 'utf8')}enr-bad,,,no-such-class,sch-0001,usr-0000001,student,false,,\n`,
    );
    const partial = await sync('--csv', broken, '--tenant', 'partial-district');
    expect(partial.report.status).toBe('PARTIAL');
    expect(partial.code).toBe(SYNC_EXIT.PARTIAL);
    expect(partial.code).toBe(2);
    expect(partial.report.errorCount).toBeGreaterThan(0);
    expect(partial.report.stats.enrollments.created).toBe(
      readFileSync(enrollments, 'utf8').trimEnd().split('\n').length - 2,
    );
  });

  it('reports a package it cannot read as FAILURE, exit 1', { timeout: CLI_TIMEOUT }, async () => {
    const noManifest = tempDir('sync-no-manifest-');
    await generate(noManifest);
    rmSync(path.join(noManifest, 'manifest.csv'));
    const failed = await sync('--csv', noManifest, '--tenant', 'failing-district');
    expect(failed.report.status).toBe('FAILURE');
    expect(failed.code).toBe(SYNC_EXIT.FAILURE);
    expect(failed.report.errorMessage).toContain('manifest.csv');
    // The run's warning went to stderr as a log line, leaving stdout to the JSON report alone.
    expect(failed.stderr).toMatch(/"level":40.*run failed/);
    expect(failed.stdout).not.toMatch(/"level":\d+/);
  });
});

describe('sis-sync sync refusals', () => {
  it.each([
    [[], 'exactly one of --csv'],
    [['--csv', '/no/such/export'], '/no/such/export does not exist'],
    [['--provider', 'not-an-id'], 'not a provider id'],
    [['--provider', '00000000-0000-4000-8000-000000000000'], 'not found'],
  ])('refuses %j with a plain message', { timeout: CLI_TIMEOUT }, async (args, message) => {
    const result = await runCli(['sync', ...args], env, CLI_TIMEOUT);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain('Failed query');
    expect(result.stdout).toBe('');
  });
});

describe('sis-sync sync on a data folder a server holds', () => {
  // The lock is the embedded database's: this runs without DATABASE_URL on either driver.
  const dataDir = tempDir('sync-locked-');
  const lockedEnv = { SIS_SYNC_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' };
  const server = startCli(['serve'], lockedEnv);
  afterAll(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  it('exits non-zero at once, naming the lock and the server', { timeout: CLI_TIMEOUT }, async () => {
    await waitForOutput(server, (out) => out.stdout.includes('listening on'));
    const district = tempDir('sync-locked-district-');
    await generate(district);
    // runCli kills what outlives its timeout: a hang shows as a null exit code, not a pass.
    const result = await runCli(['sync', '--csv', district, '--json'], lockedEnv, 30_000);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(path.join(dataDir, 'sis-sync.lock'));
    expect(result.stderr).toContain('in use by another sis-sync process');
    expect(result.stderr).toContain(`pid ${server.pid}`);
    expect(result.stderr).toContain('/api/v1/providers/<id>/sync');
    expect(result.stdout).toBe('');
    expect(server.exitCode).toBeNull();
  });
});
