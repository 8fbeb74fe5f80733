import type { RecordSource } from '../../domain/records.js';
import { RowReader, type FieldProblem, type OneRosterRow } from './row-reader.js';

/*
 * OneRoster 1.2 roles. A 1.2 user has no `role` of its own: it holds role/org tuples (roles.csv
 * rows; `roles[]` in REST), each primary or secondary, and the spec wants exactly one primary per
 * org (1.2 OpenAPI, RoleDType). Both transports turn their tuples into `RoleAssignment`s, and
 * `composeRoles` makes the canonical role, roles and schools of them, the same way for both.
 */

/** 1.2 `role` vocabulary (1.2 OpenAPI RoleDType; LongsightGroup/oneroster `roleValues`); `ext:` tokens too. */
export const ROLES_1P2 = [
  'aide',
  'counselor',
  'districtAdministrator',
  'guardian',
  'parent',
  'principal',
  'proctor',
  'relative',
  'siteAdministrator',
  'student',
  'systemAdministrator',
  'teacher',
] as const;
export const ROLE_TYPES = ['primary', 'secondary'] as const;

/** roles.csv, in the 1.2 CSV binding's order. */
export const ROLE_COLUMNS = [
  'sourcedId',
  'status',
  'dateLastModified',
  'userSourcedId',
  'roleType',
  'role',
  'beginDate',
  'endDate',
  'orgSourcedId',
  'userProfileSourcedId',
] as const;
export const ROLE_REQUIRED_COLUMNS = [
  'sourcedId',
  'userSourcedId',
  'roleType',
  'role',
  'orgSourcedId',
] as const;

/** userProfiles.csv, in the 1.2 CSV binding's order. */
export const USER_PROFILE_COLUMNS = [
  'sourcedId',
  'status',
  'dateLastModified',
  'userSourcedId',
  'profileType',
  'vendorId',
  'applicationId',
  'description',
  'credentialType',
  'username',
  'password',
] as const;

export interface RoleAssignment {
  roleType: (typeof ROLE_TYPES)[number];
  role: string;
  orgSourcedId: string;
  userProfileSourcedId?: string;
  beginDate?: string;
  endDate?: string;
  /** What made the assignment unreadable: the user it belongs to is then not applied. */
  problems?: FieldProblem[];
  /** Reported with the user, which is still applied (a reference to a profile that is not there). */
  warnings?: FieldProblem[];
  /** Its roles.csv line (REST roles have none). */
  line?: number;
}

/**
 * Small strings repeated on every row (org ids, dates) kept once: a roles.csv of a large
 * district is held in memory until users.csv has been read.
 */
export class Interner {
  private readonly seen = new Map<string, string>();

  of(value: string): string {
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    this.seen.set(value, value);
    return value;
  }
}

/**
 * One role tuple as a row in roles.csv's column names. `fieldPrefix` names its fields in messages
 * (`roles[2].` for REST; nothing for roles.csv, whose columns they are); `source` is where the row
 * is when that is not where its user is.
 */
export function readRoleAssignment(
  row: OneRosterRow,
  options: { fieldPrefix?: string; source?: RecordSource; interner?: Interner } = {},
): RoleAssignment {
  const read = new RowReader(row, '1.2');
  const intern = (value: string) => options.interner?.of(value) ?? value;
  const roleType = read.requiredEnum('roleType', ROLE_TYPES, 'role type');
  const role = read.requiredVocabulary('role', ROLES_1P2, 'role');
  const orgSourcedId = intern(read.required('orgSourcedId'));
  const beginDate = read.date('beginDate', false);
  const endDate = read.date('endDate', false);
  const profile = read.optional('userProfileSourcedId');
  // Its own sourcedId is not kept: nothing refers to a role, and a large district holds every one
  // of them in memory while users.csv is read.
  const assignment: RoleAssignment = { roleType, role, orgSourcedId };
  if (profile !== null) assignment.userProfileSourcedId = profile;
  if (beginDate !== null) assignment.beginDate = intern(beginDate);
  if (endDate !== null) assignment.endDate = intern(endDate);
  if (read.problems.length > 0) {
    const prefix = options.fieldPrefix ?? '';
    assignment.problems = read.problems.map((p) => ({
      ...p,
      field: `${prefix}${p.field}`,
      message: `${prefix}${p.message}`,
      ...(options.source === undefined ? {} : { source: options.source }),
    }));
  }
  return assignment;
}

