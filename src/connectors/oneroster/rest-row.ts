import type { OneRosterEntity } from './entities.js';
import { USER_ROLES } from './entities.js';
import { readRoleAssignment, ROLES_1P2, type RoleAssignment } from './roles.js';
import type { OneRosterRow, OneRosterVersion } from './row-reader.js';
import type { EntityType } from '../../domain/entity.js';

/*
 * A OneRoster REST object into the row shape the shared mapping reads (the CSV column names):
 * GUIDRefs become their sourcedIds, arrays of GUIDRefs lists of ids, `userIds` objects the
 * `{type:identifier}` text, booleans and numbers text. A 1.2 user's `roles[]` become role
 * assignments, as roles.csv rows do. What cannot be read is reported per field, so one bad object
 * is one record error, never a failed pull.
 */

/** CSV column <- REST property holding a GUIDRef (or an array of them, for the plural columns). */
const REFERENCES: Record<string, Record<string, string>> = {
  orgs: { parentSourcedId: 'parent' },
  academicSessions: { parentSourcedId: 'parent' },
  courses: { schoolYearSourcedId: 'schoolYear', orgSourcedId: 'org' },
  classes: { courseSourcedId: 'course', schoolSourcedId: 'school', termSourcedIds: 'terms' },
  users: { orgSourcedIds: 'orgs', agentSourcedIds: 'agents' },
  enrollments: { classSourcedId: 'class', schoolSourcedId: 'school', userSourcedId: 'user' },
};

/** 1.2 users: the GUIDRefs, and the properties whose REST names differ from the CSV columns (1.2 OpenAPI UserDType). */
const USER_REFERENCES_1P2: Record<string, string> = {
  agentSourcedIds: 'agents',
  primaryOrgSourcedId: 'primaryOrg',
};
const USER_PROPERTIES_1P2: Record<string, string> = {
  preferredGivenName: 'preferredFirstName',
  preferredMiddleName: 'preferredMiddleName',
  preferredFamilyName: 'preferredLastName',
};

export interface RestRow {
  row: OneRosterRow;
  problems: { field: string; message: string }[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function restObjectToRow<E extends EntityType>(
  spec: OneRosterEntity<E>,
  object: unknown,
  version: OneRosterVersion = '1.1',
): RestRow {
  const problems: RestRow['problems'] = [];
  const row: Record<string, string | string[] | undefined> = {};
  if (!isObject(object)) {
    return { row, problems: [{ field: '', message: `a ${spec.collection} item is not a JSON object` }] };
  }
  const users1p2 = version === '1.2' && spec.collection === 'users';
  const references = users1p2 ? USER_REFERENCES_1P2 : (REFERENCES[spec.collection] ?? {});
  for (const column of spec.columns) {
    const property = references[column];
    if (property !== undefined) {
      const value = object[property];
      if (value === undefined || value === null) continue;
      const refs = Array.isArray(value) ? value : [value];
      const ids: string[] = [];
      for (const ref of refs) {
        const id = isObject(ref) ? ref.sourcedId : typeof ref === 'string' ? ref : undefined;
        if (typeof id === 'string') ids.push(id);
        else problems.push({ field: column, message: `${property} is not a GUIDRef with a sourcedId` });
      }
      row[column] = column.endsWith('Ids') ? ids : ids[0];
      continue;
    }
    if (column === 'userIds') {
      const value = object.userIds;
      if (value === undefined || value === null) continue;
      if (!Array.isArray(value)) {
        problems.push({ field: column, message: 'userIds is not an array' });
        continue;
      }
      const pairs: string[] = [];
      for (const item of value) {
        if (isObject(item) && typeof item.type === 'string' && typeof item.identifier === 'string') {
          pairs.push(`{${item.type}:${item.identifier}}`);
        } else {
          problems.push({ field: column, message: 'a userIds item is not {type, identifier}' });
        }
      }
      row[column] = pairs.join(',');
      continue;
    }
    const name = (users1p2 ? USER_PROPERTIES_1P2[column] : undefined) ?? column;
    const value = object[name];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') row[column] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') row[column] = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) row[column] = value;
    else problems.push({ field: name, message: `${name} has an unexpected JSON type` });
  }
  return { row, problems };
}

