import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { Config } from '../../src/config/config.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { findRun } from '../../src/repositories/runs-repository.js';
import { testConfig } from '../support/app.js';
import { startCli } from '../support/cli.js';
import { driver } from '../support/database.js';
import { faultPoint, reachedCommit, syncCommand, type FaultReport } from '../support/fault-command.js';
import { startInstance } from '../support/instance.js';
import { postgresBinaries, startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { rosterImage, whichImage, type RosterImage } from '../support/roster-image.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { writeDistrict } from '../support/workers.js';

/*
 * PostgreSQL restarted under a sync. A private server (never the shared one other suites use)
 * holds a roster at day N; `sis-sync sync` loads day N+1 and the server is restarted while the run
 * loads (caught by its phase and its write locks), and, for a few seeds, at a seeded statement of
 * the run (the fault suite's preload runs `pg_ctl restart` there). Each time: the run ends FAILURE
 * with an error that says the database went away and that nothing was applied (or, struck after
 * the commit, SUCCESS), the roster is exactly day N's or day N+1's, no run is left waiting or in
 * progress and no advisory lock is held, and the next run reaches day N+1.
 */

const TENANT = 'restart-district';
const STUDENTS = 400;
const DISTRICT_SEED = 13;
const NEXT_DAY = { edits: 0.3, enrollmentChanges: 0.05, drops: 0.02 };
const SEEDS =
  process.env.FAULT_SEED === undefined ? [1, 2, 3, 4] : process.env.FAULT_SEED.split(',').map(Number);
// A PostgreSQL matter: it runs in the PostgreSQL pass of the suite (TEST_DATABASE_URL set), on a
// private server of its own; the embedded database's own fault is the killed process.
const bindir = driver === 'postgres' ? postgresBinaries() : undefined;
if (driver === 'postgres' && bindir === undefined) {
  console.warn('postgres-restart: skipped, no PostgreSQL server binaries (initdb, pg_ctl) are installed');
}

describe.skipIf(bindir === undefined)('PostgreSQL restarted in the middle of a sync', () => {
  let cluster: PostgresCluster;
  let providerId: string;
  let baseRunId: string;
  let before: RosterImage;
  let after: RosterImage;
  let measured: FaultReport;
  const encryptionKey = randomBytes(32);
  const dataDir = mkdtempSync(path.join(inject('workDir'), 'restart-'));
  const configOf = (database: string): Config =>
    testConfig({ encryptionKey, databaseUrl: cluster.url(database), dataDir, syncLockTimeoutMs: 1_000 });
  const envOf = (database: string): Record<string, string> => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: cluster.url(database),
    SIS_SYNC_DATA_DIR: dataDir,
    SIS_SYNC_ENCRYPTION_KEY: encryptionKey.toString('base64'),
    JWT_SECRET: TEST_SECRETS.jwtSecret,
    SYNC_LOCK_TIMEOUT: '60000',
  });
  let databases = 0;
  /** A new database holding day N's roster. */
  const copyOfBase = async () => {
    const name = `sis_${++databases}`;
    await cluster.createDatabase(name, 'sis_base');
    return name;
  };
  const withDatabase = async <T>(database: string, fn: (handle: DatabaseHandle) => Promise<T>) => {
    const handle = await openDatabase({ kind: 'postgres', url: cluster.url(database) }, { command: 'test' });
    try {
      return await fn(handle);
    } finally {
      await handle.close();
    }
  };
  const imageOf = (database: string) => withDatabase(database, (h) => rosterImage(h, TENANT, baseRunId));

  /**
   * Once the command is gone: no session of it lingers with a lock; a worker settles whatever run
   * it left (gives up one in progress, runs one left queued); the next run reaches day N+1.
   */
  const expectRecovered = async (database: string) => {
    await withDatabase(database, async (handle) => {
      const locks = await handle.executeSql(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()`,
      );
      expect((locks as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
      const worker = await startInstance(configOf(database), handle, 'queue');
      try {
        await worker.settled(providerId);
        const next = await worker.sync(providerId);
        expect(next.status).toBe('SUCCESS');
        expect(whichImage(await rosterImage(handle, TENANT, baseRunId), { before, after })).toBe('after');
      } finally {
        await worker.stop();
      }
    });
  };

  beforeAll(async () => {
    cluster = await startPostgresCluster(bindir!);
    const district = mkdtempSync(path.join(inject('workDir'), 'restart-district-'));
    await writeDistrict(district, { students: STUDENTS, seed: DISTRICT_SEED, day: 0 });
    await cluster.createDatabase('sis_base');
    await withDatabase('sis_base', async (handle) => {
      await migrateDatabase(handle);
      const instance = await startInstance(configOf('sis_base'), handle, 'own-runs');
      providerId = await instance.csvProvider(TENANT, district);
      const first = await instance.sync(providerId);
      await instance.stop();
      expect(first.status).toBe('SUCCESS');
      baseRunId = first.id;
      before = await rosterImage(handle, TENANT, baseRunId);
    });
    await writeDistrict(district, { students: STUDENTS, seed: DISTRICT_SEED, day: 1, rates: NEXT_DAY });
    // One uninterrupted run of the command: day N+1's roster, and the statements a run sends.
    const reference = await copyOfBase();
    const { output, report } = await syncCommand(envOf(reference), providerId);
    expect(output.code, output.stderr).toBe(0);
    measured = report;
    after = await imageOf(reference);
    expect(whichImage(after, { before, after: before })).not.toBe('before');
  }, 600_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('a restart while the run loads fails the run, leaves the old roster, and the next run applies', async () => {
    const database = await copyOfBase();
    const child = startCli(['sync', '--provider', providerId, '--json'], envOf(database));
    const closed = new Promise((resolve) => child.on('close', resolve));
    // Caught in its load: the run says so, and an open transaction holds write locks on the roster.
    const watcher = new pg.Client({ connectionString: cluster.url(database) });
    await watcher.connect();
    try {
      for (;;) {
        const { rows } = await watcher.query<{ status: string; phase: string; writing: boolean }>(
          `SELECT r.status, r.phase, EXISTS (
             SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
             WHERE l.granted AND l.mode = 'RowExclusiveLock' AND c.relname = 'users' AND l.pid <> pg_backend_pid()
           ) AS writing
           FROM sis_sync_runs r WHERE r.provider_id = $1 AND r.id <> $2`,
          [providerId, baseRunId],
        );
        const run = rows[0];
        if (run !== undefined && !['PENDING', 'IN_PROGRESS'].includes(run.status)) {
          throw new Error(`the run ended before its load was caught: ${run.status}`);
        }
        if (run?.phase === 'loading' && run.writing) break;
        if (child.exitCode !== null) throw new Error(`the command ended first:\n${child.output().stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    } finally {
      await watcher.end();
    }
    await cluster.restart('fast');
    await closed;
    const output = child.output();
    expect(output.stdout.trimStart().startsWith('{'), `no report; the command said:\n${output.stderr}`).toBe(
      true,
    );
    const report = JSON.parse(output.stdout) as { runId: string; status: string; errorMessage: string };
    expect(report.status, output.stderr).toBe('FAILURE');
    const run = await withDatabase(database, (handle) => findRun(handle.db, report.runId));
    expect(run).toMatchObject({ status: 'FAILURE', phase: 'done', errorCode: 'database_unavailable' });
    expect(output.code).toBe(1);
    expect(report.errorMessage).toMatch(
      /^the connection to the database was lost \(.+\); nothing was applied$/,
    );
    expect(whichImage(await imageOf(database), { before, after })).toBe('before');
    await expectRecovered(database);
  }, 240_000);

  it.each(SEEDS)(
    'seed %i: a restart at a seeded statement leaves the old roster or the new one, and the next run applies',
    async (seed) => {
      const database = await copyOfBase();
      const point = {
        ...faultPoint(seed, measured),
        exec: cluster.restartCommand(seed % 2 === 0 ? 'fast' : 'immediate'),
      };
      const { output, report } = await syncCommand(envOf(database), providerId, point);
      const committed = reachedCommit(point, report);
      console.info(
        `seed ${seed}: restarted ${point.when} statement ${point.at}/${measured.statements} ` +
          `(${report.stage}: ${report.statement}); the command exited ${output.code}`,
      );
      expect(report.struck).toBe(true);
      expect(output.signal).toBe(null);
      expect(whichImage(await imageOf(database), { before, after })).toBe(committed ? 'after' : 'before');
      await expectRecovered(database);
    },
    240_000,
  );
});
