import type { EntityType } from '../../domain/entity.js';
import type {
  ClassRecord,
  CourseRecord,
  EnrollmentRecord,
  EntityRecordMap,
  SchoolRecord,
  TermRecord,
  UserRecord,
} from '../../domain/records.js';
import { parseDate } from '../oneroster/values.js';
import {
  checker,
  cleverCourseSchema,
  cleverDistrictSchema,
  cleverSchoolSchema,
  cleverSectionSchema,
  cleverTermSchema,
  cleverUserSchema,
  type Checked,
  type CleverSection,
  type CleverUser,
  type FieldIssue,
} from './clever-schemas.js';

/*
 * Clever Data API v3.0 objects into the canonical records. Pure: every function takes one
 * object as Clever sent it, checks it against its schema, and answers with a record or with the
 * fields that are wrong. Clever has no enrollment object: enrollments are derived from a
 * section's `students[]` and `teachers[]`.
 */

export interface CleverMapped<E extends EntityType> {
  externalId: string;
  data: EntityRecordMap[E];
  /** The Clever object, login credentials removed, for the staging tables. */
  raw: Record<string, unknown>;
}

export type MapResult<E extends EntityType> =
  { ok: true; value: CleverMapped<E> } | { ok: false; externalId: string | null; issues: FieldIssue[] };

/** Clever's grade enumeration to the CEDS codes OneRoster uses; unknown values pass as sent. */
const GRADE_CODES: Readonly<Record<string, string>> = {
  InfantToddler: 'IT',
  Preschool: 'PR',
  PreKindergarten: 'PK',
  TransitionalKindergarten: 'TK',
  Kindergarten: 'KG',
  PostGraduate: 'PS',
  Ungraded: 'UG',
  Other: 'Other',
};

export function gradeCode(grade: string | null | undefined): string | null {
  const value = grade?.trim() ?? '';
  if (value === '') return null;
  if (/^\d{1,2}$/.test(value)) return value.padStart(2, '0');
  return GRADE_CODES[value] ?? value;
}

const HOMEROOM_SUBJECT = 'homeroom/advisory';
const RELATIVE_RELATIONSHIPS = new Set(['grandparent', 'aunt/uncle', 'sibling']);

const checkDistrict = checker(cleverDistrictSchema);
const checkSchool = checker(cleverSchoolSchema);
const checkTerm = checker(cleverTermSchema);
const checkCourse = checker(cleverCourseSchema);
const checkSectionObject = checker(cleverSectionSchema);
const checkUser = checker(cleverUserSchema);

const orNull = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
};

const unique = <T>(values: Iterable<T>): T[] => [...new Set(values)];

const idOf = (value: unknown): string | null => {
  if (typeof value !== 'object' || value === null) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : null;
};

const asRecord = (value: unknown): Record<string, unknown> => value as Record<string, unknown>;

function failed<E extends EntityType>(value: unknown, issues: FieldIssue[]): MapResult<E> {
  return { ok: false, externalId: idOf(value), issues };
}

/** The district is the parent org of every school. */
export function mapDistrict(value: unknown): MapResult<'schools'> {
  const checked = checkDistrict(value);
  if (!checked.ok) return failed(value, checked.issues);
  const district = checked.value;
  const data: SchoolRecord = {
    name: district.name,
    identifier: orNull(district.nces_id) ?? orNull(district.mdr_number),
    orgType: 'district',
    parentExternalId: null,
  };
  return { ok: true, value: { externalId: district.id, data, raw: asRecord(value) } };
}

export function mapSchool(value: unknown): MapResult<'schools'> {
  const checked = checkSchool(value);
  if (!checked.ok) return failed(value, checked.issues);
  const school = checked.value;
  const data: SchoolRecord = {
    name: school.name,
    identifier: orNull(school.school_number) ?? orNull(school.sis_id),
    orgType: 'school',
    parentExternalId: orNull(school.district),
  };
  return { ok: true, value: { externalId: school.id, data, raw: asRecord(value) } };
}