export interface ComposedRoles {
  role: string;
  roles: string[];
  schoolExternalIds: string[];
}

const unique = (values: Iterable<string>) => [...new Set(values)];
const describe = (a: RoleAssignment) => `${a.role} at ${a.orgSourcedId}`;

/**
 * A user's canonical role, roles and schools from its role tuples:
 * - `role` is its primary role. Primaries at several orgs that agree are one role. When they
 *   differ, the one at `primaryOrgSourcedId` wins, else the first (roles.csv order, `roles[]`
 *   order), with a warning. With no primary at all, the first role, with a warning.
 * - `roles` every role it holds, the primary one first.
 * - `schoolExternalIds` the primary org, then every org it holds a role at.
 * No role at all is an error: the user is not applied (1.2 requires at least one).
 * Unreadable tuples are reported (with their own place) and also keep the user from being applied:
 * what its role is cannot be known.
 */
export function composeRoles(
  read: RowReader,
  assignments: readonly RoleAssignment[],
  primaryOrgSourcedId: string | null,
  where: { roles: string },
): ComposedRoles {
  for (const a of assignments) {
    for (const p of a.problems ?? []) read.problem(p);
    for (const w of a.warnings ?? []) read.warn(w);
  }
  if (assignments.length === 0) {
    read.problem({
      field: 'roles',
      code: 'missing_required',
      message: `roles: the user has no role in ${where.roles}; a OneRoster 1.2 user needs at least one`,
    });
    return { role: '', roles: [], schoolExternalIds: [] };
  }
  const primaries = assignments.filter((a) => a.roleType === 'primary');
  const seenOrgs = new Map<string, RoleAssignment>();
  for (const a of primaries) {
    const first = seenOrgs.get(a.orgSourcedId);
    if (first === undefined) seenOrgs.set(a.orgSourcedId, a);
    else {
      read.warn({
        field: 'roles',
        code: 'ambiguous_value',
        message: `roles: two primary roles at org ${a.orgSourcedId} (${first.role}, ${a.role}); OneRoster 1.2 allows one per org`,
      });
    }
  }
  let chosen: RoleAssignment;
  if (primaries.length === 0) {
    chosen = assignments[0]!;
    read.warn({
      field: 'roles',
      code: 'ambiguous_value',
      message: `roles: no primary role in ${where.roles}; ${describe(chosen)}, the first, is taken as the user's role`,
    });
  } else if (new Set(primaries.map((a) => a.role)).size === 1) {
    chosen = primaries[0]!;
  } else {
    const atPrimaryOrg =
      primaryOrgSourcedId === null
        ? undefined
        : primaries.find((a) => a.orgSourcedId === primaryOrgSourcedId);
    chosen = atPrimaryOrg ?? primaries[0]!;
    if (atPrimaryOrg === undefined) {
      read.warn({
        field: 'roles',
        code: 'ambiguous_value',
        message: `roles: the primary roles differ (${primaries.map(describe).join(', ')}) and no primary org chooses between them; ${chosen.role}, the first, is taken as the user's role`,
      });
    }
  }
  return {
    role: chosen.role,
    roles: unique([chosen.role, ...assignments.map((a) => a.role)]),
    schoolExternalIds: unique([
      ...(primaryOrgSourcedId === null ? [] : [primaryOrgSourcedId]),
      ...assignments.map((a) => a.orgSourcedId),
    ]),
  };
}
