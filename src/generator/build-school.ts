import {
  CORE_SUBJECTS,
  ELECTIVES,
  LEVEL_GRADES,
  PERIODS_PER_DAY,
  coreCourses,
  gradeLabel,
  type CatalogCourse,
  type Grade,
} from './catalog.js';
import { enrollmentKind } from './enrollment-table.js';
import {
  formatClassId,
  formatCourseId,
  type Course,
  type District,
  type Org,
  type SchoolClass,
} from './model.js';
import { buildStaff, reserveUserNumber } from './people.js';
import type { Random } from './random.js';

/*
 * One school's courses, sections and staff, sized from the students it will hold. Students are
 * placed afterwards (placement.ts), once every school's sections exist.
 */

/** The district under construction, with the arrays the finished District exposes read-only. */
export interface DistrictDraft {
  district: District;
  courses: Course[];
  classes: SchoolClass[];
  yearSourcedId: string;
  semesterSourcedIds: readonly string[];
}

/** A teacher who may also work at a second school, and the periods they already teach. */
export interface ItinerantCandidate {
  userNumber: number;
  busy: number;
  schoolSourcedId: string;
}

const HOMEROOM_SIZE = 22;
const SECTION_SIZE = 28;
const ELECTIVE_SECTION_SIZE = 27;
const SECTIONS_PER_TEACHER = 5;
/** Special-education and English-learner teachers, who co-teach core sections. */
const STUDENTS_PER_CO_TEACHER = 60;
const CO_TAUGHT_SECTIONS = 4;
/** Art, music and PE teachers in elementary schools, who co-teach homerooms. */
const STUDENTS_PER_SPECIALS_TEACHER = 100;
const CO_TAUGHT_HOMEROOMS = 3;

export function buildSchool(
  draft: DistrictDraft,
  rng: Random,
  school: Org,
  gradeCounts: ReadonlyMap<Grade, number>,
): ItinerantCandidate[] {
  const students = [...gradeCounts.values()].reduce((sum, n) => sum + n, 0);
  const orgIds = Object.freeze([school.sourcedId]);
  addStaff(draft, rng, 'administrator', 1 + Math.floor(students / 600), orgIds);
  const itinerant =
    school.level === 'elementary'
      ? buildElementary(draft, rng, school, orgIds, gradeCounts, students)
      : buildSecondary(draft, rng, school, orgIds, gradeCounts, students);
  const studentsPerAide = school.level === 'elementary' ? 125 : 250;
  addStaff(draft, rng, 'aide', Math.round(students / studentsPerAide), orgIds);
  return itinerant;
}

function addStaff(
  draft: DistrictDraft,
  rng: Random,
  role: 'teacher' | 'administrator' | 'aide',
  count: number,
  orgIds: readonly string[],
): number[] {
  const { district } = draft;
  return Array.from({ length: count }, () => {
    const number = reserveUserNumber(district);
    district.users[number - 1] = buildStaff(district, rng, number, role, orgIds);
    return number;
  });
}

function addCourse(
  draft: DistrictDraft,
  school: Org,
  entry: CatalogCourse,
  grades: readonly Grade[],
  offering: Course['offering'],
): number {
  const index = draft.courses.length;
  draft.courses.push({
    sourcedId: formatCourseId(index),
    schoolYearSourcedId: draft.yearSourcedId,
    title: entry.title,
    courseCode: entry.courseCode,
    grades,
    orgSourcedId: school.sourcedId,
    subjects: [entry.subject],
    subjectCodes: entry.subjectCode === '' ? [] : [entry.subjectCode],
    offering,
  });
  return index;
}

function addClass(draft: DistrictDraft, fields: Omit<SchoolClass, 'sourcedId'>, teachers: number[]): number {
  const index = draft.classes.length;
  draft.classes.push({ sourcedId: formatClassId(index), ...fields });
  teachers.forEach((userNumber, k) => {
    draft.district.enrollments.append(index, userNumber, enrollmentKind('teacher', k === 0));
  });
  return index;
}

