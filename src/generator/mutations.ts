import { LEVEL_GRADES, type Grade } from './catalog.js';
import { enrollmentKind, kindRole, type EnrollmentRole } from './enrollment-table.js';
import {
  classIndexOf,
  findUser,
  formatEnrollmentId,
  formatUserId,
  requireUser,
  userNumberOf,
  type District,
  type User,
} from './model.js';
import { GUARDIAN_SHARES, buildGuardian, buildStudent, makeEmail, reserveUserNumber } from './people.js';
import { buildPlacement, placeStudent, type Placement } from './placement.js';
import type { Random } from './random.js';

/*
 * The changes a SIS export shows from one day to the next, one function each. They change the
 * district they are given (mutateDistrict clones first) but never a record in place: a changed
 * user is a new object, so clones share untouched records safely.
 */

/**
 * Section sizes per district, built on first use and kept current by the functions below, so a
 * day's additions are balanced without rescanning millions of enrollments for each student.
 */
const placements = new WeakMap<District, Placement>();

function placementOf(district: District): Placement {
  let placement = placements.get(district);
  if (placement === undefined) {
    placement = buildPlacement(district);
    placements.set(district, placement);
  }
  return placement;
}

function countStudentIn(district: District, classIndex: number, kind: number, delta: 1 | -1): void {
  const placement = placements.get(district);
  if (placement === undefined || kindRole(kind) !== 'student') return;
  placement.sizes[classIndex] = (placement.sizes[classIndex] as number) + delta;
}

function appendEnrollment(district: District, classIndex: number, userNumber: number, kind: number): number {
  countStudentIn(district, classIndex, kind, 1);
  return district.enrollments.append(classIndex, userNumber, kind);
}

function deleteEnrollmentRow(district: District, row: number): void {
  const table = district.enrollments;
  countStudentIn(district, table.classIndexes[row] as number, table.kinds[row] as number, -1);
  table.delete(row);
}

function replaceUser(district: District, user: User): void {
  district.users[userNumberOf(user.sourcedId) - 1] = user;
}

export interface AddedStudents {
  studentSourcedIds: string[];
  guardianSourcedIds: string[];
  enrollments: number;
}

/** Enrols `count` new students at random schools and grades, with classes and, often, guardians. */
export function addStudents(district: District, rng: Random, count: number): AddedStudents {
  const added: AddedStudents = { studentSourcedIds: [], guardianSourcedIds: [], enrollments: 0 };
  for (let i = 0; i < count; i++) addStudent(district, rng, added);
  return added;
}

/**
 * Adds a new student whose email is the same as `existingSourcedId`'s: the clash identity
 * matching must notice rather than merge two people. Returns what was added, the guardians a new
 * student often brings included, so a day's summary counts them.
 */
export function addUserWithDuplicateEmail(
  district: District,
  rng: Random,
  existingSourcedId: string,
): AddedStudents {
  const { email } = requireUser(district, existingSourcedId);
  const added: AddedStudents = { studentSourcedIds: [], guardianSourcedIds: [], enrollments: 0 };
  addStudent(district, rng, added, email);
  return added;
}

function addStudent(district: District, rng: Random, added: AddedStudents, email?: string): string {
  const placement = placementOf(district);
  const school = rng.pick(placement.schools);
  const grade = rng.pick(LEVEL_GRADES[school.level]);
  const orgSourcedIds = [school.sourcedId];
  const r = rng.next();
  const sibling = r < GUARDIAN_SHARES.sibling ? findStudentWithGuardians(district, rng) : undefined;
  const guardianNumbers =
    sibling === undefined && r < GUARDIAN_SHARES.sibling + GUARDIAN_SHARES.newFamily
      ? Array.from({ length: rng.chance(0.65) ? 2 : 1 }, () => reserveUserNumber(district))
      : [];
  const agentSourcedIds = sibling?.agentSourcedIds ?? guardianNumbers.map(formatUserId);
  const number = reserveUserNumber(district);
  const student = buildStudent(district, rng, number, {
    grade,
    orgSourcedIds,
    agentSourcedIds,
    ...(sibling === undefined ? {} : { familyName: sibling.familyName }),
    ...(email === undefined ? {} : { email }),
  });
  district.users[number - 1] = student;
  for (const guardianNumber of guardianNumbers) {
    district.users[guardianNumber - 1] = buildGuardian(district, rng, guardianNumber, {
      familyName: student.familyName,
      orgSourcedIds,
      childSourcedIds: [student.sourcedId],
    });
    added.guardianSourcedIds.push(formatUserId(guardianNumber));
  }
  for (const agentId of sibling?.agentSourcedIds ?? []) linkAgent(district, agentId, student.sourcedId);
  for (const index of placeStudent(placement, rng, school, grade)) {
    // placeStudent counted the student in; append directly so it is not counted twice.
    district.enrollments.append(index, number, enrollmentKind('student', false));
    added.enrollments++;
  }
  added.studentSourcedIds.push(student.sourcedId);
  return student.sourcedId;
}

