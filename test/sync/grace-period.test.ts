import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { districtWithStudents, writePackage } from '../support/oneroster-package.js';
import { rows } from '../support/sync.js';

/*
 * The grace period, through the API: a provider setting, records a complete snapshot lacks
 * staying active (listed, counted on the run) until the set number of consecutive complete runs
 * went without them.
 */

const OWN = 'grace-lincoln';
const OTHER = 'grace-jefferson';

let t: TestApp;
let admin: string;
let otherAdmin: string;
let platform: string;

beforeAll(async () => {
  t = await createTestApp();
  platform = await t.token('PLATFORM_ADMIN');
  admin = await t.token('DISTRICT_ADMIN', OWN);
  otherAdmin = await t.token('DISTRICT_ADMIN', OTHER);
});
afterAll(async () => t.close());

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: object, token = admin) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body }),
  });

interface GraceBody {
  records: {
    entity: string;
    externalId: string;
    entityId: string;
    label: string | null;
    missingRuns: number;
    runsLeft: number;
    lastSeenRunId: string | null;
    lastSeenAt: string | null;
  }[];
  nextCursor: string | null;
}

interface RunBody {
  id: string;
  status: string;
  stats: Record<string, Record<string, number>>;
  progress: { inGrace?: Record<string, number> };
}

