import type { EntityType } from '../../domain/entity.js';
import type {
  ExtractedRecord,
  RecordSource,
  ClassRecord,
  CourseRecord,
  EnrollmentRecord,
  EntityRecordMap,
  SchoolRecord,
  TermRecord,
  UserRecord,
} from '../../domain/records.js';
import { RowReader, type FieldProblem, type OneRosterRow } from './row-reader.js';
import { parseUserIds } from './values.js';

/*
 * OneRoster 1.1 rostering records, field by field: one mapping into the canonical records that
 * both transports share (CSV cells and REST JSON arrive here as the same row shape).
 */

export const ORG_TYPES = ['department', 'school', 'district', 'local', 'state', 'national'] as const;
export const SESSION_TYPES = ['gradingPeriod', 'semester', 'schoolYear', 'term'] as const;
export const CLASS_TYPES = ['homeroom', 'scheduled'] as const;
export const USER_ROLES = [
  'administrator',
  'aide',
  'guardian',
  'parent',
  'proctor',
  'relative',
  'student',
  'teacher',
] as const;
export const ENROLLMENT_ROLES = ['administrator', 'proctor', 'student', 'teacher'] as const;
export const RECORD_STATUSES = ['active', 'tobedeleted', 'inactive'] as const;

export interface OneRosterEntity<E extends EntityType> {
  entity: E;
  /** The OneRoster collection: CSV file `<collection>.csv`, REST envelope key. */
  collection: 'orgs' | 'academicSessions' | 'courses' | 'classes' | 'users' | 'enrollments';
  /** The 1.1 CSV columns in spec order. */
  columns: readonly string[];
  /** Columns a CSV file must have, even when their cells are empty. */
  requiredColumns: readonly string[];
  map(read: RowReader): EntityRecordMap[E];
}

const COMMON = ['sourcedId', 'status', 'dateLastModified'] as const;

const schools: OneRosterEntity<'schools'> = {
  entity: 'schools',
  collection: 'orgs',
  columns: [...COMMON, 'name', 'type', 'identifier', 'parentSourcedId'],
  requiredColumns: ['sourcedId', 'name', 'type'],
  map: (read): SchoolRecord => ({
    name: read.required('name'),
    orgType: read.requiredEnum('type', ORG_TYPES, 'org type'),
    identifier: read.optional('identifier'),
    parentExternalId: read.optional('parentSourcedId'),
  }),
};

const terms: OneRosterEntity<'terms'> = {
  entity: 'terms',
  collection: 'academicSessions',
  columns: [...COMMON, 'title', 'type', 'startDate', 'endDate', 'parentSourcedId', 'schoolYear'],
  requiredColumns: ['sourcedId', 'title', 'type', 'startDate', 'endDate', 'schoolYear'],
  map: (read): TermRecord => ({
    title: read.required('title'),
    termType: read.requiredEnum('type', SESSION_TYPES, 'academic session type'),
    startDate: read.date('startDate', true),
    endDate: read.date('endDate', true),
    parentExternalId: read.optional('parentSourcedId'),
    schoolYear: read.year('schoolYear', true),
  }),
};

const courses: OneRosterEntity<'courses'> = {
  entity: 'courses',
  collection: 'courses',
  columns: [
    ...COMMON,
    'schoolYearSourcedId',
    'title',
    'courseCode',
    'grades',
    'orgSourcedId',
    'subjects',
    'subjectCodes',
  ],
  requiredColumns: ['sourcedId', 'title', 'orgSourcedId'],
  map: (read): CourseRecord => ({
    schoolYearExternalId: read.optional('schoolYearSourcedId'),
    title: read.required('title'),
    courseCode: read.optional('courseCode'),
    grades: read.list('grades'),
    schoolExternalId: read.required('orgSourcedId'),
    subjects: read.list('subjects'),
    subjectCodes: read.list('subjectCodes'),
  }),
};

const classes: OneRosterEntity<'classes'> = {
  entity: 'classes',
  collection: 'classes',
  columns: [
    ...COMMON,
    'title',
    'grades',
    'courseSourcedId',
    'classCode',
    'classType',
    'location',
    'schoolSourcedId',
    'termSourcedIds',
    'subjects',
    'subjectCodes',
    'periods',
  ],
  requiredColumns: [
    'sourcedId',
    'title',
    'courseSourcedId',
    'classType',
    'schoolSourcedId',
    'termSourcedIds',
  ],
  map: (read): ClassRecord => ({
    title: read.required('title'),
    grades: read.list('grades'),
    courseExternalId: read.required('courseSourcedId'),
    classCode: read.optional('classCode'),
    classType: read.requiredEnum('classType', CLASS_TYPES, 'class type'),
    location: read.optional('location'),
    schoolExternalId: read.required('schoolSourcedId'),
    termExternalIds: read.list('termSourcedIds', true),
    subjects: read.list('subjects'),
    subjectCodes: read.list('subjectCodes'),
    periods: read.list('periods'),
  }),
};

