import path from 'node:path';

import { encodeField, encodeList, writeCsvFile } from './csv.js';
import { liveUsers, userNumberOf, type District, type User } from './model.js';
import { userIds } from './user-ids.js';

/*
 * The users of a district as OneRoster 1.2 writes them (1.2 CSV binding; providers.md 1.9):
 * users.csv without role and orgs, roles.csv with a primary role at each of a user's orgs, and
 * userProfiles.csv with a login for each member of staff. Written from the same district as the
 * 1.1 package, so both describe the same people.
 *
 * What 1.1 does not say is derived from the user's number, not drawn from the generator's random
 * stream, so a district is the same whichever version it is written as:
 * - 1.1 `administrator` is `districtAdministrator` at the district and `siteAdministrator` at a school;
 * - every tenth teacher is also a counselor at its first school (a secondary role);
 * - every ninth user goes by a shorter given name, every sixth states pronouns;
 * - everyone has a master identifier, and its first org as its primary org;
 * - staff logins carry a password, as real profile exports do: sis-sync must not keep it.
 */

// prettier-ignore
export const USERS_1P2_HEADER = [
  'sourcedId', 'status', 'dateLastModified', 'enabledUser', 'username', 'userIds', 'givenName', 'familyName',
  'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password',
  'userMasterIdentifier', 'preferredGivenName', 'preferredMiddleName', 'preferredFamilyName',
  'primaryOrgSourcedId', 'pronouns',
] as const;
// prettier-ignore
export const ROLES_HEADER = [
  'sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate',
  'orgSourcedId', 'userProfileSourcedId',
] as const;
// prettier-ignore
export const USER_PROFILES_HEADER = [
  'sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'profileType', 'vendorId', 'applicationId',
  'description', 'credentialType', 'username', 'password',
] as const;

const PRONOUNS = ['she/her', 'he/him', 'they/them'] as const;

const isStaff = (u: User) => u.role === 'teacher' || u.role === 'administrator' || u.role === 'aide';
const profileIdOf = (u: User) => u.sourcedId.replace(/^usr-/, 'prf-');

/** The password a generated staff login carries: distinctive, so tests can look for it anywhere. */
export const generatedPassword = (u: User) => `gen-secret-${u.sourcedId}`;

/** The 1.2 role of a 1.1 role at an org. */
function roleAt(user: User, org: string, districtOrgs: ReadonlySet<string>): string {
  if (user.role !== 'administrator') return user.role;
  return districtOrgs.has(org) ? 'districtAdministrator' : 'siteAdministrator';
}

export interface RoleRow {
  sourcedId: string;
  roleType: 'primary' | 'secondary';
  role: string;
  orgSourcedId: string;
  userProfileSourcedId: string | null;
}

/** A user's roles.csv rows. */
export function rolesOf(user: User, districtOrgs: ReadonlySet<string>): RoleRow[] {
  const profile = isStaff(user) ? profileIdOf(user) : null;
  const rows: RoleRow[] = user.orgSourcedIds.map((org) => ({
    sourcedId: '',
    roleType: 'primary',
    role: roleAt(user, org, districtOrgs),
    orgSourcedId: org,
    userProfileSourcedId: profile,
  }));
  const first = user.orgSourcedIds[0];
  if (user.role === 'teacher' && userNumberOf(user.sourcedId) % 10 === 0 && first !== undefined) {
    rows.push({
      sourcedId: '',
      roleType: 'secondary',
      role: 'counselor',
      orgSourcedId: first,
      userProfileSourcedId: null,
    });
  }
  return rows.map((row, i) => ({ ...row, sourcedId: `${user.sourcedId.replace(/^usr-/, 'rol-')}-${i + 1}` }));
}

/** The 1.2-only columns of a user. */
export function newColumnsOf(user: User): {
  userMasterIdentifier: string;
  preferredGivenName: string | null;
  pronouns: string | null;
  primaryOrgSourcedId: string | null;
} {
  const n = userNumberOf(user.sourcedId);
  return {
    userMasterIdentifier: `UM${String(n).padStart(8, '0')}`,
    preferredGivenName: n % 9 === 0 && user.givenName.length > 4 ? user.givenName.slice(0, 4) : null,
    pronouns: n % 6 === 0 ? PRONOUNS[Math.floor(n / 6) % 3]! : null,
    primaryOrgSourcedId: user.orgSourcedIds[0] ?? null,
  };
}

export async function writeUsers1p2(
  district: District,
  dir: string,
): Promise<{ users: number; roles: number; userProfiles: number }> {
  const districtOrgs = new Set(district.orgs.filter((o) => o.type === 'district').map((o) => o.sourcedId));
  return {
    users: await writeCsvFile(path.join(dir, 'users.csv'), USERS_1P2_HEADER, userLines(district)),
    roles: await writeCsvFile(path.join(dir, 'roles.csv'), ROLES_HEADER, roleLines(district, districtOrgs)),
    userProfiles: await writeCsvFile(
      path.join(dir, 'userProfiles.csv'),
      USER_PROFILES_HEADER,
      profileLines(district),
    ),
  };
}

function* userLines(district: District): Generator<string> {
  for (const u of liveUsers(district)) {
    const extra = newColumnsOf(u);
    yield `${[
      encodeField(u.sourcedId),
      '',
      '',
      String(u.enabledUser),
      encodeField(u.username),
      encodeList(userIds(u)),
      encodeField(u.givenName),
      encodeField(u.familyName),
      encodeField(u.middleName ?? ''),
      encodeField(u.identifier ?? ''),
      encodeField(u.email),
      encodeField(u.sms ?? ''),
      encodeField(u.phone ?? ''),
      encodeList(u.agentSourcedIds),
      encodeList(u.grades),
      '',
      encodeField(extra.userMasterIdentifier),
      encodeField(extra.preferredGivenName ?? ''),
      '',
      '',
      encodeField(extra.primaryOrgSourcedId ?? ''),
      encodeField(extra.pronouns ?? ''),
    ].join(',')}\n`;
  }
}

function* roleLines(district: District, districtOrgs: ReadonlySet<string>): Generator<string> {
  for (const u of liveUsers(district)) {
    for (const r of rolesOf(u, districtOrgs)) {
      yield `${[
        encodeField(r.sourcedId),
        '',
        '',
        encodeField(u.sourcedId),
        r.roleType,
        r.role,
        '',
        '',
        encodeField(r.orgSourcedId),
        encodeField(r.userProfileSourcedId ?? ''),
      ].join(',')}\n`;
    }
  }
}

function* profileLines(district: District): Generator<string> {
  for (const u of liveUsers(district)) {
    if (!isStaff(u)) continue;
    yield `${[
      encodeField(profileIdOf(u)),
      '',
      '',
      encodeField(u.sourcedId),
      'lms',
      'sis-sync-generator',
      'default',
      'Learning platform login',
      'password',
      encodeField(u.username),
      encodeField(generatedPassword(u)),
    ].join(',')}\n`;
  }
}
