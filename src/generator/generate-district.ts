import { buildSchool, type DistrictDraft, type ItinerantCandidate } from './build-school.js';
import {
  GRADES,
  LEVEL_GRADES,
  LEVEL_SCHOOL_SIZE,
  SCHOOL_LEVELS,
  academicCalendar,
  type Grade,
  type SchoolLevel,
} from './catalog.js';
import { EnrollmentTable, enrollmentKind } from './enrollment-table.js';
import {
  formatSchoolId,
  type Course,
  type District,
  type Org,
  type SchoolClass,
  type User,
} from './model.js';
import { SCHOOL_NAME_PREFIXES, SCHOOL_NAME_SUFFIXES, TOWN_NAMES, slugifyName } from './names.js';
import {
  GUARDIAN_SHARES,
  buildFamilyGuardians,
  buildStaff,
  buildStudent,
  newFamily,
  randomName,
  reserveUserNumber,
  type Family,
} from './people.js';
import { buildPlacement, busyPeriods, pickFreeSection, placeStudent, type Placement } from './placement.js';
import { createRandom, type Random } from './random.js';

export interface GenerateOptions {
  students: number;
  seed: number;
  /** The calendar year in which the school year ends (OneRoster `schoolYear`). Default 2026. */
  schoolYear?: number;
}

const AREA_CODES = ['217', '303', '312', '415', '512', '614', '704', '919'] as const;
/** Secondary students who also take a class at another school (dual enrolment). */
const DUAL_ENROLLED_SHARE = 0.005;
/** Elective and specials teachers who also work at a second school of the same level. */
const ITINERANT_SHARE = 0.2;
/** Rough enrolments per user, to size the enrollment table once. */
const ENROLLMENTS_PER_STUDENT = 7;

/**
 * A synthetic district of `students` students: a district org and its elementary, middle and
 * high schools, the school year's calendar, course catalogues, sections, staff, guardians and
 * enrollments. The same options always give the same district.
 */
export function generateDistrict(options: GenerateOptions): District {
  const { students, seed } = options;
  if (!Number.isSafeInteger(students) || students < 1) {
    throw new RangeError('students must be a positive integer');
  }
  const rng = createRandom(seed);
  const town = rng.pick(TOWN_NAMES);
  const stateCode = String(10 + rng.int(50));
  const districtIdentifier = `${stateCode}${String(rng.int(100_000)).padStart(5, '0')}`;
  const districtOrg: Org = {
    sourcedId: 'dst-0001',
    name: `${town} Unified School District`,
    type: 'district',
    identifier: districtIdentifier,
    parentSourcedId: null,
    level: null,
  };
  const calendar = academicCalendar(options.schoolYear ?? 2026);
  const orgs: Org[] = [districtOrg];
  const courses: Course[] = [];
  const classes: SchoolClass[] = [];
  const district: District = {
    name: districtOrg.name,
    domain: `${slugifyName(town)}-usd.example.org`,
    areaCode: rng.pick(AREA_CODES),
    orgs,
    academicSessions: calendar.sessions,
    courses,
    classes,
    users: [],
    enrollments: new EnrollmentTable(students * ENROLLMENTS_PER_STUDENT),
    dropped: new Map(),
    emailCounters: new Map(),
    counters: { nextStudentNumber: 1001, nextStaffNumber: 1, stateIdOffset: rng.int(1e9) },
  };
  const draft: DistrictDraft = {
    district,
    courses,
    classes,
    yearSourcedId: calendar.yearSourcedId,
    semesterSourcedIds: calendar.semesterSourcedIds,
  };

  const schools = planSchools(rng, students);
  const schoolNames = rng.shuffle(
    SCHOOL_NAME_PREFIXES.flatMap((p) => SCHOOL_NAME_SUFFIXES.map((s) => `${p} ${s}`)),
  );
  schools.forEach((plan, i) => {
    const round = Math.floor(i / schoolNames.length);
    const base = `${schoolNames[i % schoolNames.length] ?? ''}${round > 0 ? ` ${round + 1}` : ''}`;
    plan.org = {
      sourcedId: formatSchoolId(i + 1),
      name: `${base} ${{ elementary: 'Elementary', middle: 'Middle', high: 'High' }[plan.level]} School`,
      type: 'school',
      identifier: `${districtIdentifier}${String(i + 1).padStart(5, '0')}`,
      parentSourcedId: districtOrg.sourcedId,
      level: plan.level,
    };
    orgs.push(plan.org);
  });

  const districtOrgIds = Object.freeze([districtOrg.sourcedId]);
  for (let k = 3 + Math.floor(students / 25_000); k > 0; k--) {
    const number = reserveUserNumber(district);
    district.users[number - 1] = buildStaff(district, rng, number, 'administrator', districtOrgIds);
  }
  const itinerant = schools.flatMap((plan) => buildSchool(draft, rng, plan.org as Org, plan.gradeCounts));
  const placement = buildPlacement(district);
  const dualEnrolled: DualEnrolled[] = [];
  const families: Family[] = [];
  for (const plan of schools) enrolStudents(district, rng, placement, plan, families, dualEnrolled);
  addSecondSchools(district, rng, placement, dualEnrolled, itinerant);
  buildFamilyGuardians(district, rng, families);
  return district;
}

interface SchoolPlan {
  level: SchoolLevel;
  gradeCounts: Map<Grade, number>;
  org?: Org;
}

