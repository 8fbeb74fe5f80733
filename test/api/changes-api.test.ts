import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENTITY_TYPES, type EntityType } from '../../src/domain/entity.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, rows, syncNow } from '../support/sync.js';

/*
 * GET /api/v1/tenants/:tenantId/changes over a feed that real runs wrote: a first sync, a run
 * that renames one user and drops another with his enrollment, a run that brings them back, and
 * another tenant synced beside it.
 */

const OWN = 'lincoln';
const OTHER = 'jefferson';

let t: TestApp;
let admin: string;
let otherAdmin: string;
let provider = '';
const runIds: string[] = [];

interface Event {
  seq: string;
  entity: EntityType;
  id: string;
  kind: string;
  changedFields: string[];
  runId: string;
  providerId: string;
  occurredAt: string;
  record: (Record<string, unknown> & { id: string; tenantId: string }) | null;
}
interface FeedPage {
  events: Event[];
  nextCursor: string;
  hasMore: boolean;
}

const call = (url: string, token = admin) =>
  t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });

async function getJson<T>(url: string, token = admin): Promise<T> {
  const res = await call(url, token);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json<T>();
}

/** The whole feed after `after`, `limit` at a time, checking each page's cursor and hasMore. */
async function readFeed(query: string, limit: number, tenant = OWN, token = admin): Promise<Event[]> {
  const events: Event[] = [];
  let after = '0';
  for (;;) {
    const page = await getJson<FeedPage>(
      `/tenants/${tenant}/changes?after=${after}&limit=${limit}${query === '' ? '' : `&${query}`}`,
      token,
    );
    expect(page.events.length).toBeLessThanOrEqual(limit);
    expect(page.nextCursor).toBe(page.events.at(-1)?.seq ?? after);
    events.push(...page.events);
    after = page.nextCursor;
    if (!page.hasMore) return events;
    expect(page.events).toHaveLength(limit);
  }
}

function expectError(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<{ error: { code: string; message: string; requestId: string } }>();
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  return body.error;
}

let feed: Event[] = [];

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.token('DISTRICT_ADMIN', OWN);
  otherAdmin = await t.token('DISTRICT_ADMIN', OTHER);

  const dir = writePackage(smallDistrict());
  provider = await csvProvider(t, OWN, dir, { maxDeactivationRatio: 1 });
  const sync = async () => {
    const run = await syncNow(t, provider);
    expect(run.status).toBe('SUCCESS');
    runIds.push(run.id);
  };
  await sync();
  const other = await csvProvider(t, OTHER, writePackage(smallDistrict()));
  expect((await syncNow(t, other)).status).toBe('SUCCESS');

  // Grace renamed; Edsger and his enrollment dropped.
  const next = smallDistrict();
  next.users = next.users
    .filter((u) => u.sourcedId !== 'u-s3')
    .map((u) => (u.sourcedId === 'u-s2' ? { ...u, familyName: 'Hopper-Murray' } : u));
  next.enrollments = next.enrollments.filter((e) => e.sourcedId !== 'e3');
  writePackage(next, { dir });
  await sync();
  // Edsger and his enrollment back; Grace keeps her new name.
  const back = smallDistrict();
  back.users = back.users.map((u) => (u.sourcedId === 'u-s2' ? { ...u, familyName: 'Hopper-Murray' } : u));
  writePackage(back, { dir });
  await sync();

  feed = await readFeed('', 1000);
});
afterAll(async () => t.close());

/** The events of one record, by the external id the provider gave it. */
async function eventsOf(entity: EntityType, externalId: string): Promise<Event[]> {
  const [link] = await rows<{ id: string }>(
    t,
    `SELECT entity_id::text AS id FROM sis_external_links
     WHERE tenant_id = '${OWN}' AND entity_type = '${entity}' AND external_id = '${externalId}'`,
  );
  return feed.filter((e) => e.entity === entity && e.id === link!.id);
}

