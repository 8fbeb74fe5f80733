import Type, { type Static, type TSchema } from 'typebox';

import { ENTITY_TYPES, MATCH_RULES, type EntityType } from '../../domain/entity.js';
import { PROVIDER_TYPES } from '../../domain/provider-type.js';
import { CHANGE_KINDS } from '../../db/schema/index.js';
import { nullable } from './nullable.js';
import { TenantIdSchema } from './providers.js';

/*
 * The roster as applications read it. Each object carries exactly the columns of its table in
 * src/db/schema/roster.ts under their Drizzle property names (test/api/roster.test.ts holds the
 * two to each other), dates as ISO strings, plus the provider records behind it.
 *
 * Objects are closed (additionalProperties: false): the change feed's `record` is a union of
 * them, and the serializer picks the branch an object validates against.
 */

const uuid = (description?: string) =>
  Type.String({ format: 'uuid', ...(description ? { description } : {}) });
const dateTime = Type.String({ format: 'date-time' });
const day = Type.String({ format: 'date', description: 'A calendar date, YYYY-MM-DD.' });
const texts = (description: string) => Type.Array(Type.String(), { description });

export const RosterLinkSchema = Type.Object(
  {
    providerId: uuid(),
    providerType: Type.Enum(PROVIDER_TYPES),
    providerName: Type.String(),
    externalId: Type.String({
      description: "The record's id at the provider (OneRoster sourcedId, Clever id).",
    }),
    matchedBy: Type.Enum(MATCH_RULES, {
      description:
        'How the provider record was tied to this one: created (it made it), external_id, email or student_number.',
    }),
    active: Type.Boolean({
      description: "False once the provider's complete snapshots no longer hold the record.",
    }),
  },
  { additionalProperties: false, description: 'A provider record that stands behind a roster record.' },
);
export type RosterLink = Static<typeof RosterLinkSchema>;

const rosterFields = {
  id: uuid('Time-ordered: lists are sorted by it.'),
  tenantId: TenantIdSchema,
  active: Type.Boolean({
    description: 'False once no provider holds the record any more (it is never deleted).',
  }),
  deactivatedAt: nullable(dateTime),
  createdAt: dateTime,
  updatedAt: dateTime,
};
const links = Type.Array(RosterLinkSchema, { description: 'The provider records behind this one.' });

const object = <T extends Record<string, TSchema>>(fields: T, description: string) =>
  Type.Object({ ...rosterFields, ...fields, links }, { additionalProperties: false, description });

export const SchoolSchema = object(
  {
    name: Type.String(),
    identifier: nullable(
      Type.String({ description: 'Human-facing id such as an NCES or state school number.' }),
    ),
    orgType: Type.String({ description: 'OneRoster org type: school, district, department, ...' }),
    parentId: nullable(uuid()),
  },
  'A school or other organisation (district, department).',
);

export const TermSchema = object(
  {
    title: Type.String(),
    termType: Type.String({ description: 'schoolYear, semester, term or gradingPeriod.' }),
    startDate: nullable(day),
    endDate: nullable(day),
    schoolYear: nullable(Type.Integer()),
    parentId: nullable(uuid()),
  },
  'An academic session.',
);

export const CourseSchema = object(
  {
    title: Type.String(),
    courseCode: nullable(Type.String()),
    grades: texts('Grade levels, as the provider names them.'),
    subjects: texts('Subject names.'),
    subjectCodes: texts('Subject codes.'),
    schoolId: nullable(uuid()),
    schoolYearTermId: nullable(uuid('The school-year term the course belongs to.')),
  },
  'A course.',
);

export const ClassSchema = object(
  {
    title: Type.String(),
    classCode: nullable(Type.String()),
    classType: Type.String({ description: 'homeroom or scheduled.' }),
    location: nullable(Type.String()),
    grades: texts('Grade levels.'),
    subjects: texts('Subject names.'),
    subjectCodes: texts('Subject codes.'),
    periods: texts('Periods in which the class meets.'),
    courseId: nullable(uuid()),
    schoolId: nullable(uuid()),
    termIds: Type.Array(uuid(), { description: 'The terms the class runs in.' }),
  },
  'A class (section) of a course.',
);

