import type { OneRosterEntity } from './entities.js';
import type { OneRosterRow } from './row-reader.js';
import type { EntityType } from '../../domain/entity.js';

/*
 * A OneRoster 1.1 REST object into the row shape the shared mapping reads (the CSV column
 * names): GUIDRefs become their sourcedIds, arrays of GUIDRefs lists of ids, `userIds` objects the
 * `{type:identifier}` text, booleans and numbers text. What cannot be read is reported per field,
 * so one bad object is one record error, never a failed pull.
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

export interface RestRow {
  row: OneRosterRow;
  problems: { field: string; message: string }[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function restObjectToRow<E extends EntityType>(spec: OneRosterEntity<E>, object: unknown): RestRow {
  const problems: RestRow['problems'] = [];
  const row: Record<string, string | string[] | undefined> = {};
  if (!isObject(object)) {
    return { row, problems: [{ field: '', message: `a ${spec.collection} item is not a JSON object` }] };
  }
  const references = REFERENCES[spec.collection] ?? {};
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
    const value = object[column];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') row[column] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') row[column] = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) row[column] = value;
    else problems.push({ field: column, message: `${column} has an unexpected JSON type` });
  }
  return { row, problems };
}