function findStudentWithGuardians(district: District, rng: Random): User | undefined {
  for (let attempt = 0; attempt < 20 && district.users.length > 0; attempt++) {
    const user = district.users[rng.int(district.users.length)];
    if (user?.role === 'student' && user.agentSourcedIds.length > 0) {
      const family = user.agentSourcedIds.map((id) => findUser(district, id));
      if (
        family.some(
          (guardian) => (guardian?.agentSourcedIds.length ?? Infinity) >= GUARDIAN_SHARES.maxChildren,
        )
      ) {
        continue;
      }
      return user;
    }
  }
  return undefined;
}

/** Adds `otherId` to `userId`'s agents, if both are present and it is not there yet. */
function linkAgent(district: District, userId: string, otherId: string): void {
  const user = findUser(district, userId);
  if (user === undefined || user.agentSourcedIds.includes(otherId)) return;
  replaceUser(district, { ...user, agentSourcedIds: [...user.agentSourcedIds, otherId] });
}

export interface UserEdit {
  givenName?: string;
  familyName?: string;
  middleName?: string | null;
  phone?: string | null;
  grades?: readonly Grade[];
}

/** Changes a user's name, phone or grade; email and username stay as they were. */
export function editUser(district: District, sourcedId: string, changes: UserEdit): User {
  const edited = { ...requireUser(district, sourcedId), ...changes };
  replaceUser(district, edited);
  return edited;
}

/**
 * Gives a user a new email: `email`, or a fresh address from the user's current name at the
 * same domain (what provisioning does after a name change). Returns the new address.
 */
export function changeEmail(district: District, sourcedId: string, email?: string): string {
  const user = requireUser(district, sourcedId);
  const next = email ?? makeEmail(district, user, user.email.slice(user.email.indexOf('@') + 1));
  replaceUser(district, { ...user, email: next });
  return next;
}

/**
 * Removes users and their enrollments, and takes them out of their guardians' or students'
 * agent lists. Each is remembered so it can reappear. Returns the enrollments removed.
 */
export function dropUsers(district: District, sourcedIds: readonly string[]): number {
  const users = new Map<number, User>();
  for (const sourcedId of sourcedIds) users.set(userNumberOf(sourcedId), requireUser(district, sourcedId));
  const kept = new Map<number, { classIndex: number; kind: number }[]>([...users.keys()].map((n) => [n, []]));
  const table = district.enrollments;
  let removed = 0;
  for (let row = 0; row < table.length; row++) {
    if (table.isDeleted(row)) continue;
    const enrollments = kept.get(table.userNumbers[row] as number);
    if (enrollments === undefined) continue;
    enrollments.push({ classIndex: table.classIndexes[row] as number, kind: table.kinds[row] as number });
    deleteEnrollmentRow(district, row);
    removed++;
  }
  for (const [number, user] of users) {
    district.users[number - 1] = undefined;
    district.dropped.set(user.sourcedId, { user, enrollments: kept.get(number) ?? [] });
  }
  for (const user of users.values()) {
    for (const agentId of user.agentSourcedIds) {
      const agent = findUser(district, agentId);
      if (agent === undefined) continue;
      replaceUser(district, {
        ...agent,
        agentSourcedIds: agent.agentSourcedIds.filter((id) => id !== user.sourcedId),
      });
    }
  }
  return removed;
}