export const UserSchema = object(
  {
    role: Type.String({ description: 'Primary role: student, teacher, administrator, aide, guardian, ...' }),
    roles: texts('Every role the user holds across providers.'),
    username: nullable(Type.String()),
    givenName: Type.String(),
    familyName: Type.String(),
    middleName: nullable(Type.String()),
    email: nullable(Type.String()),
    identifier: nullable(Type.String({ description: 'Student or staff number.' })),
    sms: nullable(Type.String()),
    phone: nullable(Type.String()),
    grades: texts('Grade levels.'),
    schoolIds: Type.Array(uuid(), { description: 'The schools (orgs) the user belongs to.' }),
    userIds: Type.Array(
      Type.Object({ type: Type.String(), identifier: Type.String() }, { additionalProperties: false }),
      { description: 'Other identifiers the SIS holds (LDAP, StateID, ...).' },
    ),
    enabled: Type.Boolean({ description: 'False: the record is current but sign-in is curtailed.' }),
    preferredGivenName: nullable(Type.String()),
    preferredMiddleName: nullable(Type.String()),
    preferredFamilyName: nullable(Type.String()),
    pronouns: nullable(Type.String()),
    masterIdentifier: nullable(Type.String({ description: "The SIS's person id (OneRoster 1.2)." })),
    primarySchoolId: nullable(uuid("The school the SIS names as the user's main one (OneRoster 1.2).")),
  },
  'A person: student, teacher, administrator, guardian, ...',
);

export const EnrollmentSchema = object(
  {
    classId: uuid(),
    userId: uuid(),
    schoolId: nullable(uuid()),
    role: Type.String({ description: 'student, teacher, administrator or proctor.' }),
    isPrimary: Type.Boolean({ description: "The class's primary teacher; co-teachers are false." }),
    beginDate: nullable(day),
    endDate: nullable(day),
  },
  "A user's place in a class.",
);

export const ROSTER_SCHEMAS = {
  schools: SchoolSchema,
  terms: TermSchema,
  courses: CourseSchema,
  classes: ClassSchema,
  users: UserSchema,
  enrollments: EnrollmentSchema,
} as const satisfies Record<EntityType, TSchema>;

/** The API object of each entity. */
export type RosterObjects = { [E in EntityType]: Static<(typeof ROSTER_SCHEMAS)[E]> };
export type RosterObject = RosterObjects[EntityType];

/* ---------- lists ---------- */

const filterFields = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 512,
      description:
        "The previous page's nextCursor, unchanged; the other query fields must stay as they were for the first page.",
    }),
  ),
  active: Type.Optional(
    Type.Boolean({ description: 'true: active records only; false: inactive only; absent: both.' }),
  ),
  updatedSince: Type.Optional(
    Type.String({ format: 'date-time', description: 'Records whose updatedAt is at or after this instant.' }),
  ),
  externalId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'Records that a provider record with this id stands behind (any provider, unless providerId).',
    }),
  ),
  providerId: Type.Optional(uuid('With externalId: only that provider.')),
};

const listQuery = <T extends Record<string, TSchema>>(fields: T) =>
  // Closed: a filter an entity does not have is refused, rather than ignored and everything returned.
  Type.Object({ ...filterFields, ...fields }, { additionalProperties: false });

const parentId = Type.Optional(uuid('Children of this record.'));
const schoolId = (description: string) => Type.Optional(uuid(description));
const role = (description: string) =>
  Type.Optional(Type.String({ minLength: 1, maxLength: 100, description }));