/** Clever terms carry no type or school year; they are district terms with dates. */
export function mapTerm(value: unknown): MapResult<'terms'> {
  const checked = checkTerm(value);
  if (!checked.ok) return failed(value, checked.issues);
  const term = checked.value;
  const issues: FieldIssue[] = [];
  const date = (field: 'start_date' | 'end_date'): string | null => {
    const raw = orNull(term[field]);
    if (raw === null) return null;
    const parsed = parseDate(raw);
    if (parsed.ok) return parsed.value;
    issues.push({ field, message: `${field} ${parsed.message}` });
    return null;
  };
  const data: TermRecord = {
    title: term.name,
    termType: 'term',
    startDate: date('start_date'),
    endDate: date('end_date'),
    schoolYear: null,
    parentExternalId: null,
  };
  if (issues.length > 0) return failed(value, issues);
  return { ok: true, value: { externalId: term.id, data, raw: asRecord(value) } };
}

/** Clever courses are district-wide: no school, grades or subjects of their own. */
export function mapCourse(value: unknown): MapResult<'courses'> {
  const checked = checkCourse(value);
  if (!checked.ok) return failed(value, checked.issues);
  const course = checked.value;
  const data: CourseRecord = {
    title: course.name,
    courseCode: orNull(course.number),
    grades: [],
    subjects: [],
    subjectCodes: [],
    schoolExternalId: null,
    schoolYearExternalId: null,
  };
  return { ok: true, value: { externalId: course.id, data, raw: asRecord(value) } };
}

export function checkSection(
  value: unknown,
): { ok: true; value: CleverSection } | { ok: false; issues: FieldIssue[] } {
  return checkSectionObject(value);
}

export function mapSection(value: unknown): MapResult<'classes'> {
  const checked = checkSection(value);
  if (!checked.ok) return failed(value, checked.issues);
  const section = checked.value;
  const subject = orNull(section.subject);
  const grade = gradeCode(section.grade);
  const period = orNull(section.period);
  const term = orNull(section.term_id);
  const data: ClassRecord = {
    title: section.name,
    classCode: orNull(section.section_number),
    classType: subject === HOMEROOM_SUBJECT ? 'homeroom' : 'scheduled',
    location: null,
    grades: grade === null ? [] : [grade],
    subjects: subject === null ? [] : [subject],
    subjectCodes: [],
    periods: period === null ? [] : [period],
    courseExternalId: orNull(section.course),
    schoolExternalId: section.school,
    termExternalIds: term === null ? [] : [term],
  };
  return { ok: true, value: { externalId: section.id, data, raw: asRecord(value) } };
}

/** The stable id of a derived enrollment: section, user and role (a user may be both). */
export function enrollmentId(sectionId: string, userId: string, role: 'student' | 'teacher'): string {
  return `${sectionId}:${userId}:${role}`;
}

/**
 * A section's enrollments: every teacher in `teachers[]` (co-teachers kept; `teacher`, the
 * primary, is added if a district left it out of the list) and every student in `students[]`.
 */
export function enrollmentsOfSection(section: CleverSection): CleverMapped<'enrollments'>[] {
  const primary = orNull(section.teacher);
  const teachers = unique([...(primary === null ? [] : [primary]), ...(section.teachers ?? [])]).filter(
    (t) => t !== '',
  );
  const students = unique(section.students ?? []).filter((s) => s !== '');
  const enrollment = (userId: string, role: 'student' | 'teacher'): CleverMapped<'enrollments'> => {
    const data: EnrollmentRecord = {
      classExternalId: section.id,
      userExternalId: userId,
      schoolExternalId: section.school,
      role,
      isPrimary: role === 'teacher' && userId === primary,
      beginDate: null,
      endDate: null,
    };
    return {
      externalId: enrollmentId(section.id, userId, role),
      data,
      raw: { section: section.id, user: userId, role, primary: data.isPrimary },
    };
  };
  return [...teachers.map((t) => enrollment(t, 'teacher')), ...students.map((s) => enrollment(s, 'student'))];
}

/** The canonical role a contact holds towards its students, from Clever's relationship. */
export function contactRoleOf(contact: NonNullable<CleverUser['roles']['contact']>): string {
  const relationships = (contact.student_relationships ?? []).map((r) =>
    (r.relationship ?? '').toLowerCase(),
  );
  if (relationships.includes('parent')) return 'parent';
  if (relationships.some((r) => RELATIVE_RELATIONSHIPS.has(r))) return 'relative';
  return 'guardian';
}

/** The students a contact is linked to. */
export function studentsOfContact(user: CleverUser): string[] {
  return unique((user.roles.contact?.student_relationships ?? []).map((r) => r.student));
}

export function checkUserObject(value: unknown): Checked<CleverUser> {
  return checkUser(value);
}

