import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { driver } from '../support/database.js';
import { platformAdmin } from '../support/sync.js';
import {
  createSharedDeployment,
  killLeftovers,
  query,
  ROSTER_TABLES,
  rosterSnapshot,
  startWorker,
  stopProcess,
  waitFor,
  writeDistrict,
  type SharedDeployment,
  type WorkerProcess,
} from '../support/workers.js';

/*
 * A worker killed outright (SIGKILL: no shutdown, no last words) in the middle of a load. Its
 * transaction dies with its connection, so the roster is exactly as before; another worker sees
 * the run's heartbeat stop and fails it within SYNC_LOCK_TIMEOUT, naming the lost worker; the
 * provider is free again and its next run, on the surviving worker, applies the export.
 */

const LOCK_TIMEOUT_MS = 4_000;
/** What the survivor may add to the protocol's bound: its reaper's and this test's polling. */
const SLACK_MS = 1_500;
const TENANT = 'crash-district';
/** Big enough that loading the second export takes a couple of seconds on PostgreSQL. */
const STUDENTS = 4_000;
const SEED = 21;
/**
 * The second export: half the users edited, some enrollments moved and a few users dropped, each
 * well below the 10% of an entity that would hold the run for review.
 */
const DAY_ONE = { edits: 0.5, enrollmentChanges: 0.05, drops: 0.01 };

interface RunRow {
  id: string;
  status: string;
  phase: string | null;
  worker_id: string | null;
  error_code: string | null;
  error_message: string | null;
  stats: Record<string, Record<string, number>>;
  finished_at: Date | null;
}