describe(`the change feed API on ${driver}`, () => {
  it("serves the tenant's events in seq order, as the runs wrote them", async () => {
    const stored = await rows<{
      seq: string;
      entity: string;
      id: string;
      kind: string;
      changedFields: string[];
      runId: string;
      providerId: string;
    }>(
      t,
      `SELECT seq::text AS seq, entity, entity_id::text AS id, kind, changed_fields AS "changedFields",
              run_id::text AS "runId", provider_id::text AS "providerId"
       FROM sis_change_events e WHERE tenant_id = '${OWN}' ORDER BY e.seq`,
    );
    expect(stored.length).toBeGreaterThan(20);
    expect(feed.map(({ record: _record, occurredAt: _at, ...event }) => event)).toEqual(stored);
    const seqs = feed.map((e) => Number(e.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(feed.map((e) => e.runId))).toEqual(new Set(runIds));
    expect(new Set(feed.map((e) => e.providerId))).toEqual(new Set([provider]));
    for (const event of feed) expect(new Date(event.occurredAt).toISOString()).toBe(event.occurredAt);
  });

  it('pages by cursor: nextCursor is the last seq, hasMore until the end, then the same cursor back', async () => {
    for (const limit of [1, 4, 7]) {
      expect(await readFeed('', limit), `limit ${limit}`).toEqual(feed);
    }
    // Absent after is the start, as 0 is.
    const first = await getJson<FeedPage>(`/tenants/${OWN}/changes?limit=3`);
    expect(first.events).toEqual(feed.slice(0, 3));
    expect(first.hasMore).toBe(true);
    expect(first.nextCursor).toBe(feed[2]!.seq);
    // The default page is 100.
    const whole = await getJson<FeedPage>(`/tenants/${OWN}/changes`);
    expect(whole.events).toEqual(feed.slice(0, 100));
    // Past the end: nothing, and the cursor to store is the one given.
    const last = feed.at(-1)!.seq;
    expect(await getJson<FeedPage>(`/tenants/${OWN}/changes?after=${last}`)).toEqual({
      events: [],
      nextCursor: last,
      hasMore: false,
    });
    expect(await getJson<FeedPage>(`/tenants/${OTHER}/changes?after=0`, otherAdmin)).toMatchObject({
      hasMore: false,
    });
  });

  it('says what each run did to a record, and carries the record as it is now', async () => {
    const grace = await eventsOf('users', 'u-s2');
    expect(grace.map((e) => e.kind)).toEqual(['created', 'updated']);
    expect(grace[0]!.changedFields).toEqual([]);
    expect(grace[1]!.changedFields).toEqual(['familyName']);
    expect(grace[1]!.runId).toBe(runIds[1]);
    // Even the creation event shows the current name: the record is the current state.
    for (const event of grace) expect(event.record?.familyName).toBe('Hopper-Murray');

    const edsger = await eventsOf('users', 'u-s3');
    expect(edsger.map((e) => [e.kind, e.runId])).toEqual([
      ['created', runIds[0]],
      ['deactivated', runIds[1]],
      ['reactivated', runIds[2]],
    ]);
    expect(edsger[1]!.changedFields).toContain('active');
    for (const event of edsger) expect(event.record?.active).toBe(true);
    expect((await eventsOf('enrollments', 'e3')).map((e) => e.kind)).toEqual([
      'created',
      'deactivated',
      'reactivated',
    ]);

    // Every record is exactly what the read endpoints give for it now.
    const seen = new Map<string, Event['record']>();
    for (const event of feed) {
      const key = `${event.entity}/${event.id}`;
      if (!seen.has(key)) seen.set(key, await getJson(`/tenants/${OWN}/${key}`));
      expect(event.record, key).toEqual(seen.get(key));
    }
  });

  it('a reader applying the feed from cursor zero holds a copy equal to the roster', async () => {
    const copy = new Map<string, unknown>();
    for (const event of await readFeed('', 5)) copy.set(`${event.entity}/${event.id}`, event.record);
    const roster = new Map<string, unknown>();
    for (const entity of ENTITY_TYPES) {
      const page = await getJson<{ data: { id: string }[]; nextCursor: string | null }>(
        `/tenants/${OWN}/${entity}?limit=1000`,
      );
      expect(page.nextCursor).toBeNull();
      for (const record of page.data) roster.set(`${entity}/${record.id}`, record);
    }
    expect(roster.size).toBeGreaterThan(0);
    expect(Object.fromEntries([...copy].sort())).toEqual(Object.fromEntries([...roster].sort()));
  });

  it('filters by entity, one or a comma list, paging alike', async () => {
    for (const entities of [
      ['users'],
      ['users', 'enrollments'],
      ['schools', 'terms', 'courses', 'classes'],
    ]) {
      const expected = feed.filter((e) => entities.includes(e.entity));
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(feed.length);
      expect(await readFeed(`entity=${entities.join(',')}`, 1000), entities.join()).toEqual(expected);
      expect(await readFeed(`entity=${entities.join(',')}`, 2), entities.join()).toEqual(expected);
    }
    expect(await readFeed('entity=users,users', 1000)).toEqual(feed.filter((e) => e.entity === 'users'));
  });

  it('400 for a bad cursor, limit or entity', async () => {
    for (const query of [
      'after=abc',
      'after=-1',
      'after=1.5',
      'after=',
      'after=99999999999999999999',
      'limit=0',
      'limit=1001',
      'limit=many',
      'entity=pupils',
      'entity=users,',
      'entity=',
      'since=0',
    ]) {
      const error = expectError(await call(`/tenants/${OWN}/changes?${query}`), 400, 'validation_failed');
      expect(error.message.length, query).toBeGreaterThan(0);
    }
    // Digits, but past any seq this feed can give.
    expect(
      expectError(await call(`/tenants/${OWN}/changes?after=9999999999999999999`), 400, 'validation_failed')
        .message,
    ).toBe('after: is not a cursor this feed gave');
  });

  it("keeps tenants apart: 403 for another tenant's admin, and each feed holds its own records only", async () => {
    expectError(await call(`/tenants/${OWN}/changes`, otherAdmin), 403, 'forbidden');
    expectError(await call(`/tenants/${OTHER}/changes`), 403, 'forbidden');
    expect(feed.every((e) => e.record?.tenantId === OWN)).toBe(true);
    const theirs = await readFeed('', 1000, OTHER, otherAdmin);
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.every((e) => e.record?.tenantId === OTHER)).toBe(true);
    const mine = new Set(feed.map((e) => e.id));
    expect(theirs.filter((e) => mine.has(e.id))).toEqual([]);
  });
});
