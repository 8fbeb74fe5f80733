import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { writePackage, type PackageSpec } from '../support/oneroster-package.js';
import { approveRelinkReview, csvProvider, platformAdmin, rows, syncNow } from '../support/sync.js';

/*
 * User matching (design section 3): (1) this provider's link, (2) email, trimmed and
 * case-folded, (3) student number, students only, (4) create. Ambiguity is a per-record error,
 * never a merge; the same person from two providers of one tenant is one user with two links.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

type User = { sourcedId: string; role: string } & Record<string, string>;

/** A package of one school (named after `prefix`) and the given users in it. */
function usersPackage(prefix: string, users: User[]): PackageSpec {
  return {
    orgs: [{ sourcedId: `${prefix}-sch`, name: `${prefix} School`, type: 'school' }],
    users: users.map((u) => ({
      enabledUser: 'true',
      orgSourcedIds: `${prefix}-sch`,
      username: u.sourcedId,
      givenName: `Given ${u.sourcedId}`,
      familyName: 'Family',
      ...u,
    })),
  };
}

/** A provider of `tenantId` over its own package folder; `ratio` 1 never holds a run. */
async function provider(tenantId: string, prefix: string, users: User[], ratio?: number) {
  const dir = writePackage(usersPackage(prefix, users));
  const id = await csvProvider(
    t,
    tenantId,
    dir,
    ratio === undefined ? {} : { maxDeactivationRatio: ratio, name: `${prefix} provider` },
  );
  return {
    id,
    // A second provider's first run is held for its re-links: approved, as these tests look at matching.
    sync: async () => approveRelinkReview(t, await syncNow(t, id)),
    /** Replaces the package with these users. */
    deliver: (next: User[], modes?: Record<string, string>) =>
      writePackage(usersPackage(prefix, next), { dir, ...(modes === undefined ? {} : { modes }) }),
  };
}

interface Link {
  provider_id: string;
  external_id: string;
  entity_id: string;
  matched_by: string;
  active: boolean;
}
const linksOf = (tenantId: string) =>
  rows<Link>(
    t,
    `SELECT provider_id, external_id, entity_id, matched_by, active FROM sis_external_links
     WHERE tenant_id = '${tenantId}' AND entity_type = 'users' ORDER BY external_id`,
  );
const link = async (tenantId: string, externalId: string) =>
  (await linksOf(tenantId)).find((l) => l.external_id === externalId);
const usersOf = (tenantId: string) =>
  rows<{ id: string; email: string | null; identifier: string | null; active: boolean }>(
    t,
    `SELECT id, email, identifier, active FROM users WHERE tenant_id = '${tenantId}' ORDER BY id`,
  );
const errorsOf = async (runId: string) =>
  (await t.deps.runs.getRun({ principal: platformAdmin }, runId, { limit: 100, offset: 0 })).errors.errors;