describe.skipIf(driver !== 'postgres')('a worker killed in the middle of a load', () => {
  let deployment: SharedDeployment;
  let workers: WorkerProcess[] = [];
  let providerId: string;
  let districtDir: string;

  beforeAll(async () => {
    deployment = await createSharedDeployment({
      maxConcurrentSyncs: 2,
      lockTimeoutMs: LOCK_TIMEOUT_MS,
      pollIntervalMs: 100,
    });
    districtDir = mkdtempSync(path.join(inject('workDir'), 'district-'));
    await writeDistrict(districtDir, { students: STUDENTS, seed: SEED, day: 0 });
    providerId = (
      await deployment.deps.providers.create(
        { principal: platformAdmin },
        {
          tenantId: TENANT,
          providerType: 'ONEROSTER_CSV',
          name: 'District CSV',
          config: { localPath: districtDir },
        },
      )
    ).id;
    // Two workers sharing the queue: whichever takes the run is the one killed, the other survives.
    workers = await Promise.all([1, 2].map(() => startWorker(deployment.env())));
  }, 120_000);

  afterAll(async () => {
    await killLeftovers();
    await deployment?.close();
  });

  const runOf = async (id: string) =>
    (
      await query<RunRow>(
        deployment.handle,
        `SELECT id, status, phase, worker_id, error_code, error_message, stats, finished_at
         FROM sis_sync_runs WHERE id = $1`,
        [id],
      )
    )[0]!;
  const trigger = async () =>
    (await deployment.deps.runs.trigger({ principal: platformAdmin }, providerId, { dryRun: false })).id;
  /** Until the run no longer holds its provider (ended, or held for review). */
  const ended = (id: string, timeoutMs = 120_000) =>
    waitFor(
      async () => {
        const run = await runOf(id);
        return run.status === 'PENDING' || run.status === 'IN_PROGRESS' ? undefined : run;
      },
      { timeoutMs, intervalMs: 50, what: `run ${id} to end` },
    );
  /** Roster tables some open transaction of this database is writing (holds ROW EXCLUSIVE on). */
  const rosterWriteLocks = async () =>
    (
      await query<{ relname: string }>(
        deployment.handle,
        `SELECT DISTINCT c.relname FROM pg_locks l
         JOIN pg_class c ON c.oid = l.relation
         JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE a.datname = current_database() AND l.granted AND l.mode = 'RowExclusiveLock'
           AND c.relname = ANY($1::text[])
         ORDER BY 1`,
        [[...ROSTER_TABLES]],
      )
    ).map((r) => r.relname);
  const lastSyncStatus = async () =>
    (
      await query<{ last_sync_status: string }>(
        deployment.handle,
        'SELECT last_sync_status FROM sis_providers WHERE id = $1',
        [providerId],
      )
    )[0]?.last_sync_status;

  it('the run fails as worker_lost within the lock timeout, the roster is untouched, and the next run applies', async () => {
    // The roster a first sync built.
    const first = await ended(await trigger());
    expect(first).toMatchObject({ status: 'SUCCESS' });
    const before = await rosterSnapshot(deployment.handle, TENANT);
    expect(before.users!.rows).toBeGreaterThan(STUDENTS);

    // The next export changes many records: the load has real work.
    await writeDistrict(districtDir, { students: STUDENTS, seed: SEED, day: 1, rates: DAY_ONE });
    const runId = await trigger();
    // Caught in the middle of its load: the run is loading, and a transaction of the database
    // holds write locks on roster tables (only a load writes them) without having committed.
    let writing: string[] = [];
    const loading = await waitFor(
      async () => {
        const run = await runOf(runId);
        if (run.status !== 'PENDING' && run.status !== 'IN_PROGRESS') {
          throw new Error(`the run ended before its load was caught: ${run.status}`);
        }
        if (run.phase !== 'loading') return undefined;
        writing = await rosterWriteLocks();
        return writing.length > 0 ? run : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 20, what: 'the run to be in the middle of its load' },
    );
    const victim = workers.find((w) => w.id === loading.worker_id);
    const survivor = workers.find((w) => w.id !== loading.worker_id)!;
    expect(victim, `run taken by ${loading.worker_id}`).toBeDefined();

    victim!.child.kill('SIGKILL');
    const killedAt = Date.now();
    // Still in progress when the worker died: its load had not committed.
    expect(await runOf(runId)).toMatchObject({ status: 'IN_PROGRESS', phase: 'loading' });
    const exit = await stopProcess(victim!.child, 'SIGKILL', 10_000);
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' });

    // The survivor gives the run up: FAILURE, worker_lost, the lost worker named, nothing applied.
    const failed = await ended(runId, LOCK_TIMEOUT_MS + SLACK_MS + 5_000);
    const killToFailure = failed.finished_at!.getTime() - killedAt;
    console.info(
      `load caught writing ${writing.join(', ')} on ${victim!.id}; killed; FAILURE recorded ${killToFailure} ms later ` +
        `(observed ${Date.now() - killedAt} ms after the kill)`,
    );
    expect(failed).toMatchObject({ status: 'FAILURE', phase: 'done', error_code: 'worker_lost' });
    expect(failed.error_message).toContain(victim!.id);
    expect(failed.error_message).toContain('during loading');
    expect(failed.error_message).toContain('nothing was applied');
    expect(killToFailure).toBeLessThanOrEqual(LOCK_TIMEOUT_MS + SLACK_MS);
    // The provider says so too. Polled: failAbandonedRuns writes the run and then the provider in
    // two statements outside a transaction, so for a moment the run is FAILURE and the provider
    // still SUCCESS (observed; reported, not fixed here).
    await waitFor(async () => (await lastSyncStatus()) === 'FAILURE', {
      timeoutMs: 2_000,
      intervalMs: 20,
      what: "the provider's last sync status to be FAILURE",
    });

    // Not one row of the roster changed.
    expect(await rosterSnapshot(deployment.handle, TENANT)).toEqual(before);

    // The provider is free: the next run goes to the survivor and applies the export.
    const next = await ended(await trigger());
    expect(next).toMatchObject({ status: 'SUCCESS', worker_id: survivor.id, error_code: null });
    expect(next.stats.users!.updated).toBeGreaterThan(STUDENTS / 4);
    expect(await lastSyncStatus()).toBe('SUCCESS');
    const after = await rosterSnapshot(deployment.handle, TENANT);
    expect(after.users!.digest).not.toBe(before.users!.digest);
    expect(after.enrollments!.digest).not.toBe(before.enrollments!.digest);

    expect(await stopProcess(survivor.child, 'SIGTERM', 30_000)).toEqual({ code: 0, signal: null });
  }, 240_000);
});
