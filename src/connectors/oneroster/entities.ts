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
import { composeRoles, type RoleAssignment } from './roles.js';
import { RowReader, type FieldProblem, type OneRosterRow, type OneRosterVersion } from './row-reader.js';
import { parseUserIds } from './values.js';

/*
 * OneRoster rostering records, field by field: one mapping into the canonical records that both
 * transports and both versions share (CSV cells and REST JSON arrive here as the same row shape,
 * in the CSV column names). 1.2 changes only users (roles move out to roles.csv / `roles[]`, new
 * name and identity columns) and lets vocabularies be extended with `ext:` tokens.
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

/** What a row is mapped with besides its own fields: a 1.2 user's role tuples. */
export interface RowLinks {
  roles?: readonly RoleAssignment[];
  /** Where the role tuples come from, for messages: "roles.csv", "roles[]". */
  rolesSource?: string;
}

export interface OneRosterEntity<E extends EntityType> {
  entity: E;
  /** The OneRoster collection: CSV file `<collection>.csv`, REST envelope key. */
  collection: 'orgs' | 'academicSessions' | 'courses' | 'classes' | 'users' | 'enrollments';
  /** The CSV columns in spec order. */
  columns: readonly string[];
  /** Columns a CSV file must have, even when their cells are empty. */
  requiredColumns: readonly string[];
  /** Misspelled headers seen in real exports, read as the column they mean (reported, not refused). */
  aliases?: Readonly<Record<string, string>>;
  map(read: RowReader, links: RowLinks): EntityRecordMap[E];
}

const COMMON = ['sourcedId', 'status', 'dateLastModified'] as const;

const schools: OneRosterEntity<'schools'> = {
  entity: 'schools',
  collection: 'orgs',
  columns: [...COMMON, 'name', 'type', 'identifier', 'parentSourcedId'],
  requiredColumns: ['sourcedId', 'name', 'type'],
  map: (read): SchoolRecord => ({
    name: read.required('name'),
    orgType: read.requiredVocabulary('type', ORG_TYPES, 'org type'),
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
    termType: read.requiredVocabulary('type', SESSION_TYPES, 'academic session type'),
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
    classType: read.requiredVocabulary('classType', CLASS_TYPES, 'class type'),
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
    const role = read.requiredVocabulary('role', USER_ROLES, 'user role');
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
    role: read.requiredVocabulary('role', ENROLLMENT_ROLES, 'enrollment role'),
    isPrimary: read.boolean('primary', false, false),
    beginDate: read.date('beginDate', false),
    endDate: read.date('endDate', false),
  }),
};

/** The OneRoster 1.1 entities. */
export const ONEROSTER_ENTITIES: { readonly [E in EntityType]: OneRosterEntity<E> } = {
  schools,
  terms,
  courses,
  classes,
  users,
  enrollments,
};

/** users.csv in the 1.2 CSV binding's order (LongsightGroup/oneroster `userHeaders`; providers.md 1.9). */
export const USER_COLUMNS_1P2 = [
  ...COMMON,
  'enabledUser',
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
  'userMasterIdentifier',
  'preferredGivenName',
  'preferredMiddleName',
  'preferredFamilyName',
  'primaryOrgSourcedId',
  'pronouns',
] as const;

/** Header typos seen in real 1.2 exports (providers.md 1.10: Moodle's v1p2_full_dataset). */
const TYPOS_1P2: Readonly<Record<string, string>> = {
  dataLastModified: 'dateLastModified',
  prefferedGivenName: 'preferredGivenName',
  prefferedMiddleName: 'preferredMiddleName',
  prefferedFamilyName: 'preferredFamilyName',
};

/** Only what the source has: absent, not null, so records of sources without these keep their content hash. */
function present<K extends string>(key: K, value: string | null): Partial<Record<K, string>> {
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}

const users1p2: OneRosterEntity<'users'> = {
  entity: 'users',
  collection: 'users',
  columns: USER_COLUMNS_1P2,
  requiredColumns: ['sourcedId', 'enabledUser', 'username', 'givenName', 'familyName'],
  aliases: TYPOS_1P2,
  map: (read, links): UserRecord => {
    const primaryOrg = read.optional('primaryOrgSourcedId');
    const { role, roles, schoolExternalIds } = composeRoles(read, links.roles ?? [], primaryOrg, {
      roles: links.rolesSource ?? 'roles',
    });
    return {
      enabled: read.boolean('enabledUser', true, true),
      schoolExternalIds,
      role,
      roles,
      // Required in 1.2 CSV, optional in 1.2 REST ("kept for backwards compatibility"): taken when given.
      username: read.optional('username'),
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
      ...present('preferredGivenName', read.optional('preferredGivenName')),
      ...present('preferredMiddleName', read.optional('preferredMiddleName')),
      ...present('preferredFamilyName', read.optional('preferredFamilyName')),
      ...present('pronouns', read.optional('pronouns')),
      ...present('masterIdentifier', read.optional('userMasterIdentifier')),
      ...present('primarySchoolExternalId', primaryOrg),
    };
  },
};

