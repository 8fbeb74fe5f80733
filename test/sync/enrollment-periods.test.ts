import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage, type PackageSpec } from '../support/oneroster-package.js';
import { rows } from '../support/sync.js';

/*
 * Effective-dated enrollments, through the API: every enrollment keeps the periods in which it was
 * active; a student moved mid-year (dropped from one class and added to another, or the same
 * sourcedId pointed at another class) keeps the old enrollment, closed, beside the new one.
 */

const TENANT = 'periods-lincoln';

let t: TestApp;
let admin: string;
let otherAdmin: string;
let platform: string;

beforeAll(async () => {
  t = await createTestApp();
  platform = await t.token('PLATFORM_ADMIN');
  admin = await t.token('DISTRICT_ADMIN', TENANT);
  otherAdmin = await t.token('DISTRICT_ADMIN', 'periods-jefferson');
});
afterAll(async () => t.close());

const call = (method: 'GET' | 'POST', url: string, body?: object, token = admin) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body }),
  });

async function get<T>(url: string): Promise<T> {
  const res = await call('GET', url);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
}

interface Enrollment {
  id: string;
  active: boolean;
  classId: string;
  userId: string;
  beginDate: string | null;
  endDate: string | null;
  links: { externalId: string; active: boolean }[];
}
interface Period {
  id: string;
  beginDate: string | null;
  endDate: string | null;
  openedAt: string;
  closedAt: string | null;
  openedByRunId: string | null;
  closedByRunId: string | null;
}
interface RunBody {
  id: string;
  status: string;
  stats: Record<string, Record<string, number>>;
}

/** Starts a run over HTTP and returns it once the worker is done. */
async function sync(providerId: string): Promise<RunBody> {
  const started = await call('POST', `/providers/${providerId}/sync`);
  expect(started.statusCode, started.body).toBe(202);
  await t.idle();
  return (await get<{ run: RunBody }>(`/runs/${started.json<{ runId: string }>().runId}`)).run;
}

const enrollmentsWhere = async (query: string) =>
  (await get<{ data: Enrollment[] }>(`/tenants/${TENANT}/enrollments?${query}`)).data;
const periodsOf = async (id: string) =>
  (await get<{ periods: Period[] }>(`/tenants/${TENANT}/enrollments/${id}/periods`)).periods;
const idOf = async (entity: string, externalId: string) =>
  (await get<{ data: { id: string }[] }>(`/tenants/${TENANT}/${entity}?externalId=${externalId}`)).data[0]!
    .id;

/** The district of run 1: Edsger (u-s3) in algebra until mid-January. */
function start(): Required<PackageSpec> {
  const d = smallDistrict();
  Object.assign(
    d.enrollments.find((e) => e.sourcedId === 'e3')!,
    {
      beginDate: '2025-08-15',
      endDate: '2026-01-15',
    },
  );
  return d;
}

/**
 * Run 2: Edsger is dropped from algebra and added to English (e3 gone, e7 new); Grace's e5 keeps
 * its sourcedId but points at algebra now; the SIS gives Ada's English enrollment (e4) a begin date.
 */
function midYear(): Required<PackageSpec> {
  const d = start();
  d.enrollments = d.enrollments.filter((e) => e.sourcedId !== 'e3');
  d.enrollments.push({
    sourcedId: 'e7',
    classSourcedId: 'k-eng-1',
    schoolSourcedId: 'sch-2',
    userSourcedId: 'u-s3',
    role: 'student',
    beginDate: '2026-01-16',
    endDate: '2026-06-10',
  });
  Object.assign(
    d.enrollments.find((e) => e.sourcedId === 'e5')!,
    {
      classSourcedId: 'k-alg-1',
      schoolSourcedId: 'sch-1',
      beginDate: '2026-01-16',
    },
  );
  Object.assign(
    d.enrollments.find((e) => e.sourcedId === 'e4')!,
    { beginDate: '2025-08-20' },
  );
  return d;
}

