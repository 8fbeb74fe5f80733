import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { districtWithStudents, writePackage, type PackageSpec } from '../support/oneroster-package.js';
import { csvProvider, rows } from '../support/sync.js';

/*
 * Field-level review of held and dry runs over HTTP: each listed change with the fields it sets,
 * old and new, the filters, and approving a held run while excluding records, on real runs of
 * hand-written OneRoster packages.
 */

let t: TestApp;
let platform: string;

beforeAll(async () => {
  t = await createTestApp();
  platform = await t.token('PLATFORM_ADMIN');
});
afterAll(async () => t.close());

const call = (method: 'GET' | 'POST', url: string, body?: unknown) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${platform}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });

interface Change {
  entity: string;
  kind: string;
  externalId: string;
  label: string | null;
  fields: Record<string, { old: unknown; new: unknown }>;
  matchedBy: string | null;
}
interface ChangeList {
  changes: Change[];
  total: number;
  counts: { entity: string; kind: string; n: number }[];
  fields: string[];
}

async function changesOf(runId: string, query = ''): Promise<ChangeList> {
  const res = await call('GET', `/runs/${runId}/changes?limit=1000${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<ChangeList>();
}

const change = (list: ChangeList, entity: string, externalId: string) =>
  list.changes.find((c) => c.entity === entity && c.externalId === externalId);

async function sync(providerId: string, dryRun = false) {
  const res = await call('POST', `/providers/${providerId}/sync${dryRun ? '?dryRun=true' : ''}`);
  expect(res.statusCode, res.body).toBe(202);
  await t.idle();
  const run = await call('GET', `/runs/${res.json<{ runId: string }>().runId}`);
  return run.json<{
    run: { id: string; status: string; excluded: number; stats: Record<string, Record<string, number>> };
  }>().run;
}

/**
 * The district with 5 extra students, and then the same district on a day that changes a little
 * of everything: 3 extra students gone (held: 3 of 10 users, over the default 10%), a renamed and
 * regraded student, a class in a second term, a course moved to the other school, an enrollment's
 * begin date, a new student enrolled in a class, and a new course with a class and an enrollment.
 */
function nextDay(): PackageSpec {
  const d = districtWithStudents(2);
  const s1 = d.users.find((u) => u.sourcedId === 'u-s1')!;
  s1.familyName = 'Turing-Smith';
  s1.grades = '10';
  d.classes.find((k) => k.sourcedId === 'k-alg-1')!.termSourcedIds = 't1,y2026';
  d.courses.find((c) => c.sourcedId === 'c-alg')!.orgSourcedId = 'sch-2';
  d.enrollments.find((e) => e.sourcedId === 'e5')!.beginDate = '2025-09-01';
  d.users.push({
    sourcedId: 'u-new',
    enabledUser: 'true',
    orgSourcedIds: 'sch-1',
    role: 'student',
    username: 'nia',
    givenName: 'Nia',
    familyName: 'Okafor',
    identifier: '000777',
    grades: '09',
  });
  d.enrollments.push({
    sourcedId: 'e-new',
    classSourcedId: 'k-alg-1',
    schoolSourcedId: 'sch-1',
    userSourcedId: 'u-new',
    role: 'student',
  });
  d.courses.push({ sourcedId: 'c-bio', title: 'Biology', courseCode: 'BIO1', orgSourcedId: 'sch-1' });
  d.classes.push({
    sourcedId: 'k-bio-1',
    title: 'Biology - P2',
    courseSourcedId: 'c-bio',
    classType: 'scheduled',
    schoolSourcedId: 'sch-1',
    termSourcedIds: 't1',
  });
  d.enrollments.push({
    sourcedId: 'e-bio',
    classSourcedId: 'k-bio-1',
    schoolSourcedId: 'sch-1',
    userSourcedId: 'u-s2',
    role: 'student',
  });
  return d;
}

/** A provider of its own tenant whose second sync (the next day) is held. */
async function heldNextDay(tenantId: string) {
  const dir = writePackage(districtWithStudents(5));
  const providerId = await csvProvider(t, tenantId, dir);
  expect((await sync(providerId)).status).toBe('SUCCESS');
  writePackage(nextDay(), { dir });
  const held = await sync(providerId);
  expect(held.status).toBe('HELD');
  return { providerId, held };
}

/** The canonical id of a provider record. */
async function idOf(tenantId: string, entity: string, externalId: string): Promise<string> {
  const [row] = await rows<{ entity_id: string }>(
    t,
    `SELECT entity_id FROM sis_external_links
     WHERE tenant_id = '${tenantId}' AND entity_type = '${entity}' AND external_id = '${externalId}'`,
  );
  if (row === undefined) throw new Error(`no link for ${entity} ${externalId}`);
  return row.entity_id;
}

describe(`field-level review on ${driver}`, () => {
  it('lists per record the fields a held run would change, old and new, as the roster API shows them', async () => {
    const tenant = 'review-fields';
    const { held } = await heldNextDay(tenant);
    const list = await changesOf(held.id);
    const [sch1, sch2, t1, y2026] = await Promise.all([
      idOf(tenant, 'schools', 'sch-1'),
      idOf(tenant, 'schools', 'sch-2'),
      idOf(tenant, 'terms', 't1'),
      idOf(tenant, 'terms', 'y2026'),
    ]);
    expect(change(list, 'users', 'u-s1')).toMatchObject({
      kind: 'updated',
      fields: { familyName: { old: 'Turing', new: 'Turing-Smith' }, grades: { old: ['09'], new: ['10'] } },
      matchedBy: null,
    });
    expect(Object.keys(change(list, 'users', 'u-s1')!.fields).sort()).toEqual(['familyName', 'grades']);
    expect(change(list, 'classes', 'k-alg-1')?.fields).toEqual({ termIds: { old: [t1], new: [t1, y2026] } });
    expect(change(list, 'courses', 'c-alg')?.fields).toEqual({ schoolId: { old: sch1, new: sch2 } });
    expect(change(list, 'enrollments', 'e5')?.fields).toEqual({
      beginDate: { old: '2025-08-15', new: '2025-09-01' },
    });
    for (const gone of ['u-x2', 'u-x3', 'u-x4']) {
      expect(change(list, 'users', gone)).toMatchObject({
        kind: 'deactivated',
        fields: { active: { old: true, new: false } },
      });
    }
    const created = change(list, 'users', 'u-new');
    expect(created).toMatchObject({
      kind: 'created',
      label: 'Nia Okafor',
      fields: {
        givenName: { old: null, new: 'Nia' },
        familyName: { old: null, new: 'Okafor' },
        schoolIds: { old: null, new: [sch1] },
        grades: { old: null, new: ['09'] },
        enabled: { old: null, new: true },
      },
    });
    // A created record lists the values it has, not the empty ones, nor `active`.
    expect(created?.fields).not.toHaveProperty('email');
    expect(created?.fields).not.toHaveProperty('active');
    // Unchanged records are not listed.
    expect(change(list, 'users', 'u-s2')).toBeUndefined();
    expect(list.counts).toEqual(
      expect.arrayContaining([
        { entity: 'users', kind: 'deactivated', n: 3 },
        { entity: 'users', kind: 'updated', n: 1 },
        { entity: 'users', kind: 'created', n: 1 },
        { entity: 'enrollments', kind: 'created', n: 2 },
      ]),
    );
    expect(list.fields).toEqual(expect.arrayContaining(['active', 'beginDate', 'familyName', 'termIds']));
  });

  it('filters the changes by field and by text in the label or external id, with counts for the filter bar', async () => {
    const { held } = await heldNextDay('review-filters');
    const ids = (list: ChangeList) => list.changes.map((c) => `${c.entity}/${c.externalId}`).sort();
    expect(ids(await changesOf(held.id, '&kind=updated&field=familyName'))).toEqual(['users/u-s1']);
    // A created record sets its fields too.
    expect(ids(await changesOf(held.id, '&field=familyName'))).toEqual(['users/u-new', 'users/u-s1']);
    expect(ids(await changesOf(held.id, '&field=beginDate'))).toEqual(['enrollments/e5']);
    expect(ids(await changesOf(held.id, '&field=active&entity=users'))).toEqual([
      'users/u-x2',
      'users/u-x3',
      'users/u-x4',
    ]);
    // Text matches the label (any case) or the external id.
    expect(ids(await changesOf(held.id, '&q=turing-SMITH'))).toEqual(['users/u-s1']);
    const byId = await changesOf(held.id, '&q=U-X');
    expect(ids(byId)).toEqual(['users/u-x2', 'users/u-x3', 'users/u-x4']);
    expect(byId.counts).toEqual([{ entity: 'users', kind: 'deactivated', n: 3 }]);
    // Counts follow the text and field filters, not the entity and kind ones.
    const bio = await changesOf(held.id, '&q=bio&entity=courses');
    expect(bio.total).toBe(1);
    expect(bio.counts).toEqual([
      { entity: 'classes', kind: 'created', n: 1 },
      { entity: 'courses', kind: 'created', n: 1 },
      { entity: 'enrollments', kind: 'created', n: 1 },
    ]);
    expect((await call('GET', `/runs/${held.id}/changes?q=`)).statusCode).toBe(400);
  });

  it('a dry run lists the same fields, and cannot be approved', async () => {
    const dir = writePackage(districtWithStudents(5));
    const providerId = await csvProvider(t, 'review-dry', dir);
    await sync(providerId);
    writePackage(nextDay(), { dir });
    const dry = await sync(providerId, true);
    expect(dry.status).toBe('SUCCESS');
    expect(change(await changesOf(dry.id), 'users', 'u-s1')?.fields).toEqual({
      familyName: { old: 'Turing', new: 'Turing-Smith' },
      grades: { old: ['09'], new: ['10'] },
    });
    const res = await call('POST', `/runs/${dry.id}/approve`, { exclude: [] });
    expect(res.statusCode, res.body).toBe(409);
  });

  it('approving while excluding a create, an update and a deactivation leaves those records as they were', async () => {
    const tenant = 'review-exclude';
    const { providerId, held } = await heldNextDay(tenant);
    const exclude = [
      { entity: 'users', externalId: 'u-new' },
      { entity: 'users', externalId: 'u-s1' },
      { entity: 'users', externalId: 'u-x2' },
      { entity: 'courses', externalId: 'c-bio' },
    ];
    const res = await call('POST', `/runs/${held.id}/approve`, { exclude });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ runId: held.id, status: 'IN_PROGRESS', dryRun: false, excluded: 4 });
    await t.idle();
    const applied = (await call('GET', `/runs/${held.id}`)).json<{
      run: {
        status: string;
        excluded: number;
        heldReason: Record<string, unknown>;
        stats: Record<string, Record<string, number>>;
      };
    }>().run;
    expect(applied).toMatchObject({ status: 'SUCCESS', excluded: 4 });
    expect(applied.heldReason).not.toHaveProperty('excluded');
    // Stats count what was applied.
    expect(applied.stats.users).toMatchObject({ created: 0, updated: 0, deactivated: 2 });
    expect(applied.stats.courses).toMatchObject({ created: 0, updated: 1 });
    expect(applied.stats.classes).toMatchObject({ created: 0, updated: 1 });
    expect(applied.stats.enrollments).toMatchObject({ created: 0, updated: 1 });

    const users = await rows<{
      external_id: string;
      family_name: string;
      active: boolean;
      link_active: boolean;
    }>(
      t,
      `SELECT l.external_id, u.family_name, u.active, l.active AS link_active
       FROM sis_external_links l JOIN users u ON u.tenant_id = l.tenant_id AND u.id = l.entity_id
       WHERE l.tenant_id = '${tenant}' AND l.entity_type = 'users' AND l.external_id IN ('u-s1', 'u-x2', 'u-x3')
       ORDER BY l.external_id`,
    );
    expect(users).toEqual([
      { external_id: 'u-s1', family_name: 'Turing', active: true, link_active: true },
      { external_id: 'u-x2', family_name: 'Student', active: true, link_active: true },
      { external_id: 'u-x3', family_name: 'Student', active: false, link_active: false },
    ]);
    const notCreated = await rows<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM sis_external_links WHERE tenant_id = '${tenant}'
       AND external_id IN ('u-new', 'c-bio', 'k-bio-1', 'e-new', 'e-bio')`,
    );
    expect(notCreated).toEqual([{ n: 0 }]);
    expect(
      await rows(
        t,
        `SELECT count(*)::int AS n FROM users WHERE tenant_id = '${tenant}' AND given_name = 'Nia'`,
      ),
    ).toEqual([{ n: 0 }]);
    // The rest is applied.
    expect(
      await rows(
        t,
        `SELECT e.begin_date::text AS begin FROM enrollments e JOIN sis_external_links l
         ON l.tenant_id = e.tenant_id AND l.entity_id = e.id AND l.entity_type = 'enrollments'
         WHERE l.tenant_id = '${tenant}' AND l.external_id = 'e5'`,
      ),
    ).toEqual([{ begin: '2025-09-01' }]);

    // What needed an excluded new record was left out, each with a warning that says why.
    expect(
      await rows(
        t,
        `SELECT entity, external_id, field, severity, message FROM sis_sync_run_errors
         WHERE run_id = '${held.id}' AND code = 'excluded_reference' ORDER BY entity, external_id`,
      ),
    ).toEqual([
      {
        entity: 'classes',
        external_id: 'k-bio-1',
        field: 'courseExternalId',
        severity: 'warning',
        message:
          'class k-bio-1 is not applied: it refers to course c-bio, which was excluded from this approval',
      },
      {
        entity: 'enrollments',
        external_id: 'e-bio',
        field: 'classExternalId',
        severity: 'warning',
        message:
          'enrollment e-bio is not applied: it refers to class k-bio-1, which this approval does not apply either (it needs an excluded record)',
      },
      {
        entity: 'enrollments',
        external_id: 'e-new',
        field: 'userExternalId',
        severity: 'warning',
        message:
          'enrollment e-new is not applied: it refers to user u-new, which was excluded from this approval',
      },
    ]);

    // The change feed and the run's changes carry only what was applied.
    const events = await rows<{ entity: string; external_id: string; kind: string }>(
      t,
      `SELECT e.entity, l.external_id, e.kind FROM sis_change_events e
       JOIN sis_external_links l ON l.tenant_id = e.tenant_id AND l.entity_type = e.entity AND l.entity_id = e.entity_id
       WHERE e.run_id = '${held.id}' ORDER BY e.entity, l.external_id`,
    );
    expect(events).toEqual([
      { entity: 'classes', external_id: 'k-alg-1', kind: 'updated' },
      { entity: 'courses', external_id: 'c-alg', kind: 'updated' },
      { entity: 'enrollments', external_id: 'e5', kind: 'updated' },
      { entity: 'users', external_id: 'u-x3', kind: 'deactivated' },
      { entity: 'users', external_id: 'u-x4', kind: 'deactivated' },
    ]);
    const listed = await changesOf(held.id);
    expect(list(listed)).toEqual([
      'classes/k-alg-1/updated',
      'courses/c-alg/updated',
      'enrollments/e5/updated',
      'users/u-x3/deactivated',
      'users/u-x4/deactivated',
    ]);

    // Kept in the approving transaction, and audited with the count.
    expect(
      await rows(
        t,
        `SELECT entity, external_id, excluded_by FROM sis_sync_run_exclusions WHERE run_id = '${held.id}'
         ORDER BY entity, external_id`,
      ),
    ).toEqual([
      { entity: 'courses', external_id: 'c-bio', excluded_by: 'platform_admin@platform' },
      { entity: 'users', external_id: 'u-new', excluded_by: 'platform_admin@platform' },
      { entity: 'users', external_id: 'u-s1', excluded_by: 'platform_admin@platform' },
      { entity: 'users', external_id: 'u-x2', excluded_by: 'platform_admin@platform' },
    ]);
    expect(
      await rows(
        t,
        `SELECT details FROM audit_log WHERE target_id = '${held.id}' AND action = 'run.approve'`,
      ),
    ).toEqual([{ details: { providerId, excluded: 4 } }]);

    // The next run proposes what was excluded again: the update, the create, the deactivation.
    const next = await sync(providerId, true);
    const again = await changesOf(next.id);
    expect(list(again)).toEqual([
      'classes/k-bio-1/created',
      'courses/c-bio/created',
      'enrollments/e-bio/created',
      'enrollments/e-new/created',
      'users/u-new/created',
      'users/u-s1/updated',
      'users/u-x2/deactivated',
    ]);
    expect(change(again, 'users', 'u-s1')?.fields).toEqual({
      familyName: { old: 'Turing', new: 'Turing-Smith' },
      grades: { old: ['09'], new: ['10'] },
    });
  });

  it('refuses to exclude a record that is not a listed change, naming it, and keeps the run held', async () => {
    const { held } = await heldNextDay('review-refuse');
    const res = await call('POST', `/runs/${held.id}/approve`, {
      exclude: [
        { entity: 'users', externalId: 'u-s1' },
        { entity: 'users', externalId: 'u-s2' },
        { entity: 'classes', externalId: 'nope' },
      ],
    });
    expect(res.statusCode, res.body).toBe(400);
    const error = res.json<{
      error: { code: string; details: { issues: { path: string; message: string }[] } };
    }>().error;
    expect(error.code).toBe('validation_failed');
    expect(error.details.issues).toEqual([
      { path: 'exclude/1', message: `users u-s2 is not a change listed for run ${held.id}` },
      { path: 'exclude/2', message: `classes nope is not a change listed for run ${held.id}` },
    ]);
    const bad = await call('POST', `/runs/${held.id}/approve`, {
      exclude: [{ entity: 'pets', externalId: 'x' }],
    });
    expect(bad.statusCode, bad.body).toBe(400);
    const run = (await call('GET', `/runs/${held.id}`)).json<{ run: { status: string; excluded: number } }>()
      .run;
    expect(run).toMatchObject({ status: 'HELD', excluded: 0 });
    expect(await rows(t, `SELECT * FROM sis_sync_run_exclusions WHERE run_id = '${held.id}'`)).toEqual([]);
  });
});

const list = (changes: ChangeList) =>
  changes.changes.map((c) => `${c.entity}/${c.externalId}/${c.kind}`).sort();
