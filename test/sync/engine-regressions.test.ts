import { appendFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { writePackage } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, syncNow } from '../support/sync.js';

/* Engine bugs the roster model test (engine-model.test.ts) found, one focused case each. */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const school = { sourcedId: 'sch-1', name: 'North', type: 'school' };
const user = (id: string, email: string, givenName: string, extra: Record<string, string> = {}) => ({
  sourcedId: id,
  enabledUser: 'true',
  orgSourcedIds: 'sch-1',
  role: 'student',
  username: id,
  givenName,
  familyName: 'Lee',
  email,
  ...extra,
});

async function usersOf(tenant: string) {
  return rows<{ given_name: string; active: boolean; links: string }>(
    t,
    `SELECT u.given_name, u.active,
            string_agg(l.external_id || ':' || l.matched_by || ':' || l.active, ',' ORDER BY l.external_id) AS links
     FROM users u JOIN sis_external_links l ON l.tenant_id = u.tenant_id AND l.entity_id = u.id
     WHERE u.tenant_id = '${tenant}' GROUP BY u.id, u.given_name, u.active ORDER BY links`,
  );
}

async function errorCodes(runId: string): Promise<string[]> {
  const detail = await t.deps.runs.getRun({ principal: platformAdmin }, runId, { limit: 50, offset: 0 });
  return detail.errors.errors.map((e) => `${e.externalId}:${e.code}`).sort();
}