const with1p2Typos = <E extends EntityType>(spec: OneRosterEntity<E>): OneRosterEntity<E> => ({
  ...spec,
  aliases: TYPOS_1P2,
});

/** The OneRoster 1.2 entities: 1.1's but for users, and the header typos 1.2 exports carry. */
export const ONEROSTER_1P2_ENTITIES: { readonly [E in EntityType]: OneRosterEntity<E> } = {
  schools: with1p2Typos(schools),
  terms: with1p2Typos(terms),
  courses: with1p2Typos(courses),
  classes: with1p2Typos(classes),
  users: users1p2,
  enrollments: with1p2Typos(enrollments),
};

export function oneRosterEntities(version: OneRosterVersion): {
  readonly [E in EntityType]: OneRosterEntity<E>;
} {
  return version === '1.2' ? ONEROSTER_1P2_ENTITIES : ONEROSTER_ENTITIES;
}

/**
 * Fields never kept from a provider record (not even in staging): passwords, and 1.2 REST
 * `userProfiles[]`, whose `credentials[]` hold login names and passwords.
 */
const CREDENTIAL_FIELDS = ['password', 'userProfiles'] as const;

export interface MappedRow<E extends EntityType> {
  externalId: string | null;
  deleted: boolean;
  data: EntityRecordMap[E];
  problems: FieldProblem[];
  /** Reported, but the record is applied. */
  warnings: FieldProblem[];
}

/**
 * Whether a row says its record is gone. `deltaMode`: status is required and `tobedeleted` marks
 * a tombstone; in bulk, a row's status is ignored except `tobedeleted`/`inactive`, which also mean
 * gone.
 */
export function readDeleted(read: RowReader, deltaMode: boolean): boolean {
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
  return status === 'tobedeleted' || status === 'inactive';
}

/**
 * Maps one OneRoster row. `deltaMode`: status is required and `tobedeleted` marks a tombstone;
 * in bulk, a row's status is ignored except `tobedeleted`/`inactive`, which also mean gone.
 */
export function mapOneRosterRow<E extends EntityType>(
  spec: OneRosterEntity<E>,
  row: OneRosterRow,
  deltaMode: boolean,
  options: { version?: OneRosterVersion; links?: RowLinks } = {},
): MappedRow<E> {
  const read = new RowReader(row, options.version ?? '1.1');
  const sourcedId = read.required('sourcedId');
  const deleted = readDeleted(read, deltaMode);
  // A tombstone needs only its id: the rest of the row is not read.
  const data = deleted ? ({} as EntityRecordMap[E]) : spec.map(read, options.links ?? {});
  return {
    externalId: sourcedId === '' ? null : sourcedId,
    deleted,
    data,
    problems: read.problems,
    warnings: read.warnings,
  };
}

/**
 * The record a cleanly mapped row becomes, with the provider's own fields (credentials removed)
 * kept as its raw form for staging.
 */
export function toExtractedRecord<E extends EntityType>(
  mapped: MappedRow<E> & { externalId: string },
  original: Readonly<Record<string, unknown>>,
  source: RecordSource,
  /** What the record is read with besides its own row (a 1.2 CSV user's roles.csv rows). */
  extra?: Readonly<Record<string, unknown>>,
): ExtractedRecord<E> {
  // Copied without the credentials rather than copied and then `delete`d: a deletion turns the
  // object into a slow dictionary, and every staged record is serialised from it.
  // `for...in` over the row's own fields (rows and parsed JSON have no inherited enumerable ones)
  // makes no entry arrays: this runs once per record.
  const raw: Record<string, unknown> = {};
  for (const field in original) {
    if ((CREDENTIAL_FIELDS as readonly string[]).includes(field)) continue;
    // JSON.parse makes a `__proto__` key an own field like any other; assigned, it would set the
    // copy's prototype instead (and vanish from what is staged).
    if (field === '__proto__') {
      Object.defineProperty(raw, field, {
        value: original[field],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else raw[field] = original[field];
  }
  if (extra !== undefined) Object.assign(raw, extra);
  return { externalId: mapped.externalId, deleted: mapped.deleted, data: mapped.data, raw, source };
}