/** How many schools of each level, and how many students of each grade each one holds. */
function planSchools(rng: Random, students: number): SchoolPlan[] {
  const perGrade = GRADES.map(
    (_, g) => Math.floor(students / GRADES.length) + (g < students % GRADES.length ? 1 : 0),
  );
  const plans: SchoolPlan[] = [];
  for (const level of SCHOOL_LEVELS) {
    const grades = LEVEL_GRADES[level];
    const levelStudents = grades.reduce((sum, grade) => sum + (perGrade[GRADES.indexOf(grade)] ?? 0), 0);
    if (levelStudents === 0) continue;
    const count = Math.max(1, Math.round(levelStudents / LEVEL_SCHOOL_SIZE[level]));
    // Schools differ in size by up to a third either way.
    const weights = Array.from({ length: count }, () => 0.67 + rng.next() * 0.66);
    const levelPlans = weights.map((): SchoolPlan => ({ level, gradeCounts: new Map() }));
    for (const grade of grades) {
      const shares = splitByWeight(perGrade[GRADES.indexOf(grade)] ?? 0, weights);
      levelPlans.forEach((plan, i) => plan.gradeCounts.set(grade, shares[i] ?? 0));
    }
    plans.push(...levelPlans);
  }
  return plans;
}

/** Splits `total` in proportion to `weights` (largest remainder), so the parts sum to `total`. */
function splitByWeight(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    parts[i] = (parts[i] as number) + 1;
  }
  return parts;
}

interface DualEnrolled {
  userNumber: number;
  busy: number;
  schoolSourcedId: string;
}

function enrolStudents(
  district: District,
  rng: Random,
  placement: Placement,
  plan: SchoolPlan,
  families: Family[],
  dualEnrolled: DualEnrolled[],
): void {
  const org = plan.org as Org;
  const schedule = placement.bySchool.get(org.sourcedId);
  if (schedule === undefined) throw new Error(`no schedule for ${org.sourcedId}`);
  const orgIds = Object.freeze([org.sourcedId]);
  for (const [grade, count] of plan.gradeCounts) {
    for (let i = 0; i < count; i++) {
      const family = chooseFamily(district, rng, families, orgIds);
      const number = reserveUserNumber(district);
      const student: User = buildStudent(district, rng, number, {
        grade,
        orgSourcedIds: orgIds,
        ...(family === null
          ? {}
          : { familyName: family.familyName, agentSourcedIds: family.guardianSourcedIds }),
      });
      district.users[number - 1] = student;
      family?.childSourcedIds.push(student.sourcedId);
      const classes = placeStudent(placement, rng, schedule, grade);
      for (const index of classes) {
        district.enrollments.append(index, number, enrollmentKind('student', false));
      }
      if (schedule.level !== 'elementary' && rng.chance(DUAL_ENROLLED_SHARE)) {
        dualEnrolled.push({
          userNumber: number,
          busy: busyPeriods(placement, classes),
          schoolSourcedId: org.sourcedId,
        });
      }
    }
  }
}

/** A new family, an existing one (a sibling), or none. */
function chooseFamily(
  district: District,
  rng: Random,
  families: Family[],
  orgIds: readonly string[],
): Family | null {
  const r = rng.next();
  if (r < GUARDIAN_SHARES.sibling) {
    const family = families.length > 0 ? families[rng.int(families.length)] : undefined;
    if (family !== undefined && family.childSourcedIds.length < GUARDIAN_SHARES.maxChildren) return family;
    return null;
  }
  if (r < GUARDIAN_SHARES.sibling + GUARDIAN_SHARES.newFamily) {
    const family = newFamily(district, rng, randomName(rng).familyName, orgIds);
    families.push(family);
    return family;
  }
  return null;
}

/**
 * Dual-enrolled students take one elective at another secondary school; itinerant teachers
 * co-teach one class at another school of their level. Both then list two orgs.
 */
function addSecondSchools(
  district: District,
  rng: Random,
  placement: Placement,
  dualEnrolled: readonly DualEnrolled[],
  itinerant: readonly ItinerantCandidate[],
): void {
  const secondary = placement.schools.filter((school) => school.level !== 'elementary');
  for (const person of dualEnrolled) {
    const others = secondary.filter((school) => school.sourcedId !== person.schoolSourcedId);
    if (others.length === 0) break;
    const other = rng.pick(others);
    const index = pickFreeSection(placement, rng, other.electives, person.busy);
    if (index < 0) continue;
    placement.sizes[index] = (placement.sizes[index] as number) + 1;
    district.enrollments.append(index, person.userNumber, enrollmentKind('student', false));
    addOrg(district, person.userNumber, other.sourcedId);
  }
  for (const person of itinerant) {
    if (!rng.chance(ITINERANT_SHARE)) continue;
    const home = placement.bySchool.get(person.schoolSourcedId);
    const others = placement.schools.filter(
      (school) => school.level === home?.level && school.sourcedId !== person.schoolSourcedId,
    );
    if (others.length === 0) continue;
    const other = rng.pick(others);
    const candidates = other.level === 'elementary' ? [...other.homerooms.values()].flat() : other.electives;
    const index = pickFreeSection(placement, rng, candidates, person.busy);
    if (index < 0) continue;
    district.enrollments.append(index, person.userNumber, enrollmentKind('teacher', false));
    addOrg(district, person.userNumber, other.sourcedId);
  }
}

function addOrg(district: District, userNumber: number, orgSourcedId: string): void {
  const user = district.users[userNumber - 1];
  if (user === undefined) return;
  district.users[userNumber - 1] = { ...user, orgSourcedIds: [...user.orgSourcedIds, orgSourcedId] };
}
