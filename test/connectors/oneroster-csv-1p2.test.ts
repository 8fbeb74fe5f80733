import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { validateProviderConfig } from '../../src/connectors/config-validation.js';
import { createOneRosterCsvConnector } from '../../src/connectors/oneroster-csv/csv-connector.js';
import type { EntityType } from '../../src/domain/entity.js';
import { generateDistrict } from '../../src/generator/generate-district.js';
import { liveUsers } from '../../src/generator/model.js';
import { newColumnsOf, rolesOf } from '../../src/generator/write-oneroster-1p2.js';
import { writeOneRosterPackage } from '../../src/generator/write-oneroster-package.js';
import { createLogger } from '../../src/lib/logger.js';
import type { RunErrorRow, RunRow } from '../../src/repositories/runs-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { runCli } from '../support/cli.js';
import { driver } from '../support/database.js';
import {
  FIXTURE_1P2,
  FIXTURE_PASSWORD,
  GHOST_ROLE_LINE,
  copyFixture1p2,
  editFile,
  logsOf,
  occurrencesInDatabase,
  users1p2,
} from '../support/oneroster-1p2.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, syncNow } from '../support/sync.js';
import { rosterDump } from './oneroster-api-helpers.js';

const logger = createLogger({ level: 'silent' });

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

async function errorsOf(run: RunRow, severity?: 'error' | 'warning'): Promise<RunErrorRow[]> {
  const all = (await t.deps.runs.getRun({ principal: platformAdmin }, run.id, { limit: 500, offset: 0 }))
    .errors.errors;
  return severity === undefined ? all : all.filter((e) => e.severity === severity);
}

const provider = (tenant: string, localPath: string, extra: Record<string, unknown> = {}) =>
  csvProvider(t, tenant, localPath, { config: { localPath, ...extra } });

async function extractUsers(dir: string) {
  const session = await createOneRosterCsvConnector({ localPath: dir }).open({
    signal: new AbortController().signal,
    logger,
  });
  const records = [];
  const errors = [];
  for await (const batch of session.extract('users', () => undefined)) {
    records.push(...batch.records);
    errors.push(...batch.errors);
  }
  await session.close();
  return { records, errors, warnings: session.warnings };
}

const skipped = (run: RunRow, entity: EntityType) =>
  (run.progress as { timings?: { entities?: Record<string, { skipped?: boolean }> } }).timings?.entities?.[
    entity
  ]?.skipped === true;

