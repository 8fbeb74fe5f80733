import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { buildApp } from '../../src/api/app.js';
import type { ApiInstance } from '../../src/api/types.js';
import { auditLog } from '../../src/db/schema/index.js';
import { findProvider, type ProviderRow } from '../../src/repositories/providers-repository.js';
import { createProviderService, type ScheduleKeeper } from '../../src/services/provider-service.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { providerBody } from '../support/factories.js';
import { createTestLogger } from '../support/logger.js';
import { TEST_SECRETS } from '../support/secrets.js';

/** Each call of the keeper, with the row it was given as the transaction saw it. */
interface KeeperCall {
  event: 'saved' | 'deleted';
  row: ProviderRow;
  /** The provider read back through the keeper's transaction: undefined once deleted. */
  inTransaction: ProviderRow | undefined;
}

let t: TestApp;
let app: ApiInstance;
let admin: string;
let clock: Date;
let calls: KeeperCall[];
let keeperFails: boolean;

const recordingKeeper: ScheduleKeeper = {
  async providerSaved(tx, row) {
    calls.push({ event: 'saved', row, inTransaction: await findProvider(tx, row.id) });
    if (keeperFails) throw new Error('the queue refused the schedule');
  },
  async providerDeleted(tx, row) {
    calls.push({ event: 'deleted', row, inTransaction: await findProvider(tx, row.id) });
    if (keeperFails) throw new Error('the queue refused the schedule');
  },
};

/**
 * The real app on the suite's database, but with a provider service on a clock the test sets and
 * a keeper that records its calls (the shared test app has neither).
 */
beforeAll(async () => {
  t = await createTestApp();
  const providers = createProviderService({
    db: t.handle.db,
    secretBox: t.deps.secretBox,
    production: false,
    importDir: undefined,
    now: () => clock,
    schedules: recordingKeeper,
  });
  app = await buildApp({
    logger: createTestLogger(),
    version: 'test',
    verifyToken: t.deps.verifyToken,
    readiness: t.deps.readiness,
    providers,
    runs: t.deps.runs,
    roster: t.deps.roster,
    webhooks: t.deps.webhooks,
    metrics: { source: t.deps.metrics, token: undefined },
  });
  await app.ready();
  admin = await t.token('DISTRICT_ADMIN', 'lincoln');
});
afterAll(async () => {
  await app.close();
  await t.close();
});
beforeEach(() => {
  clock = new Date('2027-06-18T12:00:00Z');
  calls = [];
  keeperFails = false;
});

const auth = () => ({ authorization: `Bearer ${admin}` });
const create = (overrides: Record<string, unknown> = {}) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/providers',
    headers: auth(),
    payload: providerBody('lincoln', 'ONEROSTER_API', overrides),
  });
const patch = (id: string, body: object) =>
  app.inject({ method: 'PATCH', url: `/api/v1/providers/${id}`, headers: auth(), payload: body });
const get = (id: string) => app.inject({ method: 'GET', url: `/api/v1/providers/${id}`, headers: auth() });

