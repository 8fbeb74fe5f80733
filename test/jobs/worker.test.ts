import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildDependencies } from '../../src/dependencies.js';
import { generateDistrict } from '../../src/generator/generate-district.js';
import { writeOneRosterPackage } from '../../src/generator/write-oneroster-package.js';
import { findProvider } from '../../src/repositories/providers-repository.js';
import { claimRun, createRun, findRun, type RunRow } from '../../src/repositories/runs-repository.js';
import { createTestApp, waitUntilIdle, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { createTestLogger } from '../support/logger.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, syncNow } from '../support/sync.js';

const actor = { principal: platformAdmin };

/** The most runs whose [started, finished] intervals overlap at one instant. */
function maxOverlap(runs: readonly RunRow[]): number {
  const events = runs.flatMap((r) => [
    { at: r.startedAt!.getTime(), delta: 1 },
    { at: r.finishedAt!.getTime(), delta: -1 },
  ]);
  // An end and a start at the same millisecond do not overlap: ends first.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let max = 0;
  for (const e of events) {
    current += e.delta;
    max = Math.max(max, current);
  }
  return max;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe(`workers on ${driver}`, () => {
  describe('MAX_CONCURRENT_SYNCS across workers', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ maxConcurrentSyncs: 2 });
    });
    afterAll(async () => t.close());

    it('two workers on one database never run more than MAX_CONCURRENT_SYNCS at once, and run everything', async () => {
      // A second worker beside the test app's own, as a second instance would be.
      const second = buildDependencies(t.config, t.handle, createTestLogger(), { worker: 'queue' });
      await second.start();
      try {
        const district = generateDistrict({ students: 60, seed: 5 });
        const providers: string[] = [];
        for (let i = 0; i < 6; i++) {
          const dir = mkdtempSync(path.join(tmpdir(), 'sis-sync-worker-'));
          await writeOneRosterPackage(district, dir);
          providers.push(await csvProvider(t, `slots-${i}`, dir));
        }
        const started = [];
        for (const providerId of providers) {
          started.push(await t.deps.runs.trigger(actor, providerId, { dryRun: false }));
        }
        await t.idle();
        const runs = await Promise.all(started.map(async (r) => (await findRun(t.handle.db, r.id))!));
        expect(runs.map((r) => r.status)).toEqual(Array(6).fill('SUCCESS'));
        expect(maxOverlap(runs)).toBeLessThanOrEqual(2);
        expect(new Set(runs.map((r) => r.workerId)).size).toBeGreaterThanOrEqual(1);
      } finally {
        await second.stop();
      }
    });
  });

  describe('a worker that stopped reporting', () => {
    let t: TestApp;
    beforeAll(async () => {
      // Reports every 250 ms; a run without one for 500 ms is given up.
      t = await createTestApp({ syncLockTimeoutMs: 1000 });
    });
    afterAll(async () => t.close());

    it('is given up within the lock timeout: its run fails with a clear message, the provider is free, the next run succeeds', async () => {
      const providerId = await csvProvider(t, 'lost-worker', writePackage(smallDistrict()));
      // Nothing listens there: the delivery's record is what this test reads.
      await t.deps.webhooks.create({ principal: platformAdmin }, 'lost-worker', {
        url: 'http://127.0.0.1:9/hook',
        events: ['run.failed'],
      });
      const created = await createRun(t.handle.db, {
        tenantId: 'lost-worker',
        providerId,
        trigger: 'MANUAL',
        triggeredBy: 'someone',
        dryRun: false,
      });
      if (!created.created) throw new Error('the provider had a run');
      // Taken by a worker of another instance that then died: its heartbeat stops.
      await t.handle.db.transaction((tx) => claimRun(tx, created.run.id, 'sync', 'gone-host:4242:dead'));
      const lostAt = Date.now();

      const failed = await until(async () => {
        const run = await findRun(t.handle.db, created.run.id);
        return run?.status === 'FAILURE' ? run : undefined;
      }, 'the abandoned run to be given up');
      expect(Date.now() - lostAt).toBeLessThan(5000);
      expect(failed.errorCode).toBe('worker_lost');
      expect(failed.errorMessage).toContain('gone-host:4242:dead');
      expect(failed.errorMessage).toContain('nothing was applied');
      expect((await findProvider(t.handle.db, providerId))?.lastSyncStatus).toBe('FAILURE');
      expect(await rows(t, `SELECT 1 FROM users WHERE tenant_id = 'lost-worker'`)).toEqual([]);
      // The worker that gave it up says it failed, since its own worker cannot (right after the
      // transaction that recorded the failure: polled).
      const told = await until(async () => {
        const found = await rows(
          t,
          `SELECT event FROM sis_webhook_deliveries WHERE run_id = '${created.run.id}'`,
        );
        return found.length > 0 ? found : undefined;
      }, 'the run.failed notice');
      expect(told).toEqual([{ event: 'run.failed' }]);

      const next = await syncNow(t, providerId);
      expect(next.status).toBe('SUCCESS');
    });

    it('keeps its own long runs: a live worker is never given up', async () => {
      const providerId = await csvProvider(t, 'live-worker', writePackage(smallDistrict()));
      const run = await syncNow(t, providerId);
      expect(run.status).toBe('SUCCESS');
      const lost = await rows(
        t,
        `SELECT 1 FROM sis_sync_runs WHERE error_code = 'worker_lost' AND provider_id = '${providerId}'`,
      );
      expect(lost).toEqual([]);
    });
  });

  describe('graceful shutdown', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({}, { worker: 'none' });
    });
    afterAll(async () => t.close());

    it('stops taking work, rolls back the run in progress and says the worker shut down', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sis-sync-shutdown-'));
      await writeOneRosterPackage(generateDistrict({ students: 1500, seed: 9 }), dir);
      const providerId = await csvProvider(t, 'shutdown', dir);
      const worker = buildDependencies(t.config, t.handle, createTestLogger(), { worker: 'queue' });
      await worker.start();
      const run = await t.deps.runs.trigger(actor, providerId, { dryRun: false });
      await until(
        async () => ((await findRun(t.handle.db, run.id))?.status === 'IN_PROGRESS' ? true : undefined),
        'the run to start',
      );
      await worker.stop();

      const ended = (await findRun(t.handle.db, run.id))!;
      expect(ended.status).toBe('CANCELLED');
      expect(ended.errorCode).toBe('shutdown');
      expect(ended.errorMessage).toContain('shut down before the run finished; nothing was applied');
      expect(await rows(t, `SELECT 1 FROM users WHERE tenant_id = 'shutdown'`)).toEqual([]);

      // A run queued while no worker runs waits for the next one.
      const queued = await t.deps.runs.trigger(actor, providerId, { dryRun: false });
      expect((await findRun(t.handle.db, queued.id))?.status).toBe('PENDING');
      const next = buildDependencies(t.config, t.handle, createTestLogger(), { worker: 'queue' });
      await next.start();
      try {
        await waitUntilIdle(next);
        expect((await findRun(t.handle.db, queued.id))?.status).toBe('SUCCESS');
      } finally {
        await next.stop();
      }
      const [count] = await rows<{ n: number }>(
        t,
        `SELECT count(*)::int AS n FROM users WHERE tenant_id = 'shutdown'`,
      );
      expect(count!.n).toBeGreaterThan(1500);
    });
  });
});
