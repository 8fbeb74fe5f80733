import { describe, expect, it } from 'vitest';

import { ONEROSTER_1P2_ENTITIES, mapOneRosterRow } from './entities.js';
import { restObjectToRow, restRolesOf } from './rest-row.js';
import { composeRoles, readRoleAssignment, type RoleAssignment } from './roles.js';
import { RowReader } from './row-reader.js';

const role = (roleType: 'primary' | 'secondary', name: string, org: string): RoleAssignment => ({
  roleType,
  role: name,
  orgSourcedId: org,
});

function compose(assignments: RoleAssignment[], primaryOrg: string | null = null) {
  const read = new RowReader({}, '1.2');
  const composed = composeRoles(read, assignments, primaryOrg, { roles: 'roles.csv' });
  return { ...composed, problems: read.problems, warnings: read.warnings };
}

describe('composeRoles (OneRoster 1.2 role tuples into the canonical role, roles and schools)', () => {
  it('takes the primary role, every role with it first, and every org after the primary one', () => {
    expect(
      compose(
        [
          role('secondary', 'counselor', 'hs'),
          role('primary', 'teacher', 'hs'),
          role('primary', 'teacher', 'ms'),
        ],
        'ms',
      ),
    ).toEqual({
      role: 'teacher',
      roles: ['teacher', 'counselor'],
      schoolExternalIds: ['ms', 'hs'],
      problems: [],
      warnings: [],
    });
  });

  it('lets the primary org choose between differing primary roles, silently', () => {
    const composed = compose(
      [role('primary', 'principal', 'hs'), role('primary', 'districtAdministrator', 'dist')],
      'dist',
    );
    expect(composed.role).toBe('districtAdministrator');
    expect(composed.roles).toEqual(['districtAdministrator', 'principal']);
    expect(composed.warnings).toEqual([]);
  });

  it('takes the first of differing primaries when no primary org decides, and says so', () => {
    const composed = compose([role('primary', 'principal', 'hs'), role('primary', 'teacher', 'ms')]);
    expect(composed.role).toBe('principal');
    expect(composed.warnings.map((w) => w.message)).toEqual([
      "roles: the primary roles differ (principal at hs, teacher at ms) and no primary org chooses between them; principal, the first, is taken as the user's role",
    ]);
  });

  it('warns about two primaries at one org and about no primary at all', () => {
    expect(
      compose([role('primary', 'teacher', 'hs'), role('primary', 'aide', 'hs')]).warnings.map(
        (w) => w.message,
      ),
    ).toContain('roles: two primary roles at org hs (teacher, aide); OneRoster 1.2 allows one per org');
    const none = compose([role('secondary', 'aide', 'hs')]);
    expect(none.role).toBe('aide');
    expect(none.warnings.map((w) => w.message)).toEqual([
      "roles: no primary role in roles.csv; aide at hs, the first, is taken as the user's role",
    ]);
  });

  it('refuses a user without any role', () => {
    expect(compose([]).problems).toEqual([
      {
        field: 'roles',
        code: 'missing_required',
        message: 'roles: the user has no role in roles.csv; a OneRoster 1.2 user needs at least one',
      },
    ]);
  });
});

describe('readRoleAssignment', () => {
  it('reads the 1.2 vocabulary whatever its case, keeps ext: roles, and refuses others by field', () => {
    expect(
      readRoleAssignment({ roleType: 'PRIMARY', role: 'siteadministrator', orgSourcedId: 'hs' }),
    ).toEqual({
      roleType: 'primary',
      role: 'siteAdministrator',
      orgSourcedId: 'hs',
    });
    expect(readRoleAssignment({ roleType: 'secondary', role: 'ext:coach', orgSourcedId: 'hs' }).role).toBe(
      'ext:coach',
    );
    const bad = readRoleAssignment(
      { roleType: 'tertiary', role: 'administrator', orgSourcedId: '' },
      { source: { file: 'roles.csv', line: 4 } },
    );
    expect(bad.problems?.map((p) => [p.field, p.message, p.source?.line])).toEqual([
      ['roleType', 'roleType: "tertiary" is not a OneRoster 1.2 role type (primary, secondary)', 4],
      [
        'role',
        'role: "administrator" is not a OneRoster 1.2 role (aide, counselor, districtAdministrator, guardian, parent, principal, proctor, relative, siteAdministrator, student, systemAdministrator, teacher, ext:...)',
        4,
      ],
      ['orgSourcedId', 'orgSourcedId is required', 4],
    ]);
  });
});

