import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { EntityType } from '../../src/domain/entity.js';
import type { RunRow } from '../../src/repositories/runs-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage, type PackageSpec } from '../support/oneroster-package.js';
import { csvProvider, rows, runErrorsOf, skippedOf, syncNow } from '../support/sync.js';

/*
 * A CSV entity whose file is byte-for-byte the one the last applied run loaded is not read again
 * (issue 7): the run reports it unchanged, and the roster ends exactly as a full read would leave it.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const errorsOf = (run: RunRow) => runErrorsOf(t, run);

const roster = (tenant: string) =>
  rows(
    t,
    `SELECT 'user' AS kind, given_name AS name, active FROM users WHERE tenant_id = '${tenant}'
     UNION ALL SELECT 'class', title, active FROM classes WHERE tenant_id = '${tenant}'
     UNION ALL SELECT 'course', title, active FROM courses WHERE tenant_id = '${tenant}'
     UNION ALL SELECT 'enrollment', role, active FROM enrollments WHERE tenant_id = '${tenant}'
     ORDER BY 1, 2, 3`,
  );

describe(`sync engine on ${driver}: files unchanged since the last applied run`, () => {
  it('skips every unchanged file, reports its records unchanged, keeps its warnings, and reads only what changed', async () => {
    const spec: PackageSpec = smallDistrict();
    // A school the district does not have: dropped from the user with a warning, which must
    // survive the skip.
    spec.users = spec.users!.map((u) =>
      u.sourcedId === 'u-s1' ? { ...u, orgSourcedIds: `${u.orgSourcedIds},sch-closed` } : u,
    );
    const dir = writePackage(spec);
    const providerId = await csvProvider(t, 'skip-a', dir);
    const first = await syncNow(t, providerId);
    expect(first.status).toBe('SUCCESS');
    expect(skippedOf(first)).toEqual([]);
    const before = await roster('skip-a');

    const second = await syncNow(t, providerId);
    expect(second.status).toBe('SUCCESS');
    expect(skippedOf(second)).toEqual(['classes', 'courses', 'enrollments', 'schools', 'terms', 'users']);
    for (const [entity, stats] of Object.entries(first.stats)) {
      expect(second.stats[entity as EntityType]).toEqual({
        created: 0,
        updated: 0,
        unchanged: stats.created,
        deactivated: 0,
        reactivated: 0,
        errors: 0,
      });
    }
    expect(await errorsOf(first)).toEqual([
      expect.objectContaining({ entity: 'users', severity: 'warning', code: 'dangling_reference' }),
    ]);
    expect(await errorsOf(second)).toEqual(await errorsOf(first));
    expect(await roster('skip-a')).toEqual(before);

    // One user renamed: users and the enrollments that refer to them are read; the rest is not.
    spec.users = spec.users.map((u) => (u.sourcedId === 'u-s1' ? { ...u, givenName: 'Renamed' } : u));
    writePackage(spec, { dir });
    const third = await syncNow(t, providerId);
    expect(third.status).toBe('SUCCESS');
    expect(skippedOf(third)).toEqual(['classes', 'courses', 'schools', 'terms']);
    expect(third.stats.users).toMatchObject({ updated: 1, unchanged: spec.users.length - 1 });
    expect(third.stats.enrollments).toMatchObject({ created: 0, updated: 0, deactivated: 0 });
    const [renamed] = await rows<{ given_name: string }>(
      t,
      "SELECT given_name FROM users WHERE tenant_id = 'skip-a' AND given_name = 'Renamed'",
    );
    expect(renamed).toBeDefined();
  });

  it('reads a file again when the last applied run recorded errors on it, and reports them again', async () => {
    const spec: PackageSpec = smallDistrict();
    spec.classes = [
      ...spec.classes!,
      {
        sourcedId: 'k-ghost',
        title: 'Ghost',
        courseSourcedId: 'c-missing',
        classType: 'scheduled',
        schoolSourcedId: 'sch-1',
        termSourcedIds: 't1',
      },
    ];
    const providerId = await csvProvider(t, 'skip-b', writePackage(spec));
    const first = await syncNow(t, providerId);
    expect(first.status).toBe('PARTIAL');
    const second = await syncNow(t, providerId);
    expect(second.status).toBe('PARTIAL');
    // Users refer only to schools (and to users): skipped. Enrollments refer to classes: read.
    expect(skippedOf(second)).toEqual(['courses', 'schools', 'terms', 'users']);
    const errors = (await errorsOf(second)).filter((e) => e.severity === 'error');
    expect(errors).toEqual([expect.objectContaining({ entity: 'classes', code: 'dangling_reference' })]);
    expect(errors[0]!.message).toContain('c-missing');
  });

  it('reads an unchanged file again when a file it refers to changed', async () => {
    const spec: PackageSpec = smallDistrict();
    const dir = writePackage(spec);
    const providerId = await csvProvider(t, 'skip-c', dir);
    expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
    // The English course goes; classes.csv is untouched, but its English class now dangles.
    spec.courses = spec.courses!.filter((c) => c.sourcedId !== 'c-eng');
    writePackage(spec, { dir });
    const next = await syncNow(t, providerId);
    expect(skippedOf(next)).toEqual(['schools', 'terms', 'users']);
    expect(next.stats.courses).toMatchObject({ deactivated: 1 });
    const errors = (await errorsOf(next)).filter((e) => e.severity === 'error');
    expect(errors.map((e) => [e.entity, e.code])).toContainEqual(['classes', 'dangling_reference']);
    expect(errors.find((e) => e.entity === 'classes')!.message).toContain('c-eng');
  });

  it('compares with the last applied run: a dry run in between changes nothing', async () => {
    const spec: PackageSpec = smallDistrict();
    const dir = writePackage(spec);
    const providerId = await csvProvider(t, 'skip-d', dir);
    expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
    const original = spec.users!;
    spec.users = original.filter((u) => u.sourcedId !== 'u-t1');
    writePackage(spec, { dir });
    const dry = await syncNow(t, providerId, { dryRun: true });
    expect(skippedOf(dry)).toEqual(['classes', 'courses', 'schools', 'terms']);
    expect(dry.stats.users).toMatchObject({ deactivated: 1 });
    // Back to the applied files: everything is as the last applied run left it.
    spec.users = original;
    writePackage(spec, { dir });
    const again = await syncNow(t, providerId);
    expect(skippedOf(again)).toEqual(['classes', 'courses', 'enrollments', 'schools', 'terms', 'users']);
    expect(again.stats.users).toMatchObject({ deactivated: 0, unchanged: original.length });
  });
});