const users: OneRosterEntity<'users'> = {
  entity: 'users',
  collection: 'users',
  columns: [
    ...COMMON,
    'enabledUser',
    'orgSourcedIds',
    'role',
    'username',
    'userIds',
    'givenName',
    'familyName',
    'middleName',
    'identifier',
    'email',
    'sms',
    'phone',
    'agentSourcedIds',
    'grades',
    'password',
  ],
  requiredColumns: [
    'sourcedId',
    'enabledUser',
    'orgSourcedIds',
    'role',
    'username',
    'givenName',
    'familyName',
  ],
  map: (read): UserRecord => {
    const role = read.requiredEnum('role', USER_ROLES, 'user role');
    return {
      enabled: read.boolean('enabledUser', true, true),
      schoolExternalIds: read.list('orgSourcedIds', true),
      role,
      roles: [role],
      username: read.required('username'),
      userIds: read.custom('userIds', parseUserIds, []),
      givenName: read.required('givenName'),
      familyName: read.required('familyName'),
      middleName: read.optional('middleName'),
      identifier: read.optional('identifier'),
      email: read.optional('email'),
      sms: read.optional('sms'),
      phone: read.optional('phone'),
      agentExternalIds: read.list('agentSourcedIds'),
      grades: read.list('grades'),
    };
  },
};

const enrollments: OneRosterEntity<'enrollments'> = {
  entity: 'enrollments',
  collection: 'enrollments',
  columns: [
    ...COMMON,
    'classSourcedId',
    'schoolSourcedId',
    'userSourcedId',
    'role',
    'primary',
    'beginDate',
    'endDate',
  ],
  requiredColumns: ['sourcedId', 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role'],
  map: (read): EnrollmentRecord => ({
    classExternalId: read.required('classSourcedId'),
    schoolExternalId: read.required('schoolSourcedId'),
    userExternalId: read.required('userSourcedId'),
    role: read.requiredEnum('role', ENROLLMENT_ROLES, 'enrollment role'),
    isPrimary: read.boolean('primary', false, false),
    beginDate: read.date('beginDate', false),
    endDate: read.date('endDate', false),
  }),
};

export const ONEROSTER_ENTITIES: { readonly [E in EntityType]: OneRosterEntity<E> } = {
  schools,
  terms,
  courses,
  classes,
  users,
  enrollments,
};

/** Fields never kept from a provider record (not even in staging). */
const CREDENTIAL_FIELDS = ['password'] as const;

export interface MappedRow<E extends EntityType> {
  externalId: string | null;
  deleted: boolean;
  data: EntityRecordMap[E];
  problems: FieldProblem[];
}

/**
 * Maps one OneRoster row. `deltaMode`: status is required and `tobedeleted` marks a tombstone;
 * in bulk, a row's status is ignored except `tobedeleted`/`inactive`, which also mean gone.
 */
export function mapOneRosterRow<E extends EntityType>(
  spec: OneRosterEntity<E>,
  row: OneRosterRow,
  deltaMode: boolean,
): MappedRow<E> {
  const read = new RowReader(row);
  const sourcedId = read.required('sourcedId');
  const status = deltaMode
    ? read.requiredEnum('status', RECORD_STATUSES, 'status')
    : read.custom(
        'status',
        (v) => {
          const s = v.trim().toLowerCase();
          return s === 'active' || s === 'tobedeleted' || s === 'inactive'
            ? { ok: true as const, value: s }
            : { ok: false as const, message: `"${v}" is not a OneRoster status (active, tobedeleted)` };
        },
        'active',
      );
  const deleted = status === 'tobedeleted' || status === 'inactive';
  // A tombstone needs only its id: the rest of the row is not read.
  const data = deleted ? ({} as EntityRecordMap[E]) : spec.map(read);
  return { externalId: sourcedId === '' ? null : sourcedId, deleted, data, problems: read.problems };
}

/**
 * The record a cleanly mapped row becomes, with the provider's own fields (credentials removed)
 * kept as its raw form for staging.
 */
export function toExtractedRecord<E extends EntityType>(
  mapped: MappedRow<E> & { externalId: string },
  original: Readonly<Record<string, unknown>>,
  source: RecordSource,
): ExtractedRecord<E> {
  // Copied without the credentials rather than copied and then `delete`d: a deletion turns the
  // object into a slow dictionary, and every staged record is serialised from it.
  const raw: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(original)) {
    if (!(CREDENTIAL_FIELDS as readonly string[]).includes(field)) raw[field] = value;
  }
  return { externalId: mapped.externalId, deleted: mapped.deleted, data: mapped.data, raw, source };
}