/** A CSV provider over a local folder (only a platform admin may name one). */
async function createProvider(name: string, dir: string, extra: object = {}): Promise<string> {
  const res = await call(
    'POST',
    '/providers',
    { tenantId: OWN, providerType: 'ONEROSTER_CSV', name, config: { localPath: dir }, ...extra },
    platform,
  );
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

/** Starts a run over HTTP and returns it once the worker is done. */
async function sync(providerId: string): Promise<RunBody> {
  const started = await call('POST', `/providers/${providerId}/sync`);
  expect(started.statusCode, started.body).toBe(202);
  await t.idle();
  const res = await call('GET', `/runs/${started.json<{ runId: string }>().runId}`);
  return res.json<{ run: RunBody }>().run;
}

async function grace(providerId: string, query = ''): Promise<GraceBody> {
  const res = await call('GET', `/providers/${providerId}/grace${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<GraceBody>();
}

const userActive = async (externalId: string, providerId: string) =>
  (
    await rows<{ active: boolean }>(
      t,
      `SELECT u.active FROM users u JOIN sis_external_links l ON l.tenant_id = u.tenant_id AND l.entity_id = u.id
       WHERE l.provider_id = '${providerId}' AND l.entity_type = 'users' AND l.external_id = '${externalId}'`,
    )
  )[0]?.active;

/** The district with 20 extra students, without the ones named. */
function districtWithout(...missing: string[]) {
  const d = districtWithStudents(20);
  d.users = d.users.filter((u) => !missing.includes(u.sourcedId!));
  return d;
}

describe(`grace period on ${driver}`, { timeout: 240_000 }, () => {
  it('is a provider setting: 1 by default, 1..100, audited', async () => {
    const id = await createProvider('Grace setting', writePackage(districtWithStudents(0)));
    expect((await call('GET', `/providers/${id}`)).json<{ deactivationGraceRuns: number }>()).toMatchObject({
      deactivationGraceRuns: 1,
    });
    const changed = await call('PATCH', `/providers/${id}`, { deactivationGraceRuns: 3 });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ deactivationGraceRuns: 3 });
    for (const bad of [0, 101, 2.5]) {
      const refused = await call('PATCH', `/providers/${id}`, { deactivationGraceRuns: bad });
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.body).toContain('deactivationGraceRuns');
    }
    const audit = await rows<{ details: { changed: string[] } }>(
      t,
      `SELECT details FROM audit_log WHERE target_id = '${id}' AND action = 'provider.update'`,
    );
    expect(audit.map((a) => a.details.changed)).toEqual([['deactivationGraceRuns']]);
  });

  it('grace 3: missing once and twice keeps a record active and listed; the third run deactivates it', async () => {
    const dir = writePackage(districtWithStudents(20));
    const providerId = await createProvider('Grace three', dir, { deactivationGraceRuns: 3 });
    const first = await sync(providerId);
    expect(first.status).toBe('SUCCESS');
    expect(await grace(providerId)).toEqual({ records: [], nextCursor: null });

    writePackage(districtWithout('u-x3', 'u-x7'), { dir });
    const missingOnce = await sync(providerId);
    expect(missingOnce.status).toBe('SUCCESS');
    expect(missingOnce.stats.users).toMatchObject({ deactivated: 0, unchanged: 23 });
    expect(missingOnce.progress.inGrace).toEqual({ users: 2 });
    const listed = await grace(providerId);
    expect(listed.records).toEqual([
      {
        entity: 'users',
        externalId: 'u-x3',
        entityId: expect.any(String),
        label: 'Extra3 Student <x3@lincoln.example>',
        missingRuns: 1,
        runsLeft: 2,
        lastSeenRunId: first.id,
        lastSeenAt: expect.any(String),
      },
      expect.objectContaining({ externalId: 'u-x7', missingRuns: 1, runsLeft: 2, lastSeenRunId: first.id }),
    ]);
    expect(await userActive('u-x3', providerId)).toBe(true);

    // u-x7 comes back unchanged and leaves the list; u-x3 is missing a second time.
    writePackage(districtWithout('u-x3'), { dir });
    const missingTwice = await sync(providerId);
    expect(missingTwice.stats.users).toMatchObject({ deactivated: 0, reactivated: 0, unchanged: 24 });
    expect(missingTwice.progress.inGrace).toEqual({ users: 1 });
    expect((await grace(providerId)).records).toEqual([
      expect.objectContaining({ externalId: 'u-x3', missingRuns: 2, runsLeft: 1, lastSeenRunId: first.id }),
    ]);
    expect(await userActive('u-x3', providerId)).toBe(true);
    expect(await userActive('u-x7', providerId)).toBe(true);

    const third = await sync(providerId);
    expect(third.stats.users).toMatchObject({ deactivated: 1 });
    expect(third.progress.inGrace).toEqual({});
    expect((await grace(providerId)).records).toEqual([]);
    expect(await userActive('u-x3', providerId)).toBe(false);
    const events = await rows<{ kind: string }>(
      t,
      `SELECT e.kind FROM sis_change_events e WHERE e.run_id IN ('${missingOnce.id}', '${missingTwice.id}', '${third.id}')
         AND e.entity = 'users'`,
    );
    expect(events).toEqual([{ kind: 'deactivated' }]);
  });

  it('default 1 deactivates on the first complete run without the record, as before', async () => {
    const dir = writePackage(districtWithStudents(20));
    const providerId = await createProvider('Grace one', dir);
    await sync(providerId);
    writePackage(districtWithout('u-x3'), { dir });
    const run = await sync(providerId);
    expect(run.stats.users).toMatchObject({ deactivated: 1 });
    expect(run.progress.inGrace).toEqual({});
    expect(await userActive('u-x3', providerId)).toBe(false);
    expect((await grace(providerId)).records).toEqual([]);
  });

  it('an incomplete entity counts no missing run; a dry run counts but rolls back', async () => {
    const dir = writePackage(districtWithStudents(20));
    const providerId = await createProvider('Grace incomplete', dir, { deactivationGraceRuns: 2 });
    await sync(providerId);
    writePackage(districtWithout('u-x3'), { dir });
    await sync(providerId);
    expect((await grace(providerId)).records).toEqual([expect.objectContaining({ missingRuns: 1 })]);

    // A users file that breaks off in a quoted field is incomplete: nothing of it goes, nothing counts.
    const usersCsv = path.join(dir, 'users.csv');
    writeFileSync(usersCsv, `${readFileSync(usersCsv, 'utf8')}u-cut,,,true,sch-1,student,cut,,"Cut`);
    const incomplete = await sync(providerId);
    expect(incomplete.status).toBe('PARTIAL');
    expect(incomplete.stats.users).toMatchObject({ deactivated: 0 });
    expect((await grace(providerId)).records).toEqual([expect.objectContaining({ missingRuns: 1 })]);
    expect(await userActive('u-x3', providerId)).toBe(true);

    writePackage(districtWithout('u-x3'), { dir });
    const dry = await call('POST', `/providers/${providerId}/sync?dryRun=true`);
    expect(dry.statusCode).toBe(202);
    await t.idle();
    const preview = (await call('GET', `/runs/${dry.json<{ runId: string }>().runId}`)).json<{
      run: RunBody;
    }>().run;
    expect(preview.stats.users).toMatchObject({ deactivated: 1 });
    expect((await grace(providerId)).records).toEqual([expect.objectContaining({ missingRuns: 1 })]);
    expect(await userActive('u-x3', providerId)).toBe(true);
  });

  it('pages by entity and external id, filters by entity, and keeps to the tenant rules', async () => {
    const dir = writePackage(districtWithStudents(20));
    const providerId = await createProvider('Grace paging', dir, { deactivationGraceRuns: 5 });
    await sync(providerId);
    writePackage(districtWithout('u-x1', 'u-x2', 'u-x3'), { dir });
    await sync(providerId);

    const first = await grace(providerId, '?limit=2');
    expect(first.records.map((r) => r.externalId)).toEqual(['u-x1', 'u-x2']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await grace(providerId, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.records.map((r) => r.externalId)).toEqual(['u-x3']);
    expect(second.nextCursor).toBeNull();
    expect((await grace(providerId, '?entity=users')).records).toHaveLength(3);
    expect((await grace(providerId, '?entity=classes')).records).toEqual([]);

    const replayed = await call(
      'GET',
      `/providers/${providerId}/grace?entity=users&cursor=${first.nextCursor}`,
    );
    expect(replayed.statusCode).toBe(400);
    expect(replayed.json()).toMatchObject({ error: { code: 'validation_failed' } });
    expect((await call('GET', `/providers/${providerId}/grace?cursor=bogus`)).statusCode).toBe(400);

    const foreign = await call('GET', `/providers/${providerId}/grace`, undefined, otherAdmin);
    expect(foreign.statusCode).toBe(404);
  });
});