describe(`OneRoster 1.2 CSV through the engine on ${driver}`, () => {
  it('the fixture: roles from roles.csv, the new user columns, one precise error, no password anywhere', async () => {
    const run = await syncNow(t, await provider('or12-fixture', FIXTURE_1P2));
    expect(run.errorMessage).toBeNull();
    expect(run.status).toBe('PARTIAL');
    expect(run.sourceInfo).toMatchObject({ format: 'OneRoster 1.2 CSV', declaredVersion: '1.2' });
    expect(run.stats.users).toMatchObject({ created: 5, errors: 1, deactivated: 0 });
    expect(run.stats.enrollments).toMatchObject({ created: 4, errors: 0 });

    expect(await errorsOf(run, 'error')).toEqual([
      expect.objectContaining({
        entity: 'users',
        externalId: null,
        sourceFile: 'roles.csv',
        sourceLine: GHOST_ROLE_LINE,
        field: 'userSourcedId',
        code: 'dangling_reference',
        message: `roles.csv line ${GHOST_ROLE_LINE}: userSourcedId usr-ghost is not a user in users.csv; the role is ignored`,
      }),
    ]);

    expect(await users1p2(t, 'or12-fixture')).toEqual([
      {
        username: 'arivera',
        role: 'teacher',
        roles: ['teacher', 'counselor'],
        given_name: 'Alejandra',
        preferred_given_name: 'Alex',
        preferred_middle_name: null,
        preferred_family_name: null,
        pronouns: 'she/they',
        master_identifier: 'MID-1001',
        active: true,
        primary_school: 'Riverbend High School',
        schools: ['Riverbend High School', 'Riverbend Middle School'],
      },
      {
        username: 'cokafor',
        role: 'student',
        roles: ['student'],
        given_name: 'Chidiebere',
        preferred_given_name: 'Chidi',
        preferred_middle_name: null,
        preferred_family_name: null,
        pronouns: 'he/him',
        master_identifier: 'MID-2001',
        active: true,
        primary_school: 'Riverbend High School',
        schools: ['Riverbend High School'],
      },
      {
        username: 'nokafor',
        role: 'guardian',
        roles: ['guardian'],
        given_name: 'Ngozi',
        preferred_given_name: null,
        preferred_middle_name: null,
        preferred_family_name: null,
        pronouns: null,
        master_identifier: null,
        active: true,
        primary_school: null,
        schools: ['Riverbend High School'],
      },
      {
        username: 'pshah',
        role: 'districtAdministrator',
        roles: ['districtAdministrator', 'principal'],
        given_name: 'Priya',
        preferred_given_name: null,
        preferred_middle_name: null,
        preferred_family_name: null,
        pronouns: 'she/her',
        master_identifier: 'MID-0007',
        active: true,
        primary_school: 'Riverbend Unified',
        schools: ['Riverbend Unified', 'Riverbend High School'],
      },
      {
        username: 'slin',
        role: 'student',
        roles: ['student'],
        given_name: 'Sam',
        preferred_given_name: null,
        preferred_middle_name: 'Sky',
        preferred_family_name: 'Lin-Park',
        pronouns: 'they/them',
        master_identifier: 'MID-2002',
        active: true,
        primary_school: 'Riverbend Middle School',
        schools: ['Riverbend Middle School'],
      },
    ]);
    // The guardian relationship still comes from agents.
    const [links] = await rows<{ n: number }>(
      t,
      "SELECT count(*)::int AS n FROM user_relationships WHERE tenant_id = 'or12-fixture'",
    );
    expect(links?.n).toBeGreaterThan(0);

    expect(await occurrencesInDatabase(t, FIXTURE_PASSWORD)).toEqual([]);
    expect(logsOf(expect.getState().testPath!)).not.toContain(FIXTURE_PASSWORD);
    // ...while the raw record staged for Rivera keeps her roles (and nothing of her profile).
    const [raw] = await rows<{ raw: Record<string, unknown> }>(
      t,
      "SELECT raw FROM sis_raw_users WHERE external_id = 'usr-teacher-rivera' AND tenant_id = 'or12-fixture'",
    );
    expect(raw?.raw.roles).toHaveLength(3);
    expect(raw?.raw).not.toHaveProperty('password');
  });

  it('a generated 1.2 package: the same district as its 1.1 package, with the 1.2 roles and columns', async () => {
    const district = generateDistrict({ students: 150, seed: 21 });
    const v11 = path.join(inject('workDir'), `gen11-${driver}`);
    const v12 = path.join(inject('workDir'), `gen12-${driver}`);
    await writeOneRosterPackage(district, v11);
    const counts = await writeOneRosterPackage(district, v12, { version: '1.2' });
    expect(counts.roles).toBeGreaterThan(counts.users);
    const a = await syncNow(t, await provider('gen-11', v11));
    const b = await syncNow(t, await provider('gen-12', v12));
    expect(a.status).toBe('SUCCESS');
    expect(b.errorMessage).toBeNull();
    expect(b.status).toBe('SUCCESS');
    expect(b.stats).toEqual(a.stats);

    // Everything but the users' role is the same district.
    const withoutRole = (dump: Record<string, unknown[]>) => ({
      ...dump,
      users: dump.users!.map((u) => ({ ...(u as Record<string, unknown>), role: undefined })),
    });
    expect(withoutRole(await rosterDump(t, 'gen-12'))).toEqual(withoutRole(await rosterDump(t, 'gen-11')));

    const districtOrgs = new Set(district.orgs.filter((o) => o.type === 'district').map((o) => o.sourcedId));
    const schoolName = new Map(district.orgs.map((o) => [o.sourcedId, o.name]));
    const expected = [...liveUsers(district)]
      .map((u) => {
        const roles = rolesOf(u, districtOrgs);
        const extra = newColumnsOf(u);
        return {
          username: u.username,
          role: roles[0]!.role,
          roles: [...new Set(roles.map((r) => r.role))],
          preferred_given_name: extra.preferredGivenName,
          pronouns: extra.pronouns,
          master_identifier: extra.userMasterIdentifier,
          primary_school:
            extra.primaryOrgSourcedId === null ? null : schoolName.get(extra.primaryOrgSourcedId),
        };
      })
      .sort((x, y) => (x.username < y.username ? -1 : 1));
    const actual = (await users1p2(t, 'gen-12')).map((u) => ({
      username: u.username,
      role: u.role,
      roles: u.roles,
      preferred_given_name: u.preferred_given_name,
      pronouns: u.pronouns,
      master_identifier: u.master_identifier,
      primary_school: u.primary_school,
    }));
    expect(actual).toEqual(expected);
    expect(actual.some((u) => (u.roles as string[]).includes('counselor'))).toBe(true);
    expect(actual.some((u) => u.role === 'siteAdministrator')).toBe(true);
    expect(await occurrencesInDatabase(t, 'gen-secret-usr-')).toEqual([]);
  });

  it('reads roles.csv into the users fingerprint: a changed roles.csv alone is read again', async () => {
    const dir = copyFixture1p2({ clean: true });
    const id = await provider('or12-fingerprint', dir);
    expect((await syncNow(t, id)).status).toBe('SUCCESS');
    const again = await syncNow(t, id);
    expect(again.status).toBe('SUCCESS');
    expect(skipped(again, 'users')).toBe(true);
    editFile(dir, 'roles.csv', (text) => text.replace('secondary,counselor', 'secondary,aide'));
    const changed = await syncNow(t, id);
    expect(changed.status).toBe('SUCCESS');
    expect(skipped(changed, 'users')).toBe(false);
    expect(skipped(changed, 'enrollments')).toBe(false);
    expect(changed.stats.users).toMatchObject({ updated: 1, unchanged: 4 });
    const rivera = (await users1p2(t, 'or12-fingerprint')).find((u) => u.username === 'arivera');
    expect(rivera?.roles).toEqual(['teacher', 'aide']);
  });

  it('an unreadable role is an error at its roles.csv line; its user keeps what it had', async () => {
    const dir = copyFixture1p2({ clean: true });
    const id = await provider('or12-bad-role', dir);
    await syncNow(t, id);
    editFile(dir, 'roles.csv', (text) =>
      text.replace('rol-7,,,usr-student-lin,primary,student', 'rol-7,,,usr-student-lin,primary,headteacher'),
    );
    editFile(dir, 'users.csv', (text) => text.replace(',Sam,Lin,', ',Samuel,Lin,'));
    const run = await syncNow(t, id);
    expect(run.status).toBe('PARTIAL');
    expect(run.stats.users).toMatchObject({ errors: 1, updated: 0, deactivated: 0 });
    const [error] = await errorsOf(run, 'error');
    expect(error).toMatchObject({
      externalId: 'usr-student-lin',
      sourceFile: 'roles.csv',
      sourceLine: 8,
      field: 'role',
      code: 'invalid_value',
    });
    expect(error?.message).toMatch(
      /^roles\.csv line 8: role: "headteacher" is not a OneRoster 1\.2 role \(aide, /,
    );
    const lin = (await users1p2(t, 'or12-bad-role')).find((u) => u.username === 'slin');
    expect(lin).toMatchObject({ given_name: 'Sam', role: 'student', active: true });
  });

  it('a primary org that is not in the package is dropped with a warning', async () => {
    const dir = copyFixture1p2({ clean: true });
    editFile(dir, 'users.csv', (text) => text.replace(',Sky,Lin-Park,org-ms,', ',Sky,Lin-Park,org-gone,'));
    const run = await syncNow(t, await provider('or12-gone-org', dir));
    expect(run.status).toBe('SUCCESS');
    const warnings = (await errorsOf(run, 'warning')).filter((e) => e.code === 'dangling_reference');
    expect(warnings.map((w) => [w.externalId, w.field])).toEqual(
      expect.arrayContaining([
        ['usr-student-lin', 'primarySchoolExternalId'],
        ['usr-student-lin', 'schoolExternalIds'],
      ]),
    );
    const lin = (await users1p2(t, 'or12-gone-org')).find((u) => u.username === 'slin');
    expect(lin).toMatchObject({ primary_school: null, schools: ['Riverbend Middle School'], active: true });
  });

  it('a delta resends a user with all its roles; a role of a user it does not resend waits, with a warning', async () => {
    const dir = copyFixture1p2({ clean: true });
    const id = await provider('or12-delta', dir);
    await syncNow(t, id);
    const header = readFileSync(path.join(dir, 'users.csv'), 'utf8').split('\n')[0];
    const rivera = readFileSync(path.join(dir, 'users.csv'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('usr-teacher-rivera'))!
      .replace('usr-teacher-rivera,,,', 'usr-teacher-rivera,active,2026-02-01T00:00:00Z,')
      .replace(',she/they', ',they/them');
    writeFileSync(path.join(dir, 'users.csv'), `${header}\n${rivera}\n`);
    writeFileSync(
      path.join(dir, 'roles.csv'),
      [
        'sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId',
        'rol-3,active,2026-02-01T00:00:00Z,usr-teacher-rivera,primary,teacher,2025-08-15,,org-hs,prf-rivera',
        'rol-4,tobedeleted,2026-02-01T00:00:00Z,usr-teacher-rivera,primary,teacher,2025-08-15,,org-ms,',
        'rol-7,active,2026-02-01T00:00:00Z,usr-student-lin,primary,aide,,,org-ms,',
        '',
      ].join('\n'),
    );
    editFile(dir, 'manifest.csv', (text) =>
      text
        .replace(
          /^file\.(orgs|academicSessions|courses|classes|enrollments|userProfiles),bulk$/gm,
          'file.$1,absent',
        )
        .replace('file.users,bulk', 'file.users,delta')
        .replace('file.roles,bulk', 'file.roles,delta'),
    );
    for (const file of ['orgs', 'academicSessions', 'courses', 'classes', 'enrollments', 'userProfiles']) {
      rmSync(path.join(dir, `${file}.csv`));
    }
    const run = await syncNow(t, id);
    expect(run.errorMessage).toBeNull();
    expect(run.status).toBe('SUCCESS');
    expect(run.stats).toEqual({
      users: { created: 0, updated: 1, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 },
    });
    const users = await users1p2(t, 'or12-delta');
    expect(users.find((u) => u.username === 'arivera')).toMatchObject({
      roles: ['teacher'],
      schools: ['Riverbend High School'],
      pronouns: 'they/them',
    });
    expect(users.find((u) => u.username === 'slin')).toMatchObject({ role: 'student' });
    expect((await errorsOf(run, 'warning')).map((w) => w.message)).toContain(
      "roles.csv line 4: user usr-student-lin is not in this delta's users.csv, so this role is not applied (a OneRoster 1.2 delta resends a user with all its roles)",
    );
  });

  it('users without a usable roles.csv are incomplete: nothing of them is read or deactivated', async () => {
    const absent = copyFixture1p2({ clean: true });
    editFile(absent, 'manifest.csv', (text) => text.replace('file.roles,bulk', 'file.roles,absent'));
    const run = await syncNow(t, await provider('or12-no-roles', absent));
    expect(run.status).toBe('PARTIAL');
    expect(run.incompleteEntities).toEqual(['users']);
    expect((await errorsOf(run, 'error')).map((e) => e.message)).toContain(
      'manifest.csv says file.roles=absent (or has no file.roles row), but a OneRoster 1.2 users.csv takes its roles from roles.csv; nothing of users is deactivated in this run',
    );
    const mixed = copyFixture1p2({ clean: true });
    editFile(mixed, 'manifest.csv', (text) => text.replace('file.roles,bulk', 'file.roles,delta'));
    const second = await syncNow(t, await provider('or12-mixed', mixed));
    expect(second.incompleteEntities).toEqual(['users']);
    expect((await errorsOf(second, 'error')).map((e) => e.code)).toContain('inconsistent_modes');
  });
});

describe('OneRoster 1.2 CSV reading', () => {
  it('tolerates the header typos of real 1.2 exports, each named', async () => {
    const dir = copyFixture1p2({ clean: true });
    const pristine = await extractUsers(dir);
    renameSync(path.join(dir, 'userProfiles.csv'), path.join(dir, 'userprofiles.csv'));
    editFile(dir, 'users.csv', (text) =>
      text
        .replace('preferredGivenName', 'prefferedGivenName')
        .replace('dateLastModified', 'dataLastModified')
        .replace(/,pronouns\n/, ',pronouns,,\n'),
    );
    editFile(dir, 'roles.csv', (text) => text.replace(/userProfileSourcedId\n/, 'userProfileSourcedId,\n'));
    // A profile pointing at nobody shows the renamed file was read.
    editFile(dir, 'userprofiles.csv', (text) => `${text}prf-x,,,usr-nobody,lms,v,,,password,x,\n`);
    const typos = await extractUsers(dir);
    expect(typos.records.map((r) => r.data)).toEqual(pristine.records.map((r) => r.data));
    expect(typos.warnings.map((w) => w.message)).toContain(
      'userprofiles.csv should be named userProfiles.csv; it is read as userProfiles.csv',
    );
    expect(typos.errors.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        'users.csv: header "prefferedGivenName" is read as "preferredGivenName"',
        'users.csv: header "dataLastModified" is read as "dateLastModified"',
        'users.csv: the header ends in 2 empty column name(s); they are ignored',
        'roles.csv: the header ends in 1 empty column name(s); they are ignored',
        'userprofiles.csv line 4: userSourcedId usr-nobody is not a user in users.csv',
      ]),
    );
    expect(typos.errors.filter((e) => e.severity !== 'warning')).toHaveLength(1);
  });

  it('detects the version from the manifest (1.2.x too) and refuses a configured version the manifest contradicts', async () => {
    const patch = copyFixture1p2({ clean: true });
    editFile(patch, 'manifest.csv', (text) =>
      text.replace('oneroster.version,1.2', 'oneroster.version,1.2.1'),
    );
    const read = await syncNow(t, await provider('or12-patch', patch));
    expect(read.status).toBe('SUCCESS');
    expect(read.sourceInfo).toMatchObject({ format: 'OneRoster 1.2 CSV', declaredVersion: '1.2.1' });

    const asOld = await syncNow(t, await provider('or12-as-11', FIXTURE_1P2, { onerosterVersion: '1.1' }));
    expect(asOld.status).toBe('FAILURE');
    expect(asOld.errorCode).toBe('config_invalid');
    expect(asOld.errorMessage).toBe(
      'the provider is configured for OneRoster 1.1 (onerosterVersion) but manifest.csv declares OneRoster 1.2; set onerosterVersion to 1.2 or auto, or check the export',
    );
    const old = writePackage(smallDistrict());
    const asNew = await syncNow(t, await provider('or11-as-12', old, { onerosterVersion: '1.2' }));
    expect(asNew.errorCode).toBe('config_invalid');
    expect(asNew.errorMessage).toContain(
      'configured for OneRoster 1.2 (onerosterVersion) but manifest.csv declares OneRoster 1.1',
    );

    // No version row: auto reads 1.1, a configured 1.2 reads 1.2, each saying so.
    const unversioned = copyFixture1p2({ clean: true });
    editFile(unversioned, 'manifest.csv', (text) => text.replace('oneroster.version,1.2\n', ''));
    const forced = await syncNow(t, await provider('or12-forced', unversioned, { onerosterVersion: '1.2' }));
    expect(forced.status).toBe('SUCCESS');
    expect((await errorsOf(forced, 'warning')).map((w) => w.message)).toContain(
      'manifest.csv has no oneroster.version row; read as OneRoster 1.2, as configured',
    );
    expect(
      validateProviderConfig(
        'ONEROSTER_CSV',
        { localPath: '/srv/x', onerosterVersion: '1.3' },
        { production: false },
      ),
    ).toMatchObject({ ok: false, error: [{ path: 'onerosterVersion' }] });
  });

  it('sis-sync generate --oneroster-version 1.2 writes users.csv without roles, roles.csv and userProfiles.csv', async () => {
    const out = path.join(inject('workDir'), `cli-gen12-${driver}`);
    // Generating opens no database: one that cannot be reached proves it.
    const env = {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
      SIS_SYNC_DATA_DIR: path.join(inject('workDir'), `cli-gen12-data-${driver}`, 'never-created'),
    };
    const result = await runCli(
      ['generate', '--students', '60', '--out', out, '--oneroster-version', '1.2', '--json'],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { onerosterVersion: string; files: Record<string, number> };
    expect(report.onerosterVersion).toBe('1.2');
    expect(Object.keys(report.files).sort()).toEqual([
      'academicSessions',
      'classes',
      'courses',
      'enrollments',
      'orgs',
      'roles',
      'userProfiles',
      'users',
    ]);
    expect(readFileSync(path.join(out, 'manifest.csv'), 'utf8')).toContain(
      'oneroster.version,1.2\nfile.academicSessions,bulk',
    );
    expect(readFileSync(path.join(out, 'users.csv'), 'utf8').split('\n')[0]).not.toMatch(
      /\brole\b|orgSourcedIds/,
    );
    // Rewritten as 1.1, the folder keeps no 1.2 file.
    const again = await runCli(['generate', '--students', '60', '--out', out], env);
    expect(again.code, again.stderr).toBe(0);
    expect(() => readFileSync(path.join(out, 'roles.csv'))).toThrow();
  });
});
