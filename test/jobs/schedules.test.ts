import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { claimNextRun } from '../../src/jobs/run-job.js';
import { fireNextSchedule } from '../../src/jobs/schedule-job.js';
import { findProvider } from '../../src/repositories/providers-repository.js';
import { listProviderRuns, type RunRow } from '../../src/repositories/runs-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin } from '../support/sync.js';

/**
 * Schedules on a fixed clock: nothing here waits for real time. A provider's next fire is a
 * delayed job in the queue; with the test clock set in the past (2025) the queue hands it out at
 * once, and it fires (fireNextSchedule, as a worker does) only once the test clock has reached it.
 */
let t: TestApp;
let now = new Date('2025-01-01T00:00:00Z');
const at = (iso: string) => {
  now = new Date(iso);
};
const fire = () => fireNextSchedule(t.handle.db, t.deps.queue, () => now);
const actor = { principal: platformAdmin };

beforeAll(async () => {
  // No worker: the test fires schedules and takes runs itself.
  t = await createTestApp({}, { worker: 'none', clock: () => now });
});
afterAll(async () => t.close());

const created: string[] = [];
async function scheduled(tenant: string, fields: Record<string, unknown>): Promise<string> {
  const id = await csvProvider(t, tenant, writePackage(smallDistrict()), fields);
  created.push(id);
  return id;
}

// A test's providers must not fire in the next one: their queued fires are withdrawn.
afterEach(async () => {
  for (const id of created.splice(0)) {
    if ((await findProvider(t.handle.db, id))?.enabled) {
      await t.deps.providers.update(actor, id, { enabled: false });
    }
  }
});

async function row(providerId: string) {
  const found = await findProvider(t.handle.db, providerId);
  if (found === undefined) throw new Error(`provider ${providerId} not found`);
  return found;
}

async function runsOf(providerId: string): Promise<RunRow[]> {
  return (await listProviderRuns(t.handle.db, providerId, { limit: 50, offset: 0 })).runs;
}

/** Fires every due schedule (other tests' providers too) and returns the firings of this one. */
async function fireAllFor(providerId: string) {
  const firings = [];
  for (;;) {
    const firing = await fire();
    if (!firing.fired) return firings;
    if (firing.providerId === providerId) firings.push(firing);
  }
}