describe(`engine regressions on ${driver}`, () => {
  it('a record that comes back to the user another record was matched to meanwhile is not merged', async () => {
    const dir = writePackage({ orgs: [school], users: [user('u-1', 'ann@x.org', 'Ann')] });
    const providerId = await csvProvider(t, 'reg-comeback', dir, { maxDeactivationRatio: 1 });
    await syncNow(t, providerId);
    // The SIS re-keys Ann: u-1 is gone, u-2 carries her email and is matched to her user.
    writePackage({ orgs: [school], users: [user('u-2', 'ANN@x.org', 'Annie')] }, { dir });
    const rekeyed = await syncNow(t, providerId);
    expect(rekeyed.stats.users).toMatchObject({ created: 0, updated: 1, deactivated: 0 });
    // Now both records are there: two records of one provider would write one user.
    writePackage(
      { orgs: [school], users: [user('u-1', 'ann@x.org', 'Ann'), user('u-2', 'ANN@x.org', 'Annie')] },
      { dir },
    );
    const both = await syncNow(t, providerId);
    expect(both.status).toBe('PARTIAL');
    expect(both.stats.users).toEqual({
      created: 0,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      reactivated: 0,
      errors: 2,
    });
    expect(await errorCodes(both.id)).toEqual(['u-1:ambiguous_match', 'u-2:ambiguous_match']);
    expect(await usersOf('reg-comeback')).toEqual([
      { given_name: 'Annie', active: true, links: 'u-1:created:false,u-2:email:true' },
    ]);
  });

  it('a new record is not matched to a user whose own (deactivated) record is back in the same pull', async () => {
    const dir = writePackage({
      orgs: [school],
      users: [user('u-1', 'ann@x.org', 'Ann'), user('u-9', '', 'Bo')],
    });
    const providerId = await csvProvider(t, 'reg-back-and-new', dir, { maxDeactivationRatio: 1 });
    await syncNow(t, providerId);
    writePackage({ orgs: [school], users: [user('u-9', '', 'Bo')] }, { dir });
    expect((await syncNow(t, providerId)).stats.users).toMatchObject({ deactivated: 1 });
    // u-1 is back, and a new u-2 has its email: u-1's user is u-1's, not a match for u-2.
    writePackage(
      {
        orgs: [school],
        users: [user('u-1', 'ann@x.org', 'Ann'), user('u-2', 'ann@x.org', 'Annie'), user('u-9', '', 'Bo')],
      },
      { dir },
    );
    const run = await syncNow(t, providerId);
    expect(run.stats.users).toMatchObject({ created: 0, reactivated: 1, errors: 1 });
    expect(await errorCodes(run.id)).toEqual(['u-2:ambiguous_match']);
    expect((await usersOf('reg-back-and-new')).map((u) => [u.given_name, u.active, u.links])).toEqual([
      ['Ann', true, 'u-1:created:true'],
      ['Bo', true, 'u-9:created:true'],
    ]);
  });

  /*
   * prepare.ts used to match unlinked records against users' emails as the last run left them: when
   * the record that stands for the candidate changed its email in the same pull, the first run
   * reported an ambiguity and the second run, on the same data, created the user.
   */
  it('re-running a pull in which a matched email moves away changes nothing', async () => {
    const dir = writePackage({ orgs: [school], users: [user('u-1', 'bo@x.org', 'Bo')] });
    const providerId = await csvProvider(t, 'reg-email-moves', dir);
    await syncNow(t, providerId);
    writePackage(
      { orgs: [school], users: [user('u-1', 'bo.lee@x.org', 'Bo'), user('u-2', 'bo@x.org', 'Bob')] },
      { dir },
    );
    const moved = await syncNow(t, providerId);
    // u-1's user has bo.lee@x.org once this pull is applied: nothing is left for u-2 to match.
    expect(moved.status).toBe('SUCCESS');
    expect(moved.stats.users).toMatchObject({ created: 1, updated: 1, errors: 0 });
    const again = await syncNow(t, providerId);
    expect(again.stats.users).toMatchObject({ created: 0, updated: 0, deactivated: 0, reactivated: 0 });
    expect(await usersOf('reg-email-moves')).toEqual([
      { given_name: 'Bo', active: true, links: 'u-1:created:true' },
      { given_name: 'Bob', active: true, links: 'u-2:created:true' },
    ]);
  });

  it('a record coming back with a new email frees its old one for a new record of the same pull', async () => {
    const dir = writePackage({
      orgs: [school],
      users: [user('u-1', 'cy@x.org', 'Cy'), user('u-9', '', 'Dee')],
    });
    const providerId = await csvProvider(t, 'reg-back-moved', dir, { maxDeactivationRatio: 1 });
    await syncNow(t, providerId);
    writePackage({ orgs: [school], users: [user('u-9', '', 'Dee')] }, { dir });
    expect((await syncNow(t, providerId)).stats.users).toMatchObject({ deactivated: 1 });
    // u-1 is back (its link inactive until now) under a new email; u-2 brings the old one.
    writePackage(
      {
        orgs: [school],
        users: [user('u-1', 'cy.ng@x.org', 'Cy'), user('u-2', 'cy@x.org', 'Cyd'), user('u-9', '', 'Dee')],
      },
      { dir },
    );
    const run = await syncNow(t, providerId);
    expect(run.stats.users).toMatchObject({ created: 1, reactivated: 1, errors: 0 });
    const again = await syncNow(t, providerId);
    expect(again.stats.users).toMatchObject({
      created: 0,
      updated: 0,
      deactivated: 0,
      reactivated: 0,
      errors: 0,
    });
    expect((await usersOf('reg-back-moved')).map((u) => [u.given_name, u.links])).toEqual([
      ['Cy', 'u-1:created:true'],
      ['Cyd', 'u-2:created:true'],
      ['Dee', 'u-9:created:true'],
    ]);
  });

  it('a record that turns from student to teacher is no student-number match for a new student', async () => {
    const dir = writePackage({
      orgs: [school],
      users: [user('u-1', '', 'Ann', { identifier: 'S-7' })],
    });
    const providerId = await csvProvider(t, 'reg-role-moves', dir);
    await syncNow(t, providerId);
    writePackage(
      {
        orgs: [school],
        users: [
          user('u-1', '', 'Ann', { identifier: 'S-7', role: 'teacher' }),
          user('u-2', '', 'Abe', { identifier: 'S-7' }),
        ],
      },
      { dir },
    );
    const run = await syncNow(t, providerId);
    expect(run.stats.users).toMatchObject({ created: 1, updated: 1, errors: 0 });
    const again = await syncNow(t, providerId);
    expect(again.stats.users).toMatchObject({
      created: 0,
      updated: 0,
      deactivated: 0,
      reactivated: 0,
      errors: 0,
    });
  });

  it('a new record wanting the email a linked record takes in the same pull is refused, on every run', async () => {
    const dir = writePackage({ orgs: [school], users: [user('u-1', 'eve@x.org', 'Eve')] });
    const providerId = await csvProvider(t, 'reg-email-taken', dir);
    await syncNow(t, providerId);
    writePackage(
      { orgs: [school], users: [user('u-1', 'eva@x.org', 'Eve'), user('u-2', 'EVA@x.org', 'Eva')] },
      { dir },
    );
    for (const run of [await syncNow(t, providerId), await syncNow(t, providerId)]) {
      expect(run.status).toBe('PARTIAL');
      expect(await errorCodes(run.id)).toEqual(['u-2:ambiguous_match']);
      expect(run.stats.users).toMatchObject({ created: 0, deactivated: 0, reactivated: 0, errors: 1 });
    }
    expect(await usersOf('reg-email-taken')).toEqual([
      { given_name: 'Eve', active: true, links: 'u-1:created:true' },
    ]);
  });
  it('an incomplete pull takes nothing away, so its tombstones free no user for a new record', async () => {
    const dir = writePackage({ orgs: [school], users: [user('u-1', 'ann@x.org', 'Ann')] });
    const providerId = await csvProvider(t, 'reg-incomplete-tombstone', dir, { maxDeactivationRatio: 1 });
    await syncNow(t, providerId);
    // u-1 is tombstoned and u-2 carries Ann's email, but users.csv breaks off: the pull is incomplete.
    writePackage(
      {
        orgs: [school],
        users: [
          { ...user('u-1', 'ann@x.org', 'Ann'), status: 'tobedeleted' },
          user('u-2', 'ann@x.org', 'Annie'),
        ],
      },
      { dir },
    );
    appendFileSync(path.join(dir, 'users.csv'), 'u-cut,,,true,sch-1,student,cut,,"Cut');
    const run = await syncNow(t, providerId);

    expect(run.status).toBe('PARTIAL');
    expect(run.incompleteEntities).toEqual(['users']);
    expect(await errorCodes(run.id)).toContain('u-2:ambiguous_match');
    // Ann is still u-1's alone: one active link, nothing deactivated, nobody merged.
    expect(await usersOf('reg-incomplete-tombstone')).toEqual([
      { given_name: 'Ann', active: true, links: 'u-1:created:true' },
    ]);
  });
});
