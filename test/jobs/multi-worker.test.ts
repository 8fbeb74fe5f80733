import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { mintDevToken } from '../../src/auth/dev-token.js';
import { driver } from '../support/database.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { platformAdmin } from '../support/sync.js';
import {
  createSharedDeployment,
  killLeftovers,
  logLines,
  maxOverlap,
  query,
  spawnCli,
  startWorker,
  stopProcess,
  waitFor,
  writeDistrict,
  type SharedDeployment,
  type WorkerProcess,
} from '../support/workers.js';

/*
 * A deployment of several instances on one PostgreSQL: three `sis-sync worker` processes and a
 * `sis-sync serve --no-worker`. Twelve providers fall due in the same minute: each runs exactly
 * once, by whichever worker takes it, and the runs' own timestamps never show more than
 * MAX_CONCURRENT_SYNCS at once. A manual run asked of the API is executed by a worker, never by
 * the API process. SIGTERM stops every process cleanly.
 */

const MAX_CONCURRENT = 3;
const PROVIDERS = 12;
/** About 1.5 s per run alone on PostgreSQL: long enough for runs to overlap. */
const STUDENTS = 300;
/** The schedule's minute is at least this far ahead, so every provider is queued before it. */
const LEAD_MS = 15_000;

interface RunRow {
  id: string;
  provider_id: string;
  status: string;
  trigger: string;
  worker_id: string | null;
  error_code: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** The parts of the API's answers this test reads. */
interface ApiBody {
  id?: string;
  runId?: string;
  run?: { id: string; status: string; trigger: string };
  error?: { code: string; message: string; details?: Record<string, unknown> };
}

const pidOf = (workerId: string | null) => Number(/:(\d+):[0-9a-f]+$/.exec(workerId ?? '')?.[1]);

describe.skipIf(driver !== 'postgres')('several workers on one PostgreSQL', () => {
  let deployment: SharedDeployment;
  let workers: WorkerProcess[] = [];
  let districtDir: string;

  beforeAll(async () => {
    deployment = await createSharedDeployment({
      maxConcurrentSyncs: MAX_CONCURRENT,
      lockTimeoutMs: 60_000,
      pollIntervalMs: 200,
    });
    districtDir = mkdtempSync(path.join(inject('workDir'), 'district-'));
    await writeDistrict(districtDir, { students: STUDENTS, seed: 11, day: 0 });
    workers = await Promise.all([1, 2, 3].map(() => startWorker(deployment.env())));
  }, 120_000);

  afterAll(async () => {
    await killLeftovers();
    await deployment?.close();
  });

  const runsOf = (providerIds: readonly string[]) =>
    query<RunRow>(
      deployment.handle,
      `SELECT id, provider_id, status, trigger, worker_id, error_code, created_at, started_at, finished_at
       FROM sis_sync_runs WHERE provider_id = ANY($1::uuid[]) ORDER BY started_at`,
      [providerIds],
    );

  it('twelve providers due in the same minute: each runs once, at most MAX_CONCURRENT_SYNCS at a time', async () => {
    // The first whole minute at least LEAD_MS away, as a daily cron for that one minute (UTC).
    const due = new Date(Math.ceil((Date.now() + LEAD_MS) / 60_000) * 60_000);
    const cron = `${due.getUTCMinutes()} ${due.getUTCHours()} * * *`;
    const providerIds: string[] = [];
    for (let i = 1; i <= PROVIDERS; i++) {
      // A tenant each: the loads write disjoint rosters.
      const view = await deployment.deps.providers.create(
        { principal: platformAdmin },
        {
          tenantId: `district-${String(i).padStart(2, '0')}`,
          providerType: 'ONEROSTER_CSV',
          name: `Nightly CSV ${i}`,
          config: { localPath: districtDir },
          syncSchedule: cron,
          syncTimezone: 'UTC',
        },
      );
      providerIds.push(view.id);
    }
    expect(Date.now()).toBeLessThan(due.getTime());
    const scheduled = await query<{ next_run_at: Date }>(
      deployment.handle,
      'SELECT next_run_at FROM sis_providers WHERE id = ANY($1::uuid[])',
      [providerIds],
    );
    expect(scheduled.map((p) => p.next_run_at.getTime())).toEqual(providerIds.map(() => due.getTime()));
    expect(await runsOf(providerIds)).toEqual([]);

    const ended = await waitFor(
      async () => {
        const runs = await runsOf(providerIds);
        const over = runs.filter((r) => r.status !== 'PENDING' && r.status !== 'IN_PROGRESS');
        return over.length >= PROVIDERS ? runs : undefined;
      },
      {
        timeoutMs: due.getTime() - Date.now() + 120_000,
        intervalMs: 250,
        what: `${PROVIDERS} scheduled runs`,
      },
    );
    const lastEnd = Math.max(...ended.map((r) => r.finished_at?.getTime() ?? 0));
    // Nothing left to take, and a quiet spell of many polls of every worker: a second run of any
    // provider (a schedule fired twice, a job taken twice) would show up in it.
    await waitFor(async () => (await deployment.deps.queue.size('sis-sync-run')) === 0, {
      timeoutMs: 10_000,
      what: 'the run queue to empty',
    });
    await new Promise((resolve) => setTimeout(resolve, 10 * 200));
    const runs = await runsOf(providerIds);

    // Exactly one run per provider, each a scheduled one that succeeded; none skipped.
    expect(runs).toHaveLength(PROVIDERS);
    expect(new Set(runs.map((r) => r.provider_id))).toEqual(new Set(providerIds));
    for (const run of runs) {
      expect(run, run.id).toMatchObject({ status: 'SUCCESS', trigger: 'SCHEDULE', error_code: null });
      // Created when the schedule fired, not before.
      expect(run.created_at.getTime()).toBeGreaterThanOrEqual(due.getTime());
    }

    // Each schedule moved on to the same minute of the next day, and is queued for it.
    const providers = await query<{ next_run_at: Date; last_sync_status: string; schedule_job_id: string }>(
      deployment.handle,
      'SELECT next_run_at, last_sync_status, schedule_job_id FROM sis_providers WHERE id = ANY($1::uuid[])',
      [providerIds],
    );
    for (const provider of providers) {
      expect(provider.next_run_at.getTime()).toBe(due.getTime() + 24 * 3600_000);
      expect(provider.last_sync_status).toBe('SUCCESS');
      expect(provider.schedule_job_id).toEqual(expect.any(String));
    }
    expect(await deployment.deps.queue.size('sis-sync-schedule')).toBe(PROVIDERS);

    // Only the three workers ran them.
    const workerIds = new Set(workers.map((w) => w.id));
    const usedWorkers = new Set(runs.map((r) => r.worker_id));
    for (const id of usedWorkers) expect(workerIds).toContain(id);

    // The runs' own timestamps: never more than MAX_CONCURRENT_SYNCS at once, and more than one.
    // A run's started_at is stamped under the slot lock, after the end of the run whose slot it
    // took had committed (finished_at stamped before that commit), so runs whose intervals overlap
    // here really held slots at the same time.
    const intervals = runs.map((r) => ({ start: r.started_at!, end: r.finished_at! }));
    const overlap = maxOverlap(intervals);
    const durations = intervals.map((i) => i.end.getTime() - i.start.getTime());
    console.info(
      `${PROVIDERS} scheduled runs: due ${due.toISOString()}, first start +${
        Math.min(...intervals.map((i) => i.start.getTime())) - due.getTime()
      } ms, last end +${lastEnd - due.getTime()} ms; run durations ${Math.min(...durations)}-${Math.max(
        ...durations,
      )} ms; max overlap ${overlap}; runs per worker ${JSON.stringify(
        workers.map((w) => runs.filter((r) => r.worker_id === w.id).length),
      )}`,
    );
    expect(overlap).toBeLessThanOrEqual(MAX_CONCURRENT);
    expect(overlap).toBeGreaterThan(1);
    // Which workers took part is not promised: a worker that frees a slot looks again at once and
    // often takes it back, so one worker may run most (observed 20 runs as 6/7/7, 2/6/12, 10/2/8,
    // 10/10/0). Only that some worker did is asserted; the split is logged above.
    expect(usedWorkers.size).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('a manual run asked of `serve --no-worker` is executed by a worker; a second request meanwhile is 409', async () => {
    const server = spawnCli(['serve', '--no-worker'], deployment.env({ PORT: '0', HOST: '127.0.0.1' }));
    const urlOf = () => /listening on (http:\/\/\S+?)[\s"(]/.exec(server.output().stdout)?.[1];
    const url = await waitFor(() => urlOf() ?? (server.exitCode !== null ? 'exited' : undefined), {
      timeoutMs: 60_000,
      what: 'the API to listen',
    });
    expect(url, server.output().stderr).not.toBe('exited');
    const token = await mintDevToken({
      secret: TEST_SECRETS.jwtSecret,
      role: 'PLATFORM_ADMIN',
      tenantId: undefined,
      subject: 'ops@platform',
      ttlSeconds: 600,
    });
    const call = async (method: 'GET' | 'POST', route: string, body?: unknown) => {
      const res = await fetch(`${url}/api/v1${route}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as ApiBody };
    };

    // A bigger district, so that the run is still going when the second request comes.
    const bigDir = mkdtempSync(path.join(inject('workDir'), 'district-'));
    await writeDistrict(bigDir, { students: 1500, seed: 12, day: 0 });
    const created = await call('POST', '/providers', {
      tenantId: 'district-manual',
      providerType: 'ONEROSTER_CSV',
      name: 'Manual CSV',
      config: { localPath: bigDir },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const providerId = created.body.id!;

    const first = await call('POST', `/providers/${providerId}/sync`);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    const runId = first.body.runId!;
    const taken = await waitFor(
      async () => {
        const [run] = await runsOf([providerId]);
        return run?.status === 'IN_PROGRESS' && run.worker_id !== null ? run : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20, what: 'a worker to take the run' },
    );
    expect(taken.id).toBe(runId);

    const second = await call('POST', `/providers/${providerId}/sync`);
    expect(second.status, JSON.stringify(second.body)).toBe(409);
    expect(second.body.error).toMatchObject({
      code: 'sync_already_running',
      details: { runId, status: 'IN_PROGRESS' },
    });
    expect(second.body.error?.message).toContain(runId);

    const done = await waitFor(
      async () => {
        const res = await call('GET', `/runs/${runId}`);
        return res.body.run?.status === 'IN_PROGRESS' ? undefined : res.body.run;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the manual run to end' },
    );
    expect(done).toMatchObject({ id: runId, status: 'SUCCESS', trigger: 'MANUAL' });

    // Executed by one of the worker processes, never by the API process.
    const [run] = await runsOf([providerId]);
    expect(workers.map((w) => w.id)).toContain(run!.worker_id);
    expect(workers.map((w) => w.pid)).toContain(pidOf(run!.worker_id));
    expect(pidOf(run!.worker_id)).not.toBe(server.pid);
    const byServer = await query(deployment.handle, 'SELECT id FROM sis_sync_runs WHERE worker_id LIKE $1', [
      `%:${server.pid}:%`,
    ]);
    expect(byServer).toEqual([]);
    expect(logLines(server).filter((l) => l.msg === 'run started' || l.msg === 'worker started')).toEqual([]);
    const runner = workers.find((w) => w.id === run!.worker_id)!;
    expect(logLines(runner.child)).toContainEqual(expect.objectContaining({ msg: 'run started', runId }));

    expect(await stopProcess(server, 'SIGTERM')).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('every worker shuts down cleanly on SIGTERM', async () => {
    const stopped = await Promise.all(workers.map((w) => stopProcess(w.child, 'SIGTERM', 30_000)));
    expect(stopped).toEqual(workers.map(() => ({ code: 0, signal: null })));
    for (const worker of workers) {
      expect(logLines(worker.child).map((l) => l.msg)).toContain('stopped');
    }
    // Nothing was left holding a slot.
    expect(
      await query(
        deployment.handle,
        "SELECT id FROM sis_sync_runs WHERE status IN ('PENDING', 'IN_PROGRESS')",
      ),
    ).toEqual([]);
  });
});