/** Adds `teacher` as a non-primary teacher to up to `limit` of `classIndexes` it is free for. */
function coTeach(
  draft: DistrictDraft,
  rng: Random,
  teacher: number,
  classIndexes: number[],
  coTaught: Set<number>,
  limit: number,
): number {
  let busy = 0;
  let taken = 0;
  for (const index of rng.shuffle(classIndexes.slice())) {
    if (taken === limit) break;
    const period = Number(draft.classes[index]?.periods[0] ?? 0);
    const bit = period === 0 ? 0 : 1 << period;
    if (coTaught.has(index) || (busy & bit) !== 0) continue;
    draft.district.enrollments.append(index, teacher, enrollmentKind('teacher', false));
    coTaught.add(index);
    busy |= bit;
    taken++;
  }
  return busy;
}

function buildElementary(
  draft: DistrictDraft,
  rng: Random,
  school: Org,
  orgIds: readonly string[],
  gradeCounts: ReadonlyMap<Grade, number>,
  students: number,
): ItinerantCandidate[] {
  const homerooms: number[] = [];
  let room = 100;
  for (const grade of LEVEL_GRADES.elementary) {
    const entry = { title: `${gradeLabel(grade)} Homeroom`, courseCode: `HR-${grade}`, subject: 'Homeroom' };
    const course = addCourse(draft, school, { ...entry, subjectCode: '' }, [grade], 'homeroom');
    const sections = Math.max(1, Math.ceil((gradeCounts.get(grade) ?? 0) / HOMEROOM_SIZE));
    for (let s = 0; s < sections; s++) {
      const [teacher] = addStaff(draft, rng, 'teacher', 1, orgIds) as [number];
      const teacherName = draft.district.users[teacher - 1]?.familyName ?? '';
      homerooms.push(
        addClass(
          draft,
          {
            title: `${gradeLabel(grade)} - ${teacherName}`,
            grades: [grade],
            courseSourcedId: formatCourseId(course),
            classCode: `HR-${grade}-${String(s + 1).padStart(2, '0')}`,
            classType: 'homeroom',
            location: `Room ${room++}`,
            schoolSourcedId: school.sourcedId,
            termSourcedIds: [draft.yearSourcedId],
            subjects: ['Homeroom'],
            subjectCodes: [],
            periods: [],
          },
          [teacher],
        ),
      );
    }
  }
  const coTaught = new Set<number>();
  const specials = addStaff(
    draft,
    rng,
    'teacher',
    Math.max(1, Math.round(students / STUDENTS_PER_SPECIALS_TEACHER)),
    orgIds,
  );
  return specials.map((userNumber) => ({
    userNumber,
    busy: coTeach(draft, rng, userNumber, homerooms, coTaught, CO_TAUGHT_HOMEROOMS),
    schoolSourcedId: school.sourcedId,
  }));
}

interface SectionSpec {
  course: number;
  entry: CatalogCourse;
  grades: readonly Grade[];
  period: number;
  sectionNumber: number;
  /** Sections of one group share a pool of teachers: a core subject, or one elective. */
  group: string;
}

