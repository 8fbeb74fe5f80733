import { CLASSES_PER_SECONDARY_STUDENT, CORE_SUBJECTS, type Grade, type SchoolLevel } from './catalog.js';
import { kindRole } from './enrollment-table.js';
import type { District } from './model.js';
import type { Random } from './random.js';

/*
 * Puts students into sections the way a scheduler would: a homeroom for an elementary student;
 * for a secondary student the four core courses of their grade and two electives, each in a
 * different period, always choosing the emptiest fitting section so sections stay balanced.
 * The same code places the base roster and the students a day's mutations add.
 */

export interface SchoolSchedule {
  readonly sourcedId: string;
  readonly level: SchoolLevel;
  readonly homerooms: Map<Grade, number[]>;
  /** Per grade, the sections of each core course. */
  readonly core: Map<Grade, number[][]>;
  readonly electives: number[];
}

export interface Placement {
  readonly schools: SchoolSchedule[];
  readonly bySchool: Map<string, SchoolSchedule>;
  /** Per class: its period (1..7), 0 for homerooms. */
  readonly classPeriod: Uint8Array;
  readonly classCourse: Int32Array;
  /** Per class: students currently enrolled. */
  readonly sizes: Int32Array;
  /** Per course: its sections. */
  readonly courseSections: number[][];
}

export function buildPlacement(district: District): Placement {
  const courseIndex = new Map(district.courses.map((course, index) => [course.sourcedId, index]));
  const schools: SchoolSchedule[] = [];
  const bySchool = new Map<string, SchoolSchedule>();
  for (const org of district.orgs) {
    if (org.level === null) continue;
    const schedule: SchoolSchedule = {
      sourcedId: org.sourcedId,
      level: org.level,
      homerooms: new Map(),
      core: new Map(),
      electives: [],
    };
    schools.push(schedule);
    bySchool.set(org.sourcedId, schedule);
  }
  const classCount = district.classes.length;
  const classPeriod = new Uint8Array(classCount);
  const classCourse = new Int32Array(classCount);
  const courseSections: number[][] = district.courses.map(() => []);
  district.classes.forEach((schoolClass, index) => {
    const courseAt = courseIndex.get(schoolClass.courseSourcedId);
    const school = bySchool.get(schoolClass.schoolSourcedId);
    const course = courseAt === undefined ? undefined : district.courses[courseAt];
    if (courseAt === undefined || course === undefined || school === undefined) {
      throw new Error(`class ${schoolClass.sourcedId} has no course or school`);
    }
    classPeriod[index] = Number(schoolClass.periods[0] ?? 0);
    classCourse[index] = courseAt;
    courseSections[courseAt]?.push(index);
    const grade = course.grades[0] as Grade;
    switch (course.offering) {
      case 'homeroom':
        listIn(school.homerooms, grade).push(index);
        break;
      case 'core': {
        const perCourse = listIn(school.core, grade, (): number[][] => CORE_SUBJECTS.map(() => []));
        perCourse[CORE_SUBJECTS.indexOf(course.subjects[0] as (typeof CORE_SUBJECTS)[number])]?.push(index);
        break;
      }
      case 'elective':
        school.electives.push(index);
        break;
    }
  });
  const sizes = new Int32Array(classCount);
  const table = district.enrollments;
  for (let row = 0; row < table.length; row++) {
    if (table.isDeleted(row) || kindRole(table.kinds[row] as number) !== 'student') continue;
    const classIndex = table.classIndexes[row] as number;
    sizes[classIndex] = (sizes[classIndex] as number) + 1;
  }
  return { schools, bySchool, classPeriod, classCourse, sizes, courseSections };
}

function listIn<K, V>(map: Map<K, V>, key: K, create: () => V = () => [] as V): V {
  let list = map.get(key);
  if (list === undefined) {
    list = create();
    map.set(key, list);
  }
  return list;
}

/** Periods taken by these classes, as a bit mask (bit p for period p). */
export function busyPeriods(placement: Placement, classIndexes: readonly number[]): number {
  let mask = 0;
  for (const index of classIndexes) mask |= periodBit(placement, index);
  return mask;
}

function periodBit(placement: Placement, classIndex: number): number {
  const period = placement.classPeriod[classIndex] as number;
  return period === 0 ? 0 : 1 << period;
}

/**
 * The emptiest section whose period is free and whose course is not `excludeCourse`, or -1.
 * Scanning from a random start breaks ties differently for each student.
 */
export function pickFreeSection(
  placement: Placement,
  rng: Random,
  candidates: readonly number[],
  busy: number,
  excludeCourse = -1,
): number {
  const count = candidates.length;
  if (count === 0) return -1;
  const start = rng.int(count);
  let best = -1;
  for (let k = 0; k < count; k++) {
    const index = candidates[(start + k) % count] as number;
    if ((busy & periodBit(placement, index)) !== 0) continue;
    if (placement.classCourse[index] === excludeCourse) continue;
    if (best < 0 || (placement.sizes[index] as number) < (placement.sizes[best] as number)) best = index;
  }
  return best;
}

/** Chooses a student's classes at their school and counts them in. */
export function placeStudent(
  placement: Placement,
  rng: Random,
  school: SchoolSchedule,
  grade: Grade,
): number[] {
  const chosen: number[] = [];
  const take = (index: number) => {
    chosen.push(index);
    placement.sizes[index] = (placement.sizes[index] as number) + 1;
  };
  if (school.level === 'elementary') {
    const homeroom = pickFreeSection(placement, rng, school.homerooms.get(grade) ?? [], 0);
    if (homeroom >= 0) take(homeroom);
    return chosen;
  }
  const core = school.core.get(grade) ?? [];
  let busy = 0;
  // Starting at a random subject spreads the early, unconstrained choices over every course.
  const first = rng.int(Math.max(1, core.length));
  for (let k = 0; k < core.length; k++) {
    const sections = core[(first + k) % core.length] ?? [];
    let index = pickFreeSection(placement, rng, sections, busy);
    // Only when every section of a course clashes does the student get a clash.
    if (index < 0) index = pickFreeSection(placement, rng, sections, 0);
    if (index < 0) continue;
    take(index);
    busy |= periodBit(placement, index);
  }
  let previousCourse = -1;
  while (chosen.length < CLASSES_PER_SECONDARY_STUDENT) {
    const index = pickFreeSection(placement, rng, school.electives, busy, previousCourse);
    if (index < 0) break;
    take(index);
    busy |= periodBit(placement, index);
    previousCourse = placement.classCourse[index] as number;
  }
  return chosen;
}