describe('1.2 REST users (1.2 OpenAPI UserDType)', () => {
  const spec = ONEROSTER_1P2_ENTITIES.users;
  const user = {
    sourcedId: 'u-1',
    status: 'active',
    dateLastModified: '2026-01-02T03:04:05Z',
    enabledUser: 'true',
    givenName: 'Alejandra',
    familyName: 'Rivera',
    preferredFirstName: 'Alex',
    preferredMiddleName: 'M',
    preferredLastName: 'Rivera-Soto',
    pronouns: 'she/they',
    userMasterIdentifier: 'MID-1',
    primaryOrg: { href: '/orgs/hs', sourcedId: 'hs', type: 'org' },
    roles: [
      { roleType: 'primary', role: 'teacher', org: { href: '/orgs/hs', sourcedId: 'hs', type: 'org' } },
      {
        roleType: 'secondary',
        role: 'counselor',
        org: { href: '/orgs/ms', sourcedId: 'ms', type: 'org' },
        userProfile: 'prf-1',
      },
    ],
    userProfiles: [
      {
        profileId: 'prf-1',
        profileType: 'lms',
        vendorId: 'v',
        credentials: [{ type: 'pw', username: 'a', password: 'x' }],
      },
    ],
  };

  it('reads the REST names into the canonical fields, with roles from roles[]', () => {
    const converted = restObjectToRow(spec, user, '1.2');
    const roles = restRolesOf(user);
    expect(roles.legacy).toBe(false);
    const mapped = mapOneRosterRow(spec, converted.row, false, {
      version: '1.2',
      links: { roles: roles.assignments, rolesSource: 'roles[]' },
    });
    expect(mapped.problems).toEqual([]);
    expect(mapped.data).toMatchObject({
      role: 'teacher',
      roles: ['teacher', 'counselor'],
      schoolExternalIds: ['hs', 'ms'],
      preferredGivenName: 'Alex',
      preferredMiddleName: 'M',
      preferredFamilyName: 'Rivera-Soto',
      pronouns: 'she/they',
      masterIdentifier: 'MID-1',
      primarySchoolExternalId: 'hs',
      username: null,
    });
  });

  it('ignores a 1.1 role beside roles[], and reads one in its place as the primary role at each org', () => {
    expect(restRolesOf({ ...user, role: 'student', orgs: [] }).assignments.map((a) => a.role)).toEqual([
      'teacher',
      'counselor',
    ]);
    const legacy = restRolesOf({
      ...user,
      roles: undefined,
      role: 'administrator',
      orgs: [{ sourcedId: 'hs' }, { sourcedId: 'dist' }],
    });
    expect(legacy).toMatchObject({
      legacy: true,
      problems: [],
      assignments: [
        { roleType: 'primary', role: 'administrator', orgSourcedId: 'hs' },
        { roleType: 'primary', role: 'administrator', orgSourcedId: 'dist' },
      ],
    });
  });

  it('names a bad role tuple by its place in roles[]', () => {
    const roles = restRolesOf({ ...user, roles: [{ roleType: 'primary', role: 'teacher' }, 'x'] });
    expect(roles.assignments.flatMap((a) => a.problems ?? []).map((p) => [p.field, p.message])).toEqual([
      ['roles[0].org', 'roles[0].org is required (a GUIDRef with a sourcedId)'],
      ['roles[1]', 'roles[1] is not an object'],
    ]);
  });
});