export interface RestRoles {
  assignments: RoleAssignment[];
  /** `roles[]` was missing and the user was read from a 1.1 `role` and `orgs[]` instead. */
  legacy: boolean;
  problems: { field: string; message: string }[];
}

/**
 * A 1.2 user's `roles[]` ({roleType, role, org, userProfile?, beginDate?, endDate?}, 1.2 OpenAPI
 * RoleDType). Some servers still send a 1.1 `role` (providers.md 2.9): beside `roles[]` it is
 * ignored; in its place, it is read as the primary role at each of `orgs[]`.
 */
export function restRolesOf(object: unknown): RestRoles {
  const problems: RestRoles['problems'] = [];
  if (!isObject(object)) return { assignments: [], legacy: false, problems };
  const roles = object.roles;
  if (Array.isArray(roles) && roles.length > 0) {
    // Array.from visits holes too (as undefined): a sparse array is reported, not skipped.
    const assignments = Array.from(roles as unknown[], (item, i) => {
      const prefix = `roles[${i}].`;
      if (!isObject(item)) {
        return {
          roleType: 'primary' as const,
          role: '',
          orgSourcedId: '',
          problems: [
            { field: `roles[${i}]`, code: 'invalid_value' as const, message: `roles[${i}] is not an object` },
          ],
        };
      }
      const org = item.org;
      const row: Record<string, string | undefined> = {
        roleType: textOf(item.roleType),
        role: textOf(item.role),
        orgSourcedId: isObject(org) ? textOf(org.sourcedId) : undefined,
        userProfileSourcedId: textOf(item.userProfile),
        beginDate: textOf(item.beginDate),
        endDate: textOf(item.endDate),
      };
      const assignment = readRoleAssignment(row, { fieldPrefix: prefix });
      // The org is a GUIDRef: name the property the server sent, not the CSV column.
      for (const p of assignment.problems ?? []) {
        if (p.field === `${prefix}orgSourcedId`) {
          p.field = `${prefix}org`;
          p.message = `${prefix}org is required (a GUIDRef with a sourcedId)`;
        }
      }
      return assignment;
    });
    return { assignments, legacy: false, problems };
  }
  if (roles !== undefined && roles !== null && !Array.isArray(roles)) {
    problems.push({ field: 'roles', message: 'roles is not an array' });
    return { assignments: [], legacy: false, problems };
  }
  const role = textOf(object.role);
  if (role === undefined) return { assignments: [], legacy: false, problems };
  // A 1.1 role may be one 1.2 dropped (administrator): kept, as 1.1 sources keep it.
  const known = [...ROLES_1P2, ...USER_ROLES].find((r) => r.toLowerCase() === role.trim().toLowerCase());
  if (known === undefined) {
    problems.push({
      field: 'role',
      message: `role: "${role}" is neither a OneRoster 1.2 role (${ROLES_1P2.join(', ')}) nor a 1.1 one`,
    });
  }
  const assignments: RoleAssignment[] = [];
  const orgs = Array.isArray(object.orgs) ? (object.orgs as unknown[]) : [];
  orgs.forEach((org, i) => {
    const id = isObject(org) ? textOf(org.sourcedId) : undefined;
    if (id === undefined || id.trim() === '') {
      problems.push({ field: `orgs[${i}]`, message: `orgs[${i}] is not a GUIDRef with a sourcedId` });
    } else {
      assignments.push({ roleType: 'primary', role: known ?? role, orgSourcedId: id.trim() });
    }
  });
  return { assignments, legacy: true, problems };
}

const textOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