/**
 * A Clever user (one object, a map of roles) as one canonical user. Its primary role is the
 * first it holds of student, contact, teacher, district_admin, staff (Clever never combines
 * student or contact with another role); `roles` lists them all. `contactsOf` answers a
 * student's contacts, which Clever records only on the contact's side. A caller that has
 * already checked `value` with `checkUserObject` passes that result as `checked`, so the object
 * is not walked twice.
 */
export function mapUser(
  value: unknown,
  contactsOf: (studentId: string) => readonly string[],
  checked: Checked<CleverUser> = checkUser(value),
): MapResult<'users'> {
  if (!checked.ok) return failed(value, checked.issues);
  const user = checked.value;
  const { student, teacher, staff, district_admin: districtAdmin, contact } = user.roles;
  const roles: string[] = [];
  if (student !== undefined) roles.push('student');
  if (contact !== undefined) roles.push(contactRoleOf(contact));
  if (teacher !== undefined) roles.push('teacher');
  if (districtAdmin !== undefined) roles.push('administrator');
  if (staff !== undefined) roles.push('staff');
  const [role] = roles;
  if (role === undefined) {
    return failed(value, [
      { field: 'roles', message: 'roles holds none of student, teacher, staff, district_admin, contact' },
    ]);
  }

  const schools = unique(
    [
      orNull(student?.school),
      ...(student?.schools ?? []),
      orNull(teacher?.school),
      ...(teacher?.schools ?? []),
      ...(staff?.schools ?? []),
    ].filter((s): s is string => s !== null && s !== ''),
  );
  // A district admin belongs to the district, which is an org like any school.
  const district = orNull(user.district);
  if (districtAdmin !== undefined && district !== null && !schools.includes(district)) schools.push(district);
  const username =
    orNull(student?.credentials?.district_username) ??
    orNull(teacher?.credentials?.district_username) ??
    orNull(staff?.credentials?.district_username);
  const identifier =
    orNull(student?.student_number) ?? orNull(teacher?.teacher_number) ?? orNull(staff?.staff_id);
  const userIds: { type: string; identifier: string }[] = [];
  const addId = (type: string, id: string | null | undefined) => {
    const v = orNull(id);
    if (v !== null && !userIds.some((u) => u.type === type && u.identifier === v)) {
      userIds.push({ type, identifier: v });
    }
  };
  addId('sis_id', student?.sis_id);
  addId('sis_id', teacher?.sis_id);
  addId('sis_id', contact?.sis_id);
  addId('state_id', student?.state_id);
  addId('state_id', teacher?.state_id);
  const grade = gradeCode(student?.grade);
  const phone = orNull(contact?.phone);
  const agents = unique([...(student === undefined ? [] : contactsOf(user.id)), ...studentsOfContact(user)]);

  const data: UserRecord = {
    role,
    roles,
    username,
    givenName: user.name.first?.trim() ?? '',
    familyName: user.name.last?.trim() ?? '',
    middleName: orNull(user.name.middle),
    email: orNull(user.email),
    identifier,
    // Clever has one contact number and says what it is; a cell phone takes texts.
    sms: phone !== null && contact?.phone_type === 'Cell' ? phone : null,
    phone,
    grades: grade === null ? [] : [grade],
    schoolExternalIds: schools,
    userIds,
    // Clever shares only active users; an unshared user disappears instead.
    enabled: true,
    agentExternalIds: agents,
  };
  return { ok: true, value: { externalId: user.id, data, raw: withoutCredentials(asRecord(value)) } };
}

/**
 * The user object without `roles.*.credentials` (district usernames may double as logins).
 * Copied only as far as there is something to drop: a user without credentials is itself, and
 * only the roles that carry them are copied.
 */
function withoutCredentials(user: Record<string, unknown>): Record<string, unknown> {
  const roles = user.roles;
  if (typeof roles !== 'object' || roles === null) return user;
  let cleaned: Record<string, unknown> | null = null;
  for (const name in roles) {
    if (!Object.hasOwn(roles, name)) continue;
    const role = (roles as Record<string, unknown>)[name];
    if (typeof role !== 'object' || role === null || !Object.hasOwn(role, 'credentials')) continue;
    const { credentials: _dropped, ...rest } = role as Record<string, unknown>;
    cleaned ??= { ...roles };
    cleaned[name] = rest;
  }
  return cleaned === null ? user : { ...user, roles: cleaned };
}