export const ROSTER_LIST_QUERIES = {
  schools: listQuery({ parentId }),
  terms: listQuery({ parentId }),
  courses: listQuery({ schoolId: schoolId('Courses of this school.') }),
  classes: listQuery({
    schoolId: schoolId('Classes of this school.'),
    courseId: Type.Optional(uuid('Classes of this course.')),
    termId: Type.Optional(uuid('Classes that run in this term.')),
  }),
  users: listQuery({
    schoolId: schoolId('Users who belong to this school (schoolIds).'),
    classId: Type.Optional(uuid('Users with an active enrollment in this class.')),
    role: role('Users who hold this role (role or roles).'),
    email: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 320,
        description: 'Compared without case and surrounding spaces.',
      }),
    ),
  }),
  enrollments: listQuery({
    schoolId: schoolId('Enrollments at this school.'),
    classId: Type.Optional(uuid('Enrollments in this class.')),
    userId: Type.Optional(uuid('Enrollments of this user.')),
    role: role('Enrollments with this role.'),
    activeOn: Type.Optional(
      Type.String({
        format: 'date',
        description:
          'Enrollments with a period that covers this day (YYYY-MM-DD): from its SIS begin date, else the day it ' +
          'opened, to its SIS end date or the day it closed, whichever is first (open-ended when neither).',
      }),
    ),
  }),
} as const satisfies Record<EntityType, TSchema>;

export type RosterListQueries = { [E in EntityType]: Static<(typeof ROSTER_LIST_QUERIES)[E]> };

export const rosterListSchema = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    nextCursor: nullable(
      Type.String({ description: 'Pass as cursor for the next page; null on the last page.' }),
    ),
  });

export const RosterParamsSchema = Type.Object({ tenantId: TenantIdSchema, id: uuid() });

/* ---------- enrollment periods ---------- */

export const EnrollmentPeriodSchema = Type.Object(
  {
    id: uuid(),
    beginDate: nullable(day),
    endDate: nullable(day),
    openedAt: Type.String({ format: 'date-time', description: 'When a sync created or reactivated it.' }),
    closedAt: nullable(
      Type.String({ format: 'date-time', description: 'When a sync deactivated it; null: still open.' }),
    ),
    openedByRunId: nullable(
      uuid('The run that opened it; null for periods kept from before runs recorded it.'),
    ),
    closedByRunId: nullable(uuid('The run that closed it.')),
  },
  {
    additionalProperties: false,
    description:
      'A span in which the enrollment was active, with the SIS begin and end dates it had (kept up to date while open).',
  },
);
export type EnrollmentPeriod = Static<typeof EnrollmentPeriodSchema>;
export const EnrollmentPeriodListSchema = Type.Object({
  periods: Type.Array(EnrollmentPeriodSchema, { description: 'Oldest first; at most the last is open.' }),
});

/* ---------- the change feed ---------- */

const entityList = `(${ENTITY_TYPES.join('|')})`;

export const ChangesQuerySchema = Type.Object(
  {
    after: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,19}$',
        description: 'The nextCursor of the previous page; absent or 0: from the start.',
      }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    entity: Type.Optional(
      Type.String({
        pattern: `^${entityList}(,${entityList})*$`,
        description: `Only events of these entities, comma-separated: ${ENTITY_TYPES.join(', ')}.`,
      }),
    ),
  },
  { additionalProperties: false },
);

export const ChangeEventSchema = Type.Object({
  seq: Type.String({ description: "The event's place in the tenant's feed; a cursor for after." }),
  entity: Type.Enum(ENTITY_TYPES),
  id: uuid('The roster record that changed.'),
  kind: Type.Enum(CHANGE_KINDS),
  changedFields: texts('For updated and reactivated: the fields that changed; empty for created.'),
  runId: uuid('The run that applied the change.'),
  providerId: uuid('The provider of that run.'),
  occurredAt: dateTime,
  record: Type.Union(
    [SchoolSchema, TermSchema, CourseSchema, ClassSchema, UserSchema, EnrollmentSchema, Type.Null()],
    {
      description:
        "The record's CURRENT state (not as of the event), as GET <entity>/:id gives it: a reader that applies " +
        'events in order, upserting each record, ends with a copy equal to the roster. Null only if the record ' +
        'was removed from the database, which sis-sync never does.',
    },
  ),
});
export type ChangeEvent = Static<typeof ChangeEventSchema>;

export const ChangePageSchema = Type.Object({
  events: Type.Array(ChangeEventSchema),
  nextCursor: Type.String({
    description: "The last event's seq, or the given after when there was none: store it and poll after it.",
  }),
  hasMore: Type.Boolean({ description: 'More events follow now; false: poll again later.' }),
});
export type ChangePage = Static<typeof ChangePageSchema>;