describe(`enrollment periods on ${driver}`, { timeout: 240_000 }, () => {
  it('records moves, drops, re-adds and date corrections as periods', async () => {
    const dir = writePackage(start());
    const created = await call(
      'POST',
      '/providers',
      {
        tenantId: TENANT,
        providerType: 'ONEROSTER_CSV',
        name: 'Periods',
        config: { localPath: dir },
        // One of six enrollments dropped is above the default 10%.
        maxDeactivationRatio: 0.5,
      },
      platform,
    );
    expect(created.statusCode, created.body).toBe(201);
    const providerId = created.json<{ id: string }>().id;

    const first = await sync(providerId);
    expect(first.status).toBe('SUCCESS');
    const [e3] = await enrollmentsWhere('externalId=e3');
    const [e5Before] = await enrollmentsWhere('externalId=e5');
    const [e1] = await enrollmentsWhere('externalId=e1');
    expect(await periodsOf(e3!.id)).toEqual([
      {
        id: expect.any(String),
        beginDate: '2025-08-15',
        endDate: '2026-01-15',
        openedAt: expect.any(String),
        closedAt: null,
        openedByRunId: first.id,
        closedByRunId: null,
      },
    ]);

    writePackage(midYear(), { dir });
    const second = await sync(providerId);
    expect(second.status).toBe('SUCCESS');
    // Two moves: each is a deactivated and a created enrollment; e4's new date is an update.
    expect(second.stats.enrollments).toMatchObject({
      created: 2,
      deactivated: 2,
      updated: 1,
      reactivated: 0,
    });

    // The re-pointed e5: its old enrollment closed with its class, a new one in algebra.
    const algebra = await idOf('classes', 'k-alg-1');
    const english = await idOf('classes', 'k-eng-1');
    const [e5After] = await enrollmentsWhere('externalId=e5');
    expect(e5After!.id).not.toBe(e5Before!.id);
    expect(e5After).toMatchObject({ active: true, classId: algebra, beginDate: '2026-01-16' });
    const grace = e5Before!.userId;
    const gracesEnrollments = await enrollmentsWhere(`userId=${grace}`);
    expect(gracesEnrollments.map((e) => ({ id: e.id, active: e.active, classId: e.classId }))).toEqual([
      { id: e5Before!.id, active: false, classId: english },
      { id: e5After!.id, active: true, classId: algebra },
    ]);
    expect(await periodsOf(e5Before!.id)).toEqual([
      expect.objectContaining({
        openedByRunId: first.id,
        closedByRunId: second.id,
        closedAt: expect.any(String),
      }),
    ]);
    expect(await periodsOf(e5After!.id)).toEqual([
      expect.objectContaining({
        beginDate: '2026-01-16',
        endDate: null,
        openedByRunId: second.id,
        closedAt: null,
      }),
    ]);

    // The drop and add: e3 closed, e7 open.
    const [e7] = await enrollmentsWhere('externalId=e7');
    expect(await periodsOf(e3!.id)).toEqual([
      expect.objectContaining({ beginDate: '2025-08-15', endDate: '2026-01-15', closedByRunId: second.id }),
    ]);
    expect(await periodsOf(e7!.id)).toEqual([
      expect.objectContaining({ beginDate: '2026-01-16', endDate: '2026-06-10', openedByRunId: second.id }),
    ]);

    // The date correction moved the open period's dates; no new period.
    const [e4] = await enrollmentsWhere('externalId=e4');
    expect(await periodsOf(e4!.id)).toEqual([
      expect.objectContaining({ beginDate: '2025-08-20', openedByRunId: first.id, closedAt: null }),
    ]);

    // The change feed says exactly that: the moved records deactivated, the new ones created.
    const events = await rows<{ entity_id: string; kind: string; changed_fields: string[] }>(
      t,
      `SELECT entity_id, kind, changed_fields FROM sis_change_events
       WHERE run_id = '${second.id}' AND entity = 'enrollments' ORDER BY kind, entity_id`,
    );
    expect(events).toEqual(
      [
        { entity_id: e7!.id, kind: 'created', changed_fields: [] },
        { entity_id: e5After!.id, kind: 'created', changed_fields: [] },
        { entity_id: e3!.id, kind: 'deactivated', changed_fields: ['active'] },
        { entity_id: e5Before!.id, kind: 'deactivated', changed_fields: ['active'] },
        { entity_id: e4!.id, kind: 'updated', changed_fields: ['beginDate'] },
      ].sort((a, b) => a.kind.localeCompare(b.kind) || a.entity_id.localeCompare(b.entity_id)),
    );

    // activeOn, by the SIS dates: Edsger was in algebra in the autumn, in English in the spring.
    const edsger = e3!.userId;
    const on = async (day: string, who = edsger) =>
      (await enrollmentsWhere(`userId=${who}&activeOn=${day}`)).map((e) => e.id);
    expect(await on('2025-10-01')).toEqual([e3!.id]);
    expect(await on('2026-03-01')).toEqual([e7!.id]);
    expect(await on('2026-07-01')).toEqual([]);
    // Without SIS dates, by the instants the period opened (and, for e5's old one, closed).
    const dayOf = (instant: string, offsetDays = 0) =>
      new Date(Date.parse(`${instant.slice(0, 10)}T00:00:00Z`) + offsetDays * 86_400_000)
        .toISOString()
        .slice(0, 10);
    const [e1Period] = await periodsOf(e1!.id);
    expect(await on(dayOf(e1Period!.openedAt), e1!.userId)).toContain(e1!.id);
    expect(await on(dayOf(e1Period!.openedAt, -1), e1!.userId)).not.toContain(e1!.id);
    const [e5Closed] = await periodsOf(e5Before!.id);
    expect(await on(dayOf(e5Closed!.closedAt!), grace)).toContain(e5Before!.id);
    expect(await on(dayOf(e5Closed!.closedAt!, 1), grace)).not.toContain(e5Before!.id);
    expect(await on('2025-10-01', grace)).toEqual([e5Before!.id]);

    // Run 3: Edsger is back in algebra (the same e3): its enrollment has a second period. Ada's
    // begin date is corrected again: the open period follows.
    const back = midYear();
    back.enrollments.push(start().enrollments.find((e) => e.sourcedId === 'e3')!);
    Object.assign(
      back.enrollments.find((e) => e.sourcedId === 'e4')!,
      { beginDate: '2025-08-21' },
    );
    writePackage(back, { dir });
    const third = await sync(providerId);
    expect(third.stats.enrollments).toMatchObject({ reactivated: 1, updated: 1, created: 0, deactivated: 0 });
    expect(await periodsOf(e3!.id)).toEqual([
      expect.objectContaining({ openedByRunId: first.id, closedByRunId: second.id }),
      expect.objectContaining({
        beginDate: '2025-08-15',
        endDate: '2026-01-15',
        openedByRunId: third.id,
        closedAt: null,
        closedByRunId: null,
      }),
    ]);
    expect(await periodsOf(e4!.id)).toEqual([
      expect.objectContaining({ beginDate: '2025-08-21', closedAt: null }),
    ]);
  });

  it('keeps the periods to the tenant rules', async () => {
    const [any] = await rows<{ id: string }>(
      t,
      `SELECT id FROM enrollments WHERE tenant_id = '${TENANT}' LIMIT 1`,
    );
    const foreign = await call(
      'GET',
      `/tenants/${TENANT}/enrollments/${any!.id}/periods`,
      undefined,
      otherAdmin,
    );
    expect(foreign.statusCode).toBe(403);
    const missing = await call(
      'GET',
      `/tenants/${TENANT}/enrollments/00000000-0000-4000-8000-000000000000/periods`,
    );
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const badDay = await call('GET', `/tenants/${TENANT}/enrollments?activeOn=2026-13-01`);
    expect(badDay.statusCode).toBe(400);
  });
});
