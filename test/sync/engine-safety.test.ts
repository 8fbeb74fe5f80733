import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { csvOf, smallDistrict, writePackage, type PackageSpec } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, syncNow } from '../support/sync.js';
import { ONEROSTER_ENTITIES } from '../../src/connectors/oneroster/entities.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

/** The small district plus `n` more students, each in the algebra class. */
function districtWithEnrolledStudents(n: number): Required<PackageSpec> {
  const d = smallDistrict();
  for (let i = 0; i < n; i++) {
    const id = `u-x${i}`;
    d.users.push({
      sourcedId: id,
      enabledUser: 'true',
      orgSourcedIds: 'sch-1',
      role: 'student',
      username: `x${i}`,
      givenName: `Extra${i}`,
      familyName: 'Student',
      email: `x${i}@lincoln.example`,
      identifier: `9${String(i).padStart(5, '0')}`,
    });
    d.enrollments.push({
      sourcedId: `ex${i}`,
      classSourcedId: 'k-alg-1',
      schoolSourcedId: 'sch-1',
      userSourcedId: id,
      role: 'student',
    });
  }
  return d;
}

const snapshot = async (tenant: string) => ({
  users: await rows(
    t,
    `SELECT id, active, given_name, email FROM users WHERE tenant_id = '${tenant}' ORDER BY id`,
  ),
  enrollments: await rows(
    t,
    `SELECT id, active, user_id, class_id FROM enrollments WHERE tenant_id = '${tenant}' ORDER BY id`,
  ),
  classes: await rows(t, `SELECT id, active, title FROM classes WHERE tenant_id = '${tenant}' ORDER BY id`),
});

describe(`safety on ${driver}`, () => {
  it('holds a run that would deactivate 30% of users; approve applies exactly that', async () => {
    const full = districtWithEnrolledStudents(5); // 10 users
    const dir = writePackage(full);
    const providerId = await csvProvider(t, 'held-approve', dir);
    expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
    const before = await snapshot('held-approve');

    const shrunk = districtWithEnrolledStudents(2); // 7 users: 3 gone (30% > 10%)
    writePackage(shrunk, { dir });
    const held = await syncNow(t, providerId);
    expect(held.status).toBe('HELD');
    expect((held.heldReason as { entities: unknown[] }).entities).toContainEqual(
      expect.objectContaining({ entity: 'users', activeBefore: 10, removing: 3, threshold: 0.1 }),
    );
    expect(held.stats.users).toMatchObject({ deactivated: 3 });
    expect(await snapshot('held-approve')).toEqual(before);
    const changes = await t.deps.runs.listChanges({ principal: platformAdmin }, held.id, {
      kind: 'deactivated',
      entity: 'users',
      limit: 10,
      offset: 0,
    });
    expect(changes.changes.map((c) => c.externalId).sort()).toEqual(['u-x2', 'u-x3', 'u-x4']);
    expect(changes.changes[0]?.label).toMatch(/Extra\d Student <x\d@lincoln.example>/);
    // While held, the provider takes no other run.
    await expect(
      t.deps.runs.trigger({ principal: platformAdmin }, providerId, { dryRun: false }),
    ).rejects.toThrow(/held for review/);

    await t.deps.runs.approve({ principal: platformAdmin }, held.id);
    await t.idle();
    const applied = (
      await t.deps.runs.getRun({ principal: platformAdmin }, held.id, { limit: 10, offset: 0 })
    ).run;
    expect(applied.status).toBe('SUCCESS');
    expect(applied.reviewedBy).toBe('test-admin');
    expect(applied.stats.users).toMatchObject({ deactivated: 3 });
    const inactive = await rows<{ given_name: string }>(
      t,
      "SELECT given_name FROM users WHERE tenant_id = 'held-approve' AND NOT active ORDER BY given_name",
    );
    expect(inactive.map((u) => u.given_name)).toEqual(['Extra2', 'Extra3', 'Extra4']);
  });

  it('discarding a held run leaves the roster as it was, and frees the provider', async () => {
    const dir = writePackage(districtWithEnrolledStudents(5));
    const providerId = await csvProvider(t, 'held-discard', dir);
    await syncNow(t, providerId);
    const before = await snapshot('held-discard');
    writePackage(districtWithEnrolledStudents(1), { dir });
    const held = await syncNow(t, providerId);
    expect(held.status).toBe('HELD');
    const discarded = await t.deps.runs.discard({ principal: platformAdmin }, held.id);
    expect(discarded.status).toBe('DISCARDED');
    expect(await snapshot('held-discard')).toEqual(before);
    writePackage(districtWithEnrolledStudents(5), { dir });
    const next = await syncNow(t, providerId);
    expect(next.status).toBe('SUCCESS');
    expect(next.stats.users).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
  });

  it('a header-only users.csv deactivates nobody and marks the run PARTIAL', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'header-only', dir);
    await syncNow(t, providerId);
    writeFileSync(path.join(dir, 'users.csv'), csvOf(ONEROSTER_ENTITIES.users.columns, []));
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('PARTIAL');
    expect(run.incompleteEntities).toEqual(['users']);
    expect(run.stats.users).toMatchObject({ deactivated: 0 });
    const [active] = await rows<{ n: number }>(
      t,
      "SELECT count(*)::int AS n FROM users WHERE tenant_id = 'header-only' AND active",
    );
    expect(active?.n).toBe(5);
    const detail = await t.deps.runs.getRun({ principal: platformAdmin }, run.id, { limit: 50, offset: 0 });
    expect(detail.errors.errors.map((e) => e.message)).toContainEqual(
      'the users snapshot is empty while the last sync had 5 active users; nothing of users is deactivated in this run',
    );
  });

  it('a dry run computes the same diff and applies nothing', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'dry', dir);
    const dry = await syncNow(t, providerId, { dryRun: true });
    expect(dry.status).toBe('SUCCESS');
    expect(dry.dryRun).toBe(true);
    expect(dry.stats.users).toMatchObject({ created: 5 });
    const [count] = await rows<{ n: number }>(
      t,
      "SELECT count(*)::int AS n FROM users WHERE tenant_id = 'dry'",
    );
    expect(count?.n).toBe(0);
    const changes = await t.deps.runs.listChanges({ principal: platformAdmin }, dry.id, {
      kind: 'created',
      limit: 100,
      offset: 0,
    });
    expect(changes.total).toBe(3 + 2 + 2 + 2 + 5 + 6);
    const real = await syncNow(t, providerId);
    expect(real.stats).toEqual(dry.stats);
  });
  it('a pull whose every entity is incomplete is a FAILURE and applies nothing, not even what arrived', async () => {
    const district = smallDistrict();
    const dir = writePackage(district);
    const providerId = await csvProvider(t, 'all-incomplete', dir);
    expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
    const before = await snapshot('all-incomplete');

    // Only users.csv, and it breaks off after a row whose name changed.
    const [first] = district.users;
    const edited = csvOf(ONEROSTER_ENTITIES.users.columns, [{ ...first!, givenName: 'Renamed' }]);
    const only = writePackage({ users: [] });
    writeFileSync(path.join(only, 'users.csv'), `${edited}u-cut,,,true,sch-1,student,cut,,"Cut`);
    await t.deps.providers.update({ principal: platformAdmin }, providerId, { config: { localPath: only } });
    const run = await syncNow(t, providerId);

    expect(run.status).toBe('FAILURE');
    expect(run.errorMessage).toContain('nothing was applied');
    expect(run.stats.users).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    expect(await snapshot('all-incomplete')).toEqual(before);
  });
});
