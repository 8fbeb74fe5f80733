import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';

import { districtOnDay } from '../../src/generator/district-on-day.js';
import { writeOneRosterPackage } from '../../src/generator/write-oneroster-package.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  FeedReplica,
  type FeedEvent,
  type FeedReader,
  type RosterReader,
} from '../support/change-feed-replica.js';
import { driver } from '../support/database.js';
import { csvProvider, syncNow } from '../support/sync.js';

/*
 * The issue's promise to downstream applications: a reader that polls
 * GET /api/v1/tenants/:tenantId/changes from cursor zero and applies each event ends with a copy
 * equal to the roster, across runs that add, edit, drop and bring back records.
 */

const tenant = 'feed-district';
let t: TestApp;
let token: string;
let dir: string;

beforeAll(async () => {
  t = await createTestApp();
  token = await t.token('DISTRICT_ADMIN', tenant);
  dir = mkdtempSync(path.join(inject('workDir'), 'feed-'));
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get<T>(url: string): Promise<T> {
  const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  expect(response.statusCode, `${url}: ${response.body}`).toBe(200);
  return response.json<T>();
}

/** The feed as a downstream application reads it: small pages, so that paging is exercised. */
const apiFeed: FeedReader = async (tenantId, after) => {
  const page = await get<{ events: (Omit<FeedEvent, 'seq'> & { seq: string })[]; nextCursor: string }>(
    `/api/v1/tenants/${tenantId}/changes?after=${after}&limit=37`,
  );
  if (page.events.length > 0) expect(page.nextCursor).toBe(page.events.at(-1)!.seq);
  else expect(page.nextCursor).toBe(String(after));
  return page.events.map((e) => ({ ...e, seq: Number(e.seq) }));
};

/** The roster as the read API lists it, every page. */
const apiRoster: RosterReader = async (tenantId, entity) => {
  const records = new Map<string, Record<string, unknown>>();
  let cursor: string | null = null;
  do {
    const page: { data: Record<string, unknown>[]; nextCursor: string | null } = await get(
      `/api/v1/tenants/${tenantId}/${entity}?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`,
    );
    for (const record of page.data) records.set(record.id as string, record);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return records;
};

describe(`the change feed on ${driver}`, () => {
  it('rebuilds the roster from cursor zero across days of adds, edits, drops and reappearances', async () => {
    const providerId = await csvProvider(t, tenant, dir, { maxDeactivationRatio: 1 });
    const kinds = new Map<string, number>();
    const tally: FeedReader = async (tenantId, after) => {
      const events = await apiFeed(tenantId, after);
      for (const e of events) {
        kinds.set(`${e.entity} ${e.kind}`, (kinds.get(`${e.entity} ${e.kind}`) ?? 0) + 1);
      }
      return events;
    };
    const counted = new FeedReplica(tenant, tally);
    const rates = {
      adds: 0.05,
      edits: 0.1,
      emailChanges: 0.03,
      drops: 0.06,
      reappearances: 0.05,
      enrollmentChanges: 0.1,
    };

    for (let day = 0; day <= 5; day++) {
      await writeOneRosterPackage(districtOnDay({ students: 150, seed: 8, day, rates }).district, dir);
      const run = await syncNow(t, providerId);
      expect(run.status, `day ${day}: ${run.errorMessage ?? ''}`).toMatch(/^(SUCCESS|PARTIAL)$/);
      const applied = await counted.catchUp(`day ${day}`);
      expect(applied, `day ${day}: events`).toBeGreaterThan(0);
      await counted.expectEqualToRoster(t, `day ${day}`, apiRoster);
      expect(await counted.catchUp(`day ${day}: again`), 'nothing new without a run').toBe(0);
    }
    // A reader that starts from zero only now reaches the same copy in one catch-up.
    const late = new FeedReplica(tenant, apiFeed, { checkChangedFields: false });
    await late.catchUp('late reader');
    await late.expectEqualToRoster(t, 'late reader', apiRoster);
    // The days really did all four things to the records the feed reports.
    for (const kind of [
      'users created',
      'users updated',
      'users deactivated',
      'users reactivated',
      'enrollments created',
      'enrollments deactivated',
    ]) {
      expect(kinds.get(kind) ?? 0, kind).toBeGreaterThan(0);
    }
  });

  it('pages the same events whatever the page size, and refuses a malformed cursor', async () => {
    const all = await get<{ events: { seq: string }[] }>(
      `/api/v1/tenants/${tenant}/changes?after=0&limit=1000`,
    );
    const paged: string[] = [];
    let after = '0';
    for (;;) {
      const page = await get<{ events: { seq: string }[]; nextCursor: string; hasMore: boolean }>(
        `/api/v1/tenants/${tenant}/changes?after=${after}&limit=7`,
      );
      paged.push(...page.events.map((e) => e.seq));
      after = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(paged.slice(0, all.events.length)).toEqual(all.events.map((e) => e.seq));
    const bad = await t.app.inject({
      method: 'GET',
      url: `/api/v1/tenants/${tenant}/changes?after=abc`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bad.statusCode).toBe(400);
  });
});