describe(`user matching on ${driver}`, () => {
  it('email, trimmed and case-folded, ties two providers of a tenant to one user with two links', async () => {
    const a = await provider('m-email', 'a', [
      { sourcedId: 'a-ada', role: 'teacher', email: 'ada@lincoln.example', identifier: 'T1' },
    ]);
    const first = await a.sync();
    expect(first.status).toBe('SUCCESS');
    expect((await link('m-email', 'a-ada'))?.matched_by).toBe('created');

    const b = await provider('m-email', 'b', [
      { sourcedId: 'b-ada', role: 'teacher', email: '  ADA@Lincoln.Example ', identifier: 'B-77' },
    ]);
    const run = await b.sync();
    expect(run.status).toBe('SUCCESS');
    expect(run.stats.users).toMatchObject({ created: 0, updated: 1, errors: 0 });
    const users = await usersOf('m-email');
    expect(users).toHaveLength(1);
    expect(await linksOf('m-email')).toEqual([
      {
        provider_id: a.id,
        external_id: 'a-ada',
        entity_id: users[0]!.id,
        matched_by: 'created',
        active: true,
      },
      { provider_id: b.id, external_id: 'b-ada', entity_id: users[0]!.id, matched_by: 'email', active: true },
    ]);

    // From now on the link decides (rule 1): nothing changes on the same data.
    const again = await b.sync();
    expect(again.stats.users).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect((await link('m-email', 'b-ada'))?.matched_by).toBe('email');
    expect(await usersOf('m-email')).toHaveLength(1);
  });

  it("an existing link wins over an email that now names another provider's user", async () => {
    const b = await provider('m-link', 'b', [
      { sourcedId: 'b-1', role: 'student', email: 'shared@x.example' },
    ]);
    await b.sync();
    const a = await provider('m-link', 'a', [{ sourcedId: 'a-1', role: 'student', email: 'own@x.example' }]);
    await a.sync();
    const before = await link('m-link', 'a-1');
    a.deliver([{ sourcedId: 'a-1', role: 'student', email: 'Shared@x.example' }]);
    const run = await a.sync();
    expect(run.status).toBe('SUCCESS');
    expect(run.stats.users).toMatchObject({ created: 0, updated: 1, errors: 0 });
    expect(await link('m-link', 'a-1')).toEqual(before);
    expect(await usersOf('m-link')).toHaveLength(2);
  });

  it('a student number matches students only; a teacher with the same number is not matched', async () => {
    const a = await provider('m-number', 'a', [
      { sourcedId: 'a-s', role: 'student', identifier: 'S-100' },
      { sourcedId: 'a-t', role: 'teacher', identifier: 'S-200' },
    ]);
    await a.sync();
    const b = await provider('m-number', 'b', [
      { sourcedId: 'b-s', role: 'student', identifier: 'S-100' },
      { sourcedId: 'b-t', role: 'teacher', identifier: 'S-200' },
      { sourcedId: 'b-s2', role: 'student', identifier: 'S-200' },
    ]);
    const run = await b.sync();
    expect(run.status).toBe('SUCCESS');
    expect(run.stats.users).toMatchObject({ created: 2, updated: 1, errors: 0 });
    const links = await linksOf('m-number');
    const of = (id: string) => links.find((l) => l.external_id === id)!;
    expect(of('b-s')).toMatchObject({ matched_by: 'student_number', entity_id: of('a-s').entity_id });
    expect(of('b-t').matched_by).toBe('created');
    expect(of('b-t').entity_id).not.toBe(of('a-t').entity_id);
    expect(of('b-s2').matched_by).toBe('created');
    expect(of('b-s2').entity_id).not.toBe(of('a-t').entity_id);
    expect(await usersOf('m-number')).toHaveLength(4);
  });

  it('email comes before the student number', async () => {
    const a = await provider('m-order', 'a', [
      { sourcedId: 'a-1', role: 'student', email: 'kai@x.example', identifier: 'S-1' },
      { sourcedId: 'a-2', role: 'student', email: 'noa@x.example', identifier: 'S-2' },
    ]);
    await a.sync();
    const b = await provider('m-order', 'b', [
      // The email names a-1's user, the student number a-2's: the email decides.
      { sourcedId: 'b-1', role: 'student', email: 'KAI@x.example', identifier: 'S-2' },
    ]);
    expect((await b.sync()).status).toBe('SUCCESS');
    expect(await link('m-order', 'b-1')).toMatchObject({
      matched_by: 'email',
      entity_id: (await link('m-order', 'a-1'))?.entity_id,
    });
  });

  it('two candidates for one rule: an ambiguous_match error naming the record, never a merge', async () => {
    const a = await provider('m-ambiguous', 'a', [
      { sourcedId: 'a-1', role: 'student', email: 'twin@x.example', identifier: 'S-1' },
      { sourcedId: 'a-2', role: 'student', email: 'twin@x.example', identifier: 'S-2' },
      { sourcedId: 'a-3', role: 'student', identifier: 'S-9' },
      { sourcedId: 'a-4', role: 'student', identifier: 'S-9' },
    ]);
    expect((await a.sync()).stats.users).toMatchObject({ created: 4, errors: 0 });
    const b = await provider('m-ambiguous', 'b', [
      { sourcedId: 'b-ok', role: 'student', email: 'single@x.example' },
      { sourcedId: 'b-1', role: 'student', email: ' Twin@X.example' },
      { sourcedId: 'b-2', role: 'student', identifier: 'S-9' },
    ]);
    const run = await b.sync();
    expect(run.status).toBe('PARTIAL');
    expect(run.stats.users).toMatchObject({ created: 1, updated: 0, errors: 2 });
    const errors = (await errorsOf(run.id))
      .filter((e) => e.code === 'ambiguous_match')
      .sort((x, y) => (x.externalId ?? '').localeCompare(y.externalId ?? ''));
    expect(errors).toEqual([
      expect.objectContaining({
        entity: 'users',
        externalId: 'b-1',
        sourceFile: 'users.csv',
        sourceLine: 3,
        field: 'email',
        severity: 'error',
      }),
      expect.objectContaining({
        entity: 'users',
        externalId: 'b-2',
        sourceFile: 'users.csv',
        sourceLine: 4,
        field: 'identifier',
        severity: 'error',
      }),
    ]);
    expect(errors[0]?.message).toMatch(/^user b-1: email .*twin@x\.example matches 2 existing users/i);
    expect(errors[1]?.message).toMatch(/^user b-2: student number S-9 matches 2 existing users/);
    expect(await usersOf('m-ambiguous')).toHaveLength(5);
    expect((await linksOf('m-ambiguous')).map((l) => l.external_id)).toEqual([
      'a-1',
      'a-2',
      'a-3',
      'a-4',
      'b-ok',
    ]);
  });

  it('two records of one pull wanting the same user: both refused, neither merged', async () => {
    const a = await provider('m-contest', 'a', [
      { sourcedId: 'a-1', role: 'teacher', email: 'pat@x.example' },
    ]);
    await a.sync();
    const b = await provider('m-contest', 'b', [
      { sourcedId: 'b-1', role: 'teacher', email: 'pat@x.example' },
      { sourcedId: 'b-2', role: 'teacher', email: 'PAT@x.example ' },
    ]);
    const run = await b.sync();
    expect(run.status).toBe('PARTIAL');
    const errors = (await errorsOf(run.id)).filter((e) => e.code === 'ambiguous_match');
    expect(errors.map((e) => e.externalId).sort()).toEqual(['b-1', 'b-2']);
    expect(errors[0]?.message).toContain('other record(s) of this pull');
    expect(await usersOf('m-contest')).toHaveLength(1);
    expect((await linksOf('m-contest')).map((l) => l.external_id)).toEqual(['a-1']);
  });

  it('a record with several candidates does not contest the one candidate of another record', async () => {
    const a = await provider('m-contest-many', 'a', [
      { sourcedId: 'a-1', role: 'student', email: 'twin@x.example', identifier: 'S-1' },
      { sourcedId: 'a-2', role: 'student', email: 'twin@x.example', identifier: 'S-2' },
    ]);
    await a.sync();
    // The user whose id sorts first: the old check took it for the several-candidate record's one.
    const [first, second] = [
      (await link('m-contest-many', 'a-1'))!,
      (await link('m-contest-many', 'a-2'))!,
    ].sort((x, y) => (x.entity_id < y.entity_id ? -1 : 1));
    const number = first!.external_id === 'a-1' ? 'S-1' : 'S-2';
    const b = await provider('m-contest-many', 'b', [
      // Its student number names only the first user.
      { sourcedId: 'b-1', role: 'student', identifier: number },
      // Its email names both: ambiguous on its own, whatever the ids.
      { sourcedId: 'b-2', role: 'student', email: 'TWIN@x.example' },
    ]);
    const run = await b.sync();
    expect(run.status).toBe('PARTIAL');
    expect(run.stats.users).toMatchObject({ created: 0, updated: 1, errors: 1 });
    const errors = (await errorsOf(run.id)).filter((e) => e.code === 'ambiguous_match');
    expect(errors.map((e) => e.externalId)).toEqual(['b-2']);
    expect(errors[0]?.message).toContain('matches 2 existing users');
    expect(await link('m-contest-many', 'b-1')).toMatchObject({
      entity_id: first!.entity_id,
      matched_by: 'student_number',
    });
    expect(second!.entity_id).not.toBe(first!.entity_id);
    expect(await link('m-contest-many', 'b-2')).toBeUndefined();
  });

  it('a new record wanting the user another record of the same provider stands for is refused', async () => {
    const a = await provider('m-same', 'a', [{ sourcedId: 'a-1', role: 'student', email: 'kim@x.example' }]);
    await a.sync();
    a.deliver([
      { sourcedId: 'a-1', role: 'student', email: 'kim@x.example' },
      { sourcedId: 'a-2', role: 'student', email: 'kim@x.example' },
    ]);
    const run = await a.sync();
    expect(run.status).toBe('PARTIAL');
    const [error] = (await errorsOf(run.id)).filter((e) => e.code === 'ambiguous_match');
    expect(error).toMatchObject({ externalId: 'a-2', field: 'email' });
    expect(error?.message).toContain('record a-1 of this provider already stands for');
    expect(await usersOf('m-same')).toHaveLength(1);
  });

  it('in a delta, a record the provider still links but did not resend still stands for its user', async () => {
    const a = await provider('m-delta', 'a', [{ sourcedId: 'a-1', role: 'student', email: 'lou@x.example' }]);
    await a.sync();
    // The delta carries a new record with a-1's email; a-1 itself is not in it, and stays.
    a.deliver([{ sourcedId: 'a-2', role: 'student', email: 'lou@x.example', status: 'active' }], {
      orgs: 'absent',
      users: 'delta',
    });
    const run = await a.sync();
    expect(run.status).toBe('PARTIAL');
    const [error] = (await errorsOf(run.id)).filter((e) => e.code === 'ambiguous_match');
    expect(error).toMatchObject({ externalId: 'a-2', field: 'email' });
    expect(error?.message).toContain('record a-1 of this provider already stands for');
    const links = await linksOf('m-delta');
    expect(links.map((l) => [l.external_id, l.active])).toEqual([['a-1', true]]);
  });

  it('in a snapshot, a new record takes over the user of a record the snapshot drops', async () => {
    const a = await provider(
      'm-takeover',
      'a',
      [
        { sourcedId: 'a-1', role: 'student', email: 'rio@x.example' },
        { sourcedId: 'a-2', role: 'student', email: 'ana@x.example' },
      ],
      1,
    );
    await a.sync();
    const rio = (await link('m-takeover', 'a-1'))!.entity_id;
    a.deliver([
      { sourcedId: 'a-2', role: 'student', email: 'ana@x.example' },
      { sourcedId: 'a-3', role: 'student', email: 'rio@x.example' },
    ]);
    const run = await a.sync();
    expect(run.status).toBe('SUCCESS');
    expect(run.stats.users).toMatchObject({ created: 0, deactivated: 0, errors: 0 });
    expect(await link('m-takeover', 'a-3')).toMatchObject({
      entity_id: rio,
      matched_by: 'email',
      active: true,
    });
    expect((await link('m-takeover', 'a-1'))?.active).toBe(false);
    expect((await usersOf('m-takeover')).map((u) => u.active)).toEqual([true, true]);
  });

  it('a user another provider still links stays active when one provider drops it', async () => {
    const a = await provider(
      'm-drop',
      'a',
      [
        { sourcedId: 'a-1', role: 'student', email: 'lee@x.example' },
        { sourcedId: 'a-2', role: 'student', email: 'max@x.example' },
      ],
      1,
    );
    await a.sync();
    const b = await provider(
      'm-drop',
      'b',
      [
        { sourcedId: 'b-1', role: 'student', email: 'lee@x.example' },
        { sourcedId: 'b-9', role: 'student', email: 'zoe@x.example' },
      ],
      1,
    );
    await b.sync();
    const lee = (await link('m-drop', 'a-1'))!.entity_id;
    expect((await link('m-drop', 'b-1'))?.entity_id).toBe(lee);

    b.deliver([{ sourcedId: 'b-9', role: 'student', email: 'zoe@x.example' }]);
    const dropped = await b.sync();
    expect(dropped.status).toBe('SUCCESS');
    expect(dropped.stats.users).toMatchObject({ deactivated: 0 });
    expect((await link('m-drop', 'b-1'))?.active).toBe(false);
    expect((await usersOf('m-drop')).find((u) => u.id === lee)?.active).toBe(true);

    a.deliver([{ sourcedId: 'a-2', role: 'student', email: 'max@x.example' }]);
    const last = await a.sync();
    expect(last.stats.users).toMatchObject({ deactivated: 1 });
    expect((await usersOf('m-drop')).find((u) => u.id === lee)?.active).toBe(false);
  });

  it('a different tenant never matches', async () => {
    const a = await provider('m-tenant-1', 'a', [
      { sourcedId: 'a-1', role: 'student', email: 'sam@x.example', identifier: 'S-5' },
    ]);
    await a.sync();
    const c = await provider('m-tenant-2', 'c', [
      { sourcedId: 'c-1', role: 'student', email: 'sam@x.example', identifier: 'S-5' },
    ]);
    const run = await c.sync();
    expect(run.stats.users).toMatchObject({ created: 1, updated: 0 });
    expect(await link('m-tenant-2', 'c-1')).toMatchObject({ matched_by: 'created' });
    const [one] = await usersOf('m-tenant-1');
    const [two] = await usersOf('m-tenant-2');
    expect(two?.id).not.toBe(one?.id);
  });
});
