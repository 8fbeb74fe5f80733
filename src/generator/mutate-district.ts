import { LEVEL_GRADES, type Grade } from './catalog.js';
import { kindRole } from './enrollment-table.js';
import {
  cloneDistrict,
  countLiveUsers,
  formatUserId,
  userNumberOf,
  type District,
  type User,
} from './model.js';
import {
  addStudents,
  addUserWithDuplicateEmail,
  changeEmail,
  dropUsers,
  editUser,
  reappearUsers,
  switchSection,
  type UserEdit,
} from './mutations.js';
import { FAMILY_NAMES, GIVEN_NAMES, MIDDLE_NAMES } from './names.js';
import { randomPhone } from './people.js';
import { createRandom, type Random } from './random.js';

/** How much changes in a day, each as a fraction of the district's users. */
export interface MutationRates {
  adds: number;
  edits: number;
  emailChanges: number;
  drops: number;
  /** Capped by how many users have been dropped on earlier days. */
  reappearances: number;
  enrollmentChanges: number;
  /** New students given an address another user already has. */
  duplicateEmails: number;
}

export const DEFAULT_MUTATION_RATES: MutationRates = {
  adds: 0.01,
  edits: 0.02,
  emailChanges: 0.005,
  drops: 0.01,
  reappearances: 0.005,
  enrollmentChanges: 0.02,
  duplicateEmails: 0,
};

export type MutateOptions = Partial<MutationRates> & { seed: number };

export interface MutationSummary {
  studentsAdded: number;
  guardiansAdded: number;
  usersEdited: number;
  emailsChanged: number;
  usersDropped: number;
  usersReappeared: number;
  duplicateEmails: number;
  enrollmentsAdded: number;
  enrollmentsDropped: number;
}

/**
 * One day of SIS changes, applied to a copy: `district` is left as it was. A user is touched by
 * at most one kind of change a day, so the summary counts what an importer will see. Rates
 * left out count as zero; the same district and options always give the same result.
 */
export function mutateDistrict(
  district: District,
  options: MutateOptions,
): { district: District; summary: MutationSummary } {
  const next = cloneDistrict(district);
  const rng = createRandom(options.seed);
  const live = countLiveUsers(next);
  const howMany = (rate: number | undefined) => Math.round((rate ?? 0) * live);
  const touched = new Set<number>();
  // Enrollments added today (reappearances, section switches) are not there to move yet: moving
  // one would be counted as dropped and added while neither export ever shows it.
  const yesterdaysRows = next.enrollments.length;
  const summary: MutationSummary = {
    studentsAdded: 0,
    guardiansAdded: 0,
    usersEdited: 0,
    emailsChanged: 0,
    usersDropped: 0,
    usersReappeared: 0,
    duplicateEmails: 0,
    enrollmentsAdded: 0,
    enrollmentsDropped: 0,
  };

  // Reappear first: a user dropped today must not come back the same day.
  const dropped = [...next.dropped.keys()];
  const back = rng.shuffle(dropped).slice(0, Math.min(howMany(options.reappearances), dropped.length));
  summary.enrollmentsAdded += reappearUsers(next, back);
  summary.usersReappeared = back.length;
  for (const sourcedId of back) touched.add(userNumberOf(sourcedId));

  const leaving = pickUsers(next, rng, howMany(options.drops), touched).map(formatUserId);
  summary.enrollmentsDropped += dropUsers(next, leaving);
  summary.usersDropped = leaving.length;

  for (const number of pickUsers(next, rng, howMany(options.edits), touched)) {
    const user = next.users[number - 1] as User;
    editUser(next, user.sourcedId, randomEdit(next, rng, user));
    summary.usersEdited++;
  }
  for (const number of pickUsers(next, rng, howMany(options.emailChanges), touched)) {
    changeEmail(next, formatUserId(number));
    summary.emailsChanged++;
  }

  const table = next.enrollments;
  for (let k = howMany(options.enrollmentChanges); k > 0; k--) {
    const row = pickStudentEnrollment(next, rng, yesterdaysRows);
    if (row < 0) break;
    summary.enrollmentsDropped++;
    if (switchSection(next, rng, row)) summary.enrollmentsAdded++;
    touched.add(table.userNumbers[row] as number);
  }

  const added = addStudents(next, rng, howMany(options.adds));
  summary.studentsAdded = added.studentSourcedIds.length;
  summary.guardiansAdded = added.guardianSourcedIds.length;
  summary.enrollmentsAdded += added.enrollments;

  for (const number of pickUsers(next, rng, howMany(options.duplicateEmails), touched)) {
    const clash = addUserWithDuplicateEmail(next, rng, formatUserId(number));
    summary.duplicateEmails++;
    summary.guardiansAdded += clash.guardianSourcedIds.length;
    summary.enrollmentsAdded += clash.enrollments;
  }
  return { district: next, summary };
}

/** Up to `count` distinct present users not yet touched today; marks them touched. */
function pickUsers(district: District, rng: Random, count: number, touched: Set<number>): number[] {
  const picked: number[] = [];
  const slots = district.users.length;
  // Sampling with retries beats listing every user when a day touches a few percent of them.
  for (let attempt = 0; picked.length < count && attempt < count * 50 + 100; attempt++) {
    const number = rng.int(slots) + 1;
    if (district.users[number - 1] === undefined || touched.has(number)) continue;
    touched.add(number);
    picked.push(number);
  }
  return picked;
}

/** A live student enrollment among the first `rows` rows, or -1. */
function pickStudentEnrollment(district: District, rng: Random, rows: number): number {
  const table = district.enrollments;
  for (let attempt = 0; attempt < 100 && rows > 0; attempt++) {
    const row = rng.int(rows);
    if (!table.isDeleted(row) && kindRole(table.kinds[row] as number) === 'student') return row;
  }
  return -1;
}

/** A plausible correction or change: a new phone, a changed name, or a student's grade. */
function randomEdit(district: District, rng: Random, user: User): UserEdit {
  const r = rng.next();
  if (r < 0.4) return { phone: randomPhone(district, rng) };
  if (r < 0.6) return { familyName: rng.pick(FAMILY_NAMES.filter((name) => name !== user.familyName)) };
  if (r < 0.75) return { givenName: rng.pick(GIVEN_NAMES.filter((name) => name !== user.givenName)) };
  if (r < 0.85 || user.role !== 'student') {
    return { middleName: user.middleName === null ? rng.pick(MIDDLE_NAMES) : null };
  }
  // Grade corrections move a student one grade, within the grade band of their school.
  const current = user.grades[0] ?? 'KG';
  const band: readonly Grade[] = Object.values(LEVEL_GRADES).find((grades) => grades.includes(current)) ?? [];
  const at = band.indexOf(current);
  return { grades: [band[at + 1] ?? band[at - 1] ?? current] };
}