function buildSecondary(
  draft: DistrictDraft,
  rng: Random,
  school: Org,
  orgIds: readonly string[],
  gradeCounts: ReadonlyMap<Grade, number>,
  students: number,
): ItinerantCandidate[] {
  const level = school.level === 'middle' ? 'middle' : 'high';
  const grades = LEVEL_GRADES[level];
  const specs: SectionSpec[] = [];
  for (const grade of grades) {
    const sections = Math.max(1, Math.ceil((gradeCounts.get(grade) ?? 0) / SECTION_SIZE));
    coreCourses(grade).forEach((entry, k) => {
      const course = addCourse(draft, school, entry, [grade], 'core');
      for (let s = 0; s < sections; s++) {
        // Core subjects start in periods 1-4 and step by 4 (coprime to 7), so a course with
        // several sections offers them in different periods and schedules rarely clash.
        const period = ((k + 4 * s) % PERIODS_PER_DAY) + 1;
        specs.push({
          course,
          entry,
          grades: [grade],
          period,
          sectionNumber: s + 1,
          group: CORE_SUBJECTS[k] ?? '',
        });
      }
    });
  }
  const electives = ELECTIVES[level];
  const electiveCourses = electives.map((entry) => addCourse(draft, school, entry, grades, 'elective'));
  const electiveSections = Math.max(2, Math.ceil((2 * students) / ELECTIVE_SECTION_SIZE));
  for (let t = 0; t < electiveSections; t++) {
    const e = t % electives.length;
    const entry = electives[e] as CatalogCourse;
    // Start after the core periods and shift every round so each elective meets in every period.
    const period = ((t + 4 + Math.floor(t / electives.length)) % PERIODS_PER_DAY) + 1;
    const sectionNumber = Math.floor(t / electives.length) + 1;
    specs.push({
      course: electiveCourses[e] as number,
      entry,
      grades,
      period,
      sectionNumber,
      group: entry.courseCode,
    });
  }

  const itinerant: ItinerantCandidate[] = [];
  const coreClasses: number[] = [];
  let room = 100;
  for (const [group, groupSpecs] of groupBy(specs, (spec) => spec.group)) {
    const teachers = addStaff(
      draft,
      rng,
      'teacher',
      Math.ceil(groupSpecs.length / SECTIONS_PER_TEACHER),
      orgIds,
    );
    const rooms = teachers.map(() => `Room ${room++}`);
    const load = teachers.map(() => 0);
    const busy = teachers.map(() => 0);
    for (const spec of groupSpecs.sort((a, b) => a.period - b.period)) {
      const t = leastLoaded(load, busy, 1 << spec.period);
      load[t] = (load[t] as number) + 1;
      busy[t] = (busy[t] as number) | (1 << spec.period);
      const index = addClass(
        draft,
        {
          title: `${spec.entry.title} - Period ${spec.period}`,
          grades: spec.grades,
          courseSourcedId: formatCourseId(spec.course),
          classCode: `${spec.entry.courseCode}-${String(spec.sectionNumber).padStart(2, '0')}`,
          classType: 'scheduled',
          location: rooms[t] as string,
          schoolSourcedId: school.sourcedId,
          termSourcedIds: draft.semesterSourcedIds,
          subjects: [spec.entry.subject],
          subjectCodes: [spec.entry.subjectCode],
          periods: [String(spec.period)],
        },
        [teachers[t] as number],
      );
      if ((CORE_SUBJECTS as readonly string[]).includes(group)) coreClasses.push(index);
    }
    if (!(CORE_SUBJECTS as readonly string[]).includes(group)) {
      teachers.forEach((userNumber, t) =>
        itinerant.push({ userNumber, busy: busy[t] as number, schoolSourcedId: school.sourcedId }),
      );
    }
  }
  const coTaught = new Set<number>();
  for (const coTeacher of addStaff(
    draft,
    rng,
    'teacher',
    Math.round(students / STUDENTS_PER_CO_TEACHER),
    orgIds,
  )) {
    coTeach(draft, rng, coTeacher, coreClasses, coTaught, CO_TAUGHT_SECTIONS);
  }
  return itinerant;
}

/** The teacher with the fewest sections among those free at `bit`; any teacher if none is free. */
function leastLoaded(load: readonly number[], busy: readonly number[], bit: number): number {
  let best = -1;
  for (const free of [true, false]) {
    load.forEach((sections, t) => {
      if (free && ((busy[t] as number) & bit) !== 0) return;
      if (best < 0 || sections < (load[best] as number)) best = t;
    });
    if (best >= 0) return best;
  }
  return 0;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [item]);
    else list.push(item);
  }
  return groups;
}
