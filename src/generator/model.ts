import type { Grade, SchoolLevel } from './catalog.js';
import { kindIsPrimary, kindRole, type EnrollmentRole, type EnrollmentTable } from './enrollment-table.js';

/*
 * The in-memory synthetic district. Field names and values follow the OneRoster 1.1 CSV columns
 * so the writer is a straight projection; the few extra fields (`level`, `offering`, `stateId`)
 * are what the generator needs to place new students and to build `userIds`.
 *
 * Records are never changed in place: a mutation replaces the object, so a cloned district can
 * share every record it has not touched with the district it came from.
 */

export interface Org {
  readonly sourcedId: string;
  readonly name: string;
  readonly type: 'district' | 'school';
  readonly identifier: string;
  readonly parentSourcedId: string | null;
  /** Null for the district. */
  readonly level: SchoolLevel | null;
}

export interface AcademicSession {
  readonly sourcedId: string;
  readonly title: string;
  readonly type: 'schoolYear' | 'semester' | 'gradingPeriod';
  readonly startDate: string;
  readonly endDate: string;
  readonly parentSourcedId: string | null;
  readonly schoolYear: number;
}

export interface Course {
  readonly sourcedId: string;
  readonly schoolYearSourcedId: string;
  readonly title: string;
  readonly courseCode: string;
  readonly grades: readonly Grade[];
  readonly orgSourcedId: string;
  readonly subjects: readonly string[];
  readonly subjectCodes: readonly string[];
  /** How students are placed in its classes: by grade (homeroom, core) or by choice (elective). */
  readonly offering: 'homeroom' | 'core' | 'elective';
}

export interface SchoolClass {
  readonly sourcedId: string;
  readonly title: string;
  readonly grades: readonly Grade[];
  readonly courseSourcedId: string;
  readonly classCode: string;
  readonly classType: 'homeroom' | 'scheduled';
  readonly location: string;
  readonly schoolSourcedId: string;
  readonly termSourcedIds: readonly string[];
  readonly subjects: readonly string[];
  readonly subjectCodes: readonly string[];
  /** Empty for homerooms, one of "1".."7" for scheduled classes. */
  readonly periods: readonly string[];
}

export const USER_ROLES = ['student', 'teacher', 'administrator', 'aide', 'guardian', 'parent'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface User {
  readonly sourcedId: string;
  readonly enabledUser: boolean;
  readonly orgSourcedIds: readonly string[];
  readonly role: UserRole;
  readonly username: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly middleName: string | null;
  /** Student number (zero-padded, so always a string) or staff number; null for guardians. */
  readonly identifier: string | null;
  readonly email: string;
  readonly sms: string | null;
  readonly phone: string | null;
  /** Students list their guardians and guardians their students. */
  readonly agentSourcedIds: readonly string[];
  readonly grades: readonly Grade[];
  /** State student id, written into `userIds` as `{SSID:...}`. */
  readonly stateId: string | null;
}

/** A dropped user and the enrollments it had, kept so it can reappear. */
export interface DroppedUser {
  readonly user: User;
  readonly enrollments: readonly { classIndex: number; kind: number }[];
}

export interface District {
  readonly name: string;
  readonly domain: string;
  readonly areaCode: string;
  readonly orgs: readonly Org[];
  readonly academicSessions: readonly AcademicSession[];
  readonly courses: readonly Course[];
  readonly classes: readonly SchoolClass[];
  /**
   * Slot n - 1 holds user n (`usr-000000n`). A dropped user leaves its slot empty, so a user's
   * number, and with it its sourcedId and every enrollment's reference, never moves.
   */
  users: (User | undefined)[];
  enrollments: EnrollmentTable;
  /** Keyed by sourcedId. */
  dropped: Map<string, DroppedUser>;
  /** Highest number used per email stem (`first.last@domain`), so new addresses stay unique. */
  emailCounters: Map<string, number>;
  counters: { nextStudentNumber: number; nextStaffNumber: number; stateIdOffset: number };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export const formatUserId = (n: number) => `usr-${pad(n, 7)}`;
export const formatClassId = (index: number) => `cls-${pad(index + 1, 6)}`;
export const formatCourseId = (index: number) => `crs-${pad(index + 1, 5)}`;
export const formatSchoolId = (n: number) => `sch-${pad(n, 4)}`;
export const formatEnrollmentId = (n: number) => `enr-${pad(n, 8)}`;

function parseId(sourcedId: string, prefix: string): number {
  const match = new RegExp(`^${prefix}-(\\d+)$`).exec(sourcedId);
  return match === null ? -1 : Number(match[1]);
}

export function userNumberOf(sourcedId: string): number {
  return parseId(sourcedId, 'usr');
}

export function findUser(district: District, sourcedId: string): User | undefined {
  const n = userNumberOf(sourcedId);
  return n > 0 ? district.users[n - 1] : undefined;
}

export function requireUser(district: District, sourcedId: string): User {
  const user = findUser(district, sourcedId);
  if (user === undefined) throw new Error(`no user ${sourcedId} in the district`);
  return user;
}

export function classIndexOf(district: District, sourcedId: string): number {
  const index = parseId(sourcedId, 'cls') - 1;
  if (district.classes[index]?.sourcedId !== sourcedId) throw new Error(`no class ${sourcedId}`);
  return index;
}

export function* liveUsers(district: District): Generator<User> {
  for (const user of district.users) if (user !== undefined) yield user;
}

export function countLiveUsers(district: District): number {
  let count = 0;
  for (const user of district.users) if (user !== undefined) count++;
  return count;
}

export interface EnrollmentView {
  sourcedId: string;
  classSourcedId: string;
  schoolSourcedId: string;
  userSourcedId: string;
  role: EnrollmentRole;
  primary: boolean;
}

/** Enrollments as objects, for tests and small districts; the writer reads the table directly. */
export function* listEnrollments(district: District): Generator<EnrollmentView> {
  const table = district.enrollments;
  for (let row = 0; row < table.length; row++) {
    if (table.isDeleted(row)) continue;
    const schoolClass = district.classes[table.classIndexes[row] as number] as SchoolClass;
    const kind = table.kinds[row] as number;
    yield {
      sourcedId: formatEnrollmentId(table.ids[row] as number),
      classSourcedId: schoolClass.sourcedId,
      schoolSourcedId: schoolClass.schoolSourcedId,
      userSourcedId: formatUserId(table.userNumbers[row] as number),
      role: kindRole(kind),
      primary: kindIsPrimary(kind),
    };
  }
}

/**
 * A copy that mutations may change without touching the original. Records are shared (they are
 * replaced, never edited); the containers and the enrollment table are copied.
 */
export function cloneDistrict(district: District): District {
  return {
    ...district,
    users: district.users.slice(),
    enrollments: district.enrollments.clone(),
    dropped: new Map(district.dropped),
    emailCounters: new Map(district.emailCounters),
    counters: { ...district.counters },
  };
}