async function created(overrides: Record<string, unknown> = {}): Promise<{ id: string }> {
  const res = await create(overrides);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

function expectNoSecrets(body: string) {
  for (const secret of Object.values(TEST_SECRETS)) expect(body).not.toContain(secret);
}

const rollover = { start: '2027-06-19', end: '2027-06-21', reason: 'summer rollover' };
const skippedByRollover = 'blackout window 2027-06-19 to 2027-06-21 (summer rollover)';

describe(`provider schedules and blackout windows on ${driver}`, () => {
  describe('the schedule a provider shows', () => {
    it('skips the runs a window covers: upcomingRuns says why, nextSyncAt is the first that runs', async () => {
      // Daily at 02:00 in Chicago (CDT, UTC-5) is 07:00 UTC.
      const res = await create({ blackoutWindows: [rollover] });
      expect(res.statusCode).toBe(201);
      const expected = {
        syncSchedule: 'daily',
        syncTimezone: 'America/Chicago',
        blackoutWindows: [rollover],
        nextSyncAt: '2027-06-22T07:00:00.000Z',
        upcomingRuns: [
          { at: '2027-06-19T07:00:00.000Z', skipped: skippedByRollover },
          { at: '2027-06-20T07:00:00.000Z', skipped: skippedByRollover },
          { at: '2027-06-21T07:00:00.000Z', skipped: skippedByRollover },
          { at: '2027-06-22T07:00:00.000Z', skipped: null },
          { at: '2027-06-23T07:00:00.000Z', skipped: null },
        ],
      };
      expect(res.json()).toMatchObject(expected);
      expectNoSecrets(res.body);

      const id = res.json().id as string;
      expect((await get(id)).json()).toMatchObject(expected);
      const list = await app.inject({
        method: 'GET',
        url: '/api/v1/tenants/lincoln/providers',
        headers: auth(),
      });
      expect((list.json().providers as { id: string }[]).find((p) => p.id === id)).toMatchObject(expected);
      expectNoSecrets(list.body);
    });

    it('follows the clock', async () => {
      const { id } = await created({ blackoutWindows: [rollover] });
      clock = new Date('2027-06-21T06:59:59Z'); // 01:59 on the last blackout day
      const body = (await get(id)).json();
      expect(body.nextSyncAt).toBe('2027-06-22T07:00:00.000Z');
      expect(body.upcomingRuns[0]).toEqual({ at: '2027-06-21T07:00:00.000Z', skipped: skippedByRollover });
      clock = new Date('2027-06-21T07:00:00Z'); // the last skipped run is now, not upcoming
      expect((await get(id)).json().upcomingRuns[0]).toEqual({
        at: '2027-06-22T07:00:00.000Z',
        skipped: null,
      });
    });

    it('has no next sync when disabled or unscheduled, and has it back once enabled', async () => {
      const { id } = await created({ blackoutWindows: [rollover] });
      const disabled = await patch(id, { enabled: false });
      expect(disabled.statusCode).toBe(200);
      expect(disabled.json()).toMatchObject({ enabled: false, nextSyncAt: null, upcomingRuns: [] });
      expectNoSecrets(disabled.body);

      const enabled = await patch(id, { enabled: true });
      expect(enabled.json()).toMatchObject({
        enabled: true,
        nextSyncAt: '2027-06-22T07:00:00.000Z',
        upcomingRuns: [{ at: '2027-06-19T07:00:00.000Z', skipped: skippedByRollover }, {}, {}, {}, {}],
      });

      const unscheduled = await patch(id, { syncSchedule: null });
      expect(unscheduled.json()).toMatchObject({ syncSchedule: null, nextSyncAt: null, upcomingRuns: [] });
    });

    it('has no next sync when windows cover every run of the next 366 days', async () => {
      const { id } = await created({
        blackoutWindows: [
          { start: '2027-06-01', end: '2027-12-31' },
          { start: '2028-01-01', end: '2028-06-30', reason: 'renovation' },
        ],
      });
      const body = (await get(id)).json();
      expect(body.nextSyncAt).toBeNull();
      expect(body.upcomingRuns).toHaveLength(5);
      expect(body.upcomingRuns.every((r: { skipped: string | null }) => r.skipped !== null)).toBe(true);
      expect(body.upcomingRuns[0].skipped).toBe('blackout window 2027-06-01 to 2027-12-31');

      clock = new Date('2027-07-02T12:00:00Z'); // 366 days on, the run on 2028-07-01 is within reach
      expect((await get(id)).json().nextSyncAt).toBe('2028-07-01T07:00:00.000Z');
    });

    it('reads the windows in the provider time zone', async () => {
      // Auckland (UTC+12 in June): the day after the window starts at 12:00 UTC on its last day.
      const { id } = await created({
        syncSchedule: '30 0 * * *',
        syncTimezone: 'Pacific/Auckland',
        blackoutWindows: [rollover],
      });
      const body = (await get(id)).json();
      expect(body.upcomingRuns.slice(0, 3)).toEqual([
        { at: '2027-06-18T12:30:00.000Z', skipped: skippedByRollover }, // 00:30 on 19 June, local
        { at: '2027-06-19T12:30:00.000Z', skipped: skippedByRollover },
        { at: '2027-06-20T12:30:00.000Z', skipped: skippedByRollover },
      ]);
      expect(body.nextSyncAt).toBe('2027-06-21T12:30:00.000Z'); // 00:30 on 22 June, local
    });

    it('has no windows unless given', async () => {
      const res = await create();
      expect(res.json()).toMatchObject({
        blackoutWindows: [],
        nextSyncAt: '2027-06-19T07:00:00.000Z',
      });
      expect(res.json().upcomingRuns.map((r: { skipped: string | null }) => r.skipped)).toEqual([
        null,
        null,
        null,
        null,
        null,
      ]);
    });
  });

  describe('blackoutWindows in requests', () => {
    it('stores them sorted by start, reasons trimmed, empty reasons as null', async () => {
      const res = await create({
        blackoutWindows: [
          { start: '2027-12-20', end: '2028-01-02', reason: '  ' },
          { start: '2027-06-19', end: '2027-06-21', reason: ' summer rollover ' },
        ],
      });
      expect(res.json().blackoutWindows).toEqual([
        rollover,
        { start: '2027-12-20', end: '2028-01-02', reason: null },
      ]);
    });

    it('refuses invalid windows on create, naming each field, and creates nothing', async () => {
      const name = 'Refused windows';
      const res = await create({
        name,
        blackoutWindows: [
          { start: '2027-02-30', end: '2027-03-02' },
          { start: '2027-06-20', end: '2027-06-01', reason: 'x'.repeat(201) },
        ],
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      expect(res.json().error.details.issues).toEqual([
        { path: 'blackoutWindows[0].start', message: '2027-02-30 is not a calendar date (YYYY-MM-DD)' },
        { path: 'blackoutWindows[1].end', message: 'ends (2027-06-01) before it starts (2027-06-20)' },
        { path: 'blackoutWindows[1].reason', message: 'is 201 characters long; at most 200 are allowed' },
      ]);
      const list = await app.inject({
        method: 'GET',
        url: '/api/v1/tenants/lincoln/providers',
        headers: auth(),
      });
      expect((list.json().providers as { name: string }[]).map((p) => p.name)).not.toContain(name);
      expect(calls).toEqual([]);
    });

    it('refuses a window of the wrong shape and too many windows at the schema', async () => {
      const extra = await create({ blackoutWindows: [{ ...rollover, note: 'x' }] });
      expect(extra.statusCode).toBe(400);
      expect(extra.json().error.details.issues).toEqual([
        { path: 'blackoutWindows.0.note', message: 'is not a known field' },
      ]);
      const missing = await create({ blackoutWindows: [{ start: '2027-06-19' }] });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error.details.issues).toEqual([
        { path: 'blackoutWindows.0.end', message: 'is required' },
      ]);
      const many = await create({ blackoutWindows: Array.from({ length: 51 }, () => rollover) });
      expect(many.statusCode).toBe(400);
      expect(many.json().error.details.issues[0].path).toBe('blackoutWindows');
    });

    it('replaces the whole list on PATCH, audits it, and clears it with []', async () => {
      const { id } = await created({
        blackoutWindows: [rollover, { start: '2027-12-20', end: '2028-01-02' }],
      });
      const winter = { start: '2028-12-20', end: '2029-01-02', reason: 'winter break' };
      const replaced = await patch(id, { blackoutWindows: [winter] });
      expect(replaced.statusCode).toBe(200);
      expect(replaced.json()).toMatchObject({
        blackoutWindows: [winter],
        nextSyncAt: '2027-06-19T07:00:00.000Z',
      });
      expectNoSecrets(replaced.body);

      const cleared = await patch(id, { blackoutWindows: [] });
      expect(cleared.json().blackoutWindows).toEqual([]);

      const entries = await t.handle.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.targetId, id))
        .orderBy(auditLog.id);
      expect(entries.map((e) => [e.action, e.details])).toEqual([
        [
          'provider.create',
          expect.objectContaining({
            blackoutWindows: [rollover, { start: '2027-12-20', end: '2028-01-02', reason: null }],
          }),
        ],
        ['provider.update', { changed: ['blackoutWindows'], secretsChanged: [] }],
        ['provider.update', { changed: ['blackoutWindows'], secretsChanged: [] }],
      ]);
    });

    it('refuses invalid windows on PATCH and keeps the stored ones', async () => {
      const { id } = await created({ blackoutWindows: [rollover] });
      const res = await patch(id, {
        name: 'Not renamed',
        blackoutWindows: [{ start: '2027-06-19', end: '2027-6-21' }],
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.issues).toEqual([
        { path: 'blackoutWindows[0].end', message: '2027-6-21 is not a calendar date (YYYY-MM-DD)' },
      ]);
      expect((await get(id)).json()).toMatchObject({ blackoutWindows: [rollover] });
      expect((await get(id)).json().name).not.toBe('Not renamed');
    });

    it('treats the same windows, reordered or respaced, as no change', async () => {
      const other = { start: '2027-12-20', end: '2028-01-02', reason: null };
      const { id } = await created({ blackoutWindows: [rollover, other] });
      const before = (await get(id)).json();
      calls = [];
      const res = await patch(id, {
        blackoutWindows: [
          { start: '2027-12-20', end: '2028-01-02', reason: '' },
          { ...rollover, reason: ' summer rollover' },
        ],
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().updatedAt).toBe(before.updatedAt);
      expect(calls).toEqual([]);
      const entries = await t.handle.db.select().from(auditLog).where(eq(auditLog.targetId, id));
      expect(entries.map((e) => e.action)).toEqual(['provider.create']);
    });
  });

  describe('the schedule keeper', () => {
    const savedRows = () => calls.map((c) => [c.event, c.row.id]);

    it('is told of a new provider, inside the transaction that wrote it', async () => {
      const { id } = await created({ blackoutWindows: [rollover], enabled: false });
      expect(savedRows()).toEqual([['saved', id]]);
      const [call] = calls;
      expect(call?.row).toMatchObject({ enabled: false, syncSchedule: 'daily', blackoutWindows: [rollover] });
      expect(call?.inTransaction).toEqual(call?.row);
    });

    it.each<[string, Record<string, unknown>, Partial<ProviderRow>]>([
      ['schedule', { syncSchedule: '15 4 * * 1-5' }, { syncSchedule: '15 4 * * 1-5' }],
      ['time zone', { syncTimezone: 'Europe/Berlin' }, { syncTimezone: 'Europe/Berlin' }],
      ['enabled', { enabled: false }, { enabled: false }],
      ['blackout windows', { blackoutWindows: [rollover] }, { blackoutWindows: [rollover] }],
      ['name', { name: 'Renamed for the keeper' }, { name: 'Renamed for the keeper' }],
    ])('is told when the %s changes, with the updated row', async (_what, body, expected) => {
      const { id } = await created();
      calls = [];
      expect((await patch(id, body)).statusCode).toBe(200);
      expect(savedRows()).toEqual([['saved', id]]);
      expect(calls[0]?.row).toMatchObject(expected);
      expect(calls[0]?.inTransaction).toEqual(calls[0]?.row);
    });

    it('is not told of a PATCH that changes nothing', async () => {
      const { id } = await created({ syncSchedule: 'hourly', blackoutWindows: [rollover] });
      calls = [];
      const res = await patch(id, {
        syncSchedule: 'hourly',
        syncTimezone: 'America/Chicago',
        enabled: true,
        blackoutWindows: [rollover],
      });
      expect(res.statusCode).toBe(200);
      expect(calls).toEqual([]);
    });

    it('is told of a delete, before the transaction ends', async () => {
      const { id } = await created();
      calls = [];
      const res = await app.inject({ method: 'DELETE', url: `/api/v1/providers/${id}`, headers: auth() });
      expect(res.statusCode).toBe(204);
      expect(savedRows()).toEqual([['deleted', id]]);
      // Given the row as it stood; read through its transaction, the provider is already gone.
      expect(calls[0]?.row.deletedAt).toBeNull();
      expect(calls[0]?.inTransaction).toBeUndefined();
    });

    it('failing, undoes the create, the update and the delete', async () => {
      keeperFails = true;
      const name = 'Never kept';
      const refused = await create({ name });
      expect(refused.statusCode).toBe(500);
      expect(calls).toHaveLength(1);
      const list = await app.inject({
        method: 'GET',
        url: '/api/v1/tenants/lincoln/providers',
        headers: auth(),
      });
      expect((list.json().providers as { name: string }[]).map((p) => p.name)).not.toContain(name);
      expect(await findProvider(t.handle.db, calls[0]!.row.id)).toBeUndefined();

      keeperFails = false;
      const { id } = await created({ blackoutWindows: [rollover] });
      const before = (await get(id)).json();
      keeperFails = true;
      expect((await patch(id, { enabled: false, blackoutWindows: [] })).statusCode).toBe(500);
      expect((await get(id)).json()).toEqual(before);
      const entries = await t.handle.db.select().from(auditLog).where(eq(auditLog.targetId, id));
      expect(entries.map((e) => e.action)).toEqual(['provider.create']);

      expect(
        (await app.inject({ method: 'DELETE', url: `/api/v1/providers/${id}`, headers: auth() })).statusCode,
      ).toBe(500);
      expect((await get(id)).statusCode).toBe(200);
    });
  });
});