export function dropUser(district: District, sourcedId: string): number {
  return dropUsers(district, [sourcedId]);
}

/**
 * Brings dropped users back under their old sourcedIds, with the record they had, their agent
 * links to users still present and their classes again (as new enrollments, as a SIS does for a
 * returning student). Returns the enrollments added.
 */
export function reappearUsers(district: District, sourcedIds: readonly string[]): number {
  const entries = [...new Set(sourcedIds)].map((sourcedId) => {
    const entry = district.dropped.get(sourcedId);
    if (entry === undefined) throw new Error(`${sourcedId} was not dropped`);
    return entry;
  });
  for (const { user } of entries) {
    replaceUser(district, user);
    district.dropped.delete(user.sourcedId);
  }
  let added = 0;
  for (const { user, enrollments } of entries) {
    const agents = user.agentSourcedIds.filter((id) => findUser(district, id) !== undefined);
    replaceUser(district, { ...user, agentSourcedIds: agents });
    for (const agentId of agents) linkAgent(district, agentId, user.sourcedId);
    const number = userNumberOf(user.sourcedId);
    for (const { classIndex, kind } of enrollments) {
      appendEnrollment(district, classIndex, number, kind);
      added++;
    }
  }
  return added;
}

export function reappearUser(district: District, sourcedId: string): number {
  return reappearUsers(district, [sourcedId]);
}

function enrollmentRow(district: District, sourcedId: string): number {
  const match = /^enr-(\d+)$/.exec(sourcedId);
  const row = match === null ? -1 : district.enrollments.rowOf(Number(match[1]));
  if (row < 0) throw new Error(`no enrollment ${sourcedId}`);
  return row;
}

/** Removes enrollments; their users and classes stay. Returns how many were removed. */
export function dropEnrollments(district: District, sourcedIds: readonly string[]): number {
  const rows = sourcedIds.map((sourcedId) => enrollmentRow(district, sourcedId));
  for (const row of rows) deleteEnrollmentRow(district, row);
  return rows.length;
}

export interface NewEnrollment {
  classSourcedId: string;
  userSourcedId: string;
  role: EnrollmentRole;
  /** Teachers only: the class's main teacher. */
  primary?: boolean;
}

/** Enrols a present user in a class it is not in yet. Returns the new enrollment's sourcedId. */
export function addEnrollment(district: District, enrollment: NewEnrollment): string {
  const classIndex = classIndexOf(district, enrollment.classSourcedId);
  const userNumber = userNumberOf(requireUser(district, enrollment.userSourcedId).sourcedId);
  const table = district.enrollments;
  for (let row = 0; row < table.length; row++) {
    if (
      !table.isDeleted(row) &&
      table.classIndexes[row] === classIndex &&
      table.userNumbers[row] === userNumber
    ) {
      throw new Error(`${enrollment.userSourcedId} is already enrolled in ${enrollment.classSourcedId}`);
    }
  }
  const kind = enrollmentKind(enrollment.role, enrollment.primary === true);
  return formatEnrollmentId(appendEnrollment(district, classIndex, userNumber, kind));
}

/**
 * Moves a student from the class of enrollment `row` to another section of the same course
 * meeting in the same period (a schedule change), or, when there is none, just drops the class.
 * Returns whether a new enrollment was added.
 */
export function switchSection(district: District, rng: Random, row: number): boolean {
  const placement = placementOf(district);
  const table = district.enrollments;
  const from = table.classIndexes[row] as number;
  const userNumber = table.userNumbers[row] as number;
  const kind = table.kinds[row] as number;
  const period = placement.classPeriod[from];
  const sections = placement.courseSections[placement.classCourse[from] as number] ?? [];
  const alternatives = sections.filter((index) => index !== from && placement.classPeriod[index] === period);
  deleteEnrollmentRow(district, row);
  if (alternatives.length === 0) return false;
  appendEnrollment(district, rng.pick(alternatives), userNumber, kind);
  return true;
}