describe(`schedules on ${driver}`, () => {
  it('queues the first fire in the provider time zone; a daily run on the spring-forward day falls at 03:00', async () => {
    at('2025-03-08T12:00:00Z');
    const providerId = await scheduled('sched-dst', {
      syncSchedule: 'daily',
      syncTimezone: 'America/New_York',
    });
    const provider = await row(providerId);
    // 02:00 does not exist in New York on 2025-03-09: the run falls at 03:00 EDT.
    expect(provider.nextRunAt?.toISOString()).toBe('2025-03-09T07:00:00.000Z');
    expect(provider.scheduleJobId).not.toBeNull();
    const view = await t.deps.providers.get(actor, providerId);
    expect(view.nextSyncAt?.toISOString()).toBe('2025-03-09T07:00:00.000Z');

    at('2025-03-09T07:00:02Z');
    const [firing, ...more] = await fireAllFor(providerId);
    expect(more).toEqual([]);
    expect(firing).toMatchObject({ fired: true, providerId });
    const runs = await runsOf(providerId);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      id: firing!.runId,
      status: 'PENDING',
      trigger: 'SCHEDULE',
      triggeredBy: null,
    });
    // The next one, back on 02:00 EDT, is queued; nothing else is due.
    expect((await row(providerId)).nextRunAt?.toISOString()).toBe('2025-03-10T06:00:00.000Z');
    expect(await fireAllFor(providerId)).toEqual([]);
  });

  it('on the fall-back day a 01:30 schedule runs once, not twice', async () => {
    at('2025-11-01T12:00:00Z');
    const providerId = await scheduled('sched-fall', {
      syncSchedule: '30 1 * * *',
      syncTimezone: 'America/New_York',
    });
    expect((await row(providerId)).nextRunAt?.toISOString()).toBe('2025-11-02T05:30:00.000Z');
    at('2025-11-02T05:30:01Z');
    expect(await fireAllFor(providerId)).toHaveLength(1);
    // 01:30 comes again an hour later (EST), but the next fire is the next day.
    expect((await row(providerId)).nextRunAt?.toISOString()).toBe('2025-11-03T06:30:00.000Z');
    at('2025-11-02T06:30:01Z');
    expect(await fireAllFor(providerId)).toEqual([]);
  });

  it('each preset fires at its local time', async () => {
    at('2025-01-06T12:00:00Z'); // a Monday; Chicago is UTC-6 in January
    const expected: Record<string, string> = {
      hourly: '2025-01-06T13:00:00.000Z',
      'every-6-hours': '2025-01-06T18:00:00.000Z',
      'twice-daily': '2025-01-06T20:00:00.000Z',
      daily: '2025-01-07T08:00:00.000Z',
      weekdays: '2025-01-07T08:00:00.000Z',
      weekly: '2025-01-12T08:00:00.000Z',
    };
    for (const [preset, next] of Object.entries(expected)) {
      const providerId = await scheduled(`sched-${preset}`, {
        syncSchedule: preset,
        syncTimezone: 'America/Chicago',
      });
      expect((await row(providerId)).nextRunAt?.toISOString(), preset).toBe(next);
    }
  });

  it('skips a scheduled run inside a blackout window and records why; a manual run still goes', async () => {
    at('2025-06-18T12:00:00Z');
    const providerId = await scheduled('sched-blackout', {
      syncSchedule: 'daily',
      syncTimezone: 'America/Chicago',
      blackoutWindows: [{ start: '2025-06-19', end: '2025-06-20', reason: 'summer rollover' }],
    });
    // The schedule still fires inside the window (to record the skip); the view says which runs are skipped.
    expect((await row(providerId)).nextRunAt?.toISOString()).toBe('2025-06-19T07:00:00.000Z');
    const view = await t.deps.providers.get(actor, providerId);
    expect(view.nextSyncAt?.toISOString()).toBe('2025-06-21T07:00:00.000Z');

    for (const day of ['2025-06-19', '2025-06-20']) {
      at(`${day}T07:00:01Z`);
      expect(await fireAllFor(providerId)).toEqual([{ fired: true, providerId, runId: undefined }]);
    }
    const skipped = await runsOf(providerId);
    expect(skipped.map((r) => [r.status, r.trigger, r.errorCode])).toEqual([
      ['SKIPPED', 'SCHEDULE', 'blackout'],
      ['SKIPPED', 'SCHEDULE', 'blackout'],
    ]);
    expect(skipped[0]?.errorMessage).toContain('2025-06-20T07:00:00.000Z');
    expect(skipped[0]?.errorMessage).toContain('summer rollover');
    expect(skipped[0]?.finishedAt).not.toBeNull();

    const manual = await t.deps.runs.trigger(actor, providerId, { dryRun: false });
    expect(manual).toMatchObject({ status: 'PENDING', trigger: 'MANUAL' });

    // The day after the window the schedule runs again (the manual run is still queued: skipped).
    at('2025-06-21T07:00:01Z');
    await fireAllFor(providerId);
    const [latest] = await runsOf(providerId);
    expect(latest).toMatchObject({ status: 'SKIPPED', errorCode: 'already_running' });
    expect(latest?.errorMessage).toContain(manual.id);
  });

  it('disable withdraws the queued fire, enable queues it again, delete withdraws it for good', async () => {
    at('2025-02-01T12:00:00Z');
    const providerId = await scheduled('sched-toggle', { syncSchedule: 'hourly' });
    const first = await row(providerId);
    expect(first.nextRunAt?.toISOString()).toBe('2025-02-01T13:00:00.000Z');

    await t.deps.providers.update(actor, providerId, { enabled: false });
    expect(await row(providerId)).toMatchObject({ nextRunAt: null, scheduleJobId: null });
    expect((await t.deps.providers.get(actor, providerId)).nextSyncAt).toBeNull();
    at('2025-02-01T13:00:01Z');
    expect(await fireAllFor(providerId)).toEqual([]);
    expect(await runsOf(providerId)).toEqual([]);
    await expect(t.deps.runs.trigger(actor, providerId, { dryRun: false })).rejects.toThrow(
      'Provider disabled',
    );

    await t.deps.providers.update(actor, providerId, { enabled: true });
    const enabled = await row(providerId);
    expect(enabled.nextRunAt?.toISOString()).toBe('2025-02-01T14:00:00.000Z');
    expect(enabled.scheduleJobId).not.toBe(first.scheduleJobId);

    await t.deps.providers.remove(actor, providerId);
    at('2025-02-01T14:00:01Z');
    expect(await fireAllFor(providerId)).toEqual([]);
    expect(await runsOf(providerId)).toEqual([]);
  });

  it('an edited cron or time zone replaces the queued fire; the replaced job does nothing', async () => {
    at('2025-04-07T12:00:00Z');
    const providerId = await scheduled('sched-edit', { syncSchedule: '0 6 * * *' });
    const before = await row(providerId);
    expect(before.nextRunAt?.toISOString()).toBe('2025-04-08T06:00:00.000Z');
    // A job taken while an edit replaced it (the provider now points at another): queued here
    // before the edits, so that it is the first handed out below.
    await t.handle.db.transaction((tx) =>
      t.deps.queue.send(tx, 'sis-sync-schedule', { providerId, dueAt: '2025-04-07T13:00:00.000Z' }),
    );

    await t.deps.providers.update(actor, providerId, { syncSchedule: '15 22 * * 1-5' });
    expect((await row(providerId)).nextRunAt?.toISOString()).toBe('2025-04-07T22:15:00.000Z');
    await t.deps.providers.update(actor, providerId, { syncTimezone: 'Europe/Berlin' });
    const after = await row(providerId);
    expect(after.nextRunAt?.toISOString()).toBe('2025-04-07T20:15:00.000Z');

    at('2025-04-07T13:00:01Z');
    expect(await fireAllFor(providerId)).toEqual([{ fired: true, providerId, runId: undefined }]);
    expect(await runsOf(providerId)).toEqual([]);
    expect((await row(providerId)).scheduleJobId).toBe(after.scheduleJobId);

    at('2025-04-07T20:15:01Z');
    expect(await fireAllFor(providerId)).toHaveLength(1);
    expect(await runsOf(providerId)).toHaveLength(1);
  });

  it('after downtime a missed schedule runs once, and the next fire is in the future', async () => {
    at('2025-05-03T12:00:00Z');
    const providerId = await scheduled('sched-catch-up', { syncSchedule: 'every-6-hours' });
    at('2025-05-06T09:30:00Z'); // three days without a worker
    expect(await fireAllFor(providerId)).toHaveLength(1);
    expect((await row(providerId)).nextRunAt?.toISOString()).toBe('2025-05-06T12:00:00.000Z');
  });

  it('a queued run of a provider disabled before a worker takes it never starts', async () => {
    at('2025-07-01T12:00:00Z');
    const providerId = await scheduled('sched-disabled-queued', {});
    const queued = await t.deps.runs.trigger(actor, providerId, { dryRun: false });
    await t.deps.providers.update(actor, providerId, { enabled: false });
    let claim;
    do claim = await claimNextRun(t.handle.db, t.deps.queue, { workerId: 'test', maxConcurrent: 5 });
    while (
      claim.outcome === 'claimed' ||
      (claim.outcome === 'stale' && (await runsOf(providerId))[0]?.status === 'PENDING')
    );
    const [run] = await runsOf(providerId);
    expect(run).toMatchObject({
      id: queued.id,
      status: 'CANCELLED',
      errorCode: 'provider_disabled',
      startedAt: null,
    });
    expect(run?.errorMessage).toContain('disabled before the run started');
  });

  it('a provider without a schedule has no queued fire; giving it one queues it', async () => {
    at('2025-08-02T12:00:00Z');
    const providerId = await scheduled('sched-none', {});
    expect(await row(providerId)).toMatchObject({ nextRunAt: null, scheduleJobId: null });
    await t.deps.providers.update(actor, providerId, { syncSchedule: 'weekly' });
    expect((await row(providerId)).nextRunAt?.toISOString()).toBe('2025-08-03T02:00:00.000Z');
    await t.deps.providers.update(actor, providerId, { syncSchedule: null });
    expect(await row(providerId)).toMatchObject({ nextRunAt: null, scheduleJobId: null });
  });
});
