import type { AcademicSession } from './model.js';

/*
 * What a district teaches: grade bands, the course catalogue of each band and the school
 * calendar. Subject codes are SCED subject areas (01 English, 02 Mathematics, 03 Sciences,
 * 04 Social Sciences, 05 Fine Arts, 06 World Languages, 08 Physical Education and Health,
 * 10 Computer Science), which is what SIS exports put in `subjectCodes`.
 */

export const GRADES = ['KG', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'] as const;
export type Grade = (typeof GRADES)[number];

export const SCHOOL_LEVELS = ['elementary', 'middle', 'high'] as const;
export type SchoolLevel = (typeof SCHOOL_LEVELS)[number];

export const LEVEL_GRADES: Record<SchoolLevel, readonly Grade[]> = {
  elementary: ['KG', '01', '02', '03', '04', '05'],
  middle: ['06', '07', '08'],
  high: ['09', '10', '11', '12'],
};

/** Typical enrolment of one school, which sets how many schools a district of N students has. */
export const LEVEL_SCHOOL_SIZE: Record<SchoolLevel, number> = { elementary: 500, middle: 800, high: 1500 };

export function levelOfGrade(grade: Grade): SchoolLevel {
  if (LEVEL_GRADES.elementary.includes(grade)) return 'elementary';
  return LEVEL_GRADES.middle.includes(grade) ? 'middle' : 'high';
}

export function gradeLabel(grade: Grade): string {
  return grade === 'KG' ? 'Kindergarten' : `Grade ${Number(grade)}`;
}

export interface CatalogCourse {
  title: string;
  courseCode: string;
  subject: string;
  subjectCode: string;
}

/** The four core courses every secondary student takes in a grade, in subject order. */
export const CORE_SUBJECTS = ['English Language Arts', 'Mathematics', 'Science', 'Social Studies'] as const;
const CORE_SUBJECT_CODES = ['01', '02', '03', '04'] as const;

const HIGH_SCHOOL_CORE: Record<string, readonly string[]> = {
  '09': ['English 9', 'Algebra I', 'Biology', 'World History'],
  '10': ['English 10', 'Geometry', 'Chemistry', 'U.S. History'],
  '11': ['English 11', 'Algebra II', 'Physics', 'Government, Politics and Economics'],
  '12': ['English 12', 'Precalculus', 'Environmental Science', 'Economics'],
};

const HIGH_SCHOOL_CORE_CODES: Record<string, readonly string[]> = {
  '09': ['ENG9', 'ALG1', 'BIO', 'WHIST'],
  '10': ['ENG10', 'GEOM', 'CHEM', 'USHIST'],
  '11': ['ENG11', 'ALG2', 'PHYS', 'GOVPE'],
  '12': ['ENG12', 'PRECALC', 'ENVSCI', 'ECON'],
};

export function coreCourses(grade: Grade): CatalogCourse[] {
  const highTitles = HIGH_SCHOOL_CORE[grade];
  const highCodes = HIGH_SCHOOL_CORE_CODES[grade];
  const number = Number(grade);
  const middleTitles = [
    `English ${number}`,
    `Math ${number}`,
    `Science ${number}`,
    `Social Studies ${number}`,
  ];
  const middleCodes = [`ELA${grade}`, `MATH${grade}`, `SCI${grade}`, `SS${grade}`];
  return CORE_SUBJECTS.map((subject, k) => ({
    title: highTitles?.[k] ?? middleTitles[k] ?? subject,
    courseCode: highCodes?.[k] ?? middleCodes[k] ?? subject,
    subject,
    subjectCode: CORE_SUBJECT_CODES[k] ?? '',
  }));
}

export const ELECTIVES: Record<'middle' | 'high', readonly CatalogCourse[]> = {
  middle: [
    { title: 'Physical Education', courseCode: 'PE-MS', subject: 'Physical Education', subjectCode: '08' },
    { title: 'Art', courseCode: 'ART-MS', subject: 'Fine Arts', subjectCode: '05' },
    { title: 'Music', courseCode: 'MUS-MS', subject: 'Fine Arts', subjectCode: '05' },
    { title: 'Spanish', courseCode: 'SPAN-MS', subject: 'World Languages', subjectCode: '06' },
  ],
  high: [
    { title: 'Physical Education', courseCode: 'PE', subject: 'Physical Education', subjectCode: '08' },
    { title: 'Health', courseCode: 'HLTH', subject: 'Health', subjectCode: '08' },
    { title: 'Spanish I', courseCode: 'SPAN1', subject: 'World Languages', subjectCode: '06' },
    { title: 'Spanish II', courseCode: 'SPAN2', subject: 'World Languages', subjectCode: '06' },
    { title: 'Studio Art', courseCode: 'ART1', subject: 'Fine Arts', subjectCode: '05' },
    { title: 'Concert Band', courseCode: 'BAND', subject: 'Fine Arts', subjectCode: '05' },
    {
      title: 'Computer Science Principles',
      courseCode: 'CSP',
      subject: 'Computer Science',
      subjectCode: '10',
    },
  ],
};

/** Secondary days have seven periods; a student takes six classes and has one free. */
export const PERIODS_PER_DAY = 7;
export const CLASSES_PER_SECONDARY_STUDENT = 6;

/**
 * The calendar of the school year ending in `schoolYear`: the year, its two semesters and four
 * grading periods, each the child of the one above (OneRoster's parentSourcedId chain).
 */
export function academicCalendar(schoolYear: number): {
  sessions: AcademicSession[];
  yearSourcedId: string;
  semesterSourcedIds: [string, string];
} {
  const start = schoolYear - 1;
  const year = `as-${schoolYear}`;
  const fall = `${year}-s1`;
  const spring = `${year}-s2`;
  const session = (
    sourcedId: string,
    title: string,
    type: AcademicSession['type'],
    startDate: string,
    endDate: string,
    parentSourcedId: string | null,
  ): AcademicSession => ({ sourcedId, title, type, startDate, endDate, parentSourcedId, schoolYear });
  return {
    sessions: [
      session(year, `${start}-${schoolYear}`, 'schoolYear', `${start}-08-15`, `${schoolYear}-06-10`, null),
      session(fall, `Fall ${start}`, 'semester', `${start}-08-15`, `${start}-12-19`, year),
      session(spring, `Spring ${schoolYear}`, 'semester', `${schoolYear}-01-06`, `${schoolYear}-06-10`, year),
      session(`${year}-q1`, `Quarter 1`, 'gradingPeriod', `${start}-08-15`, `${start}-10-17`, fall),
      session(`${year}-q2`, `Quarter 2`, 'gradingPeriod', `${start}-10-20`, `${start}-12-19`, fall),
      session(
        `${year}-q3`,
        `Quarter 3`,
        'gradingPeriod',
        `${schoolYear}-01-06`,
        `${schoolYear}-03-13`,
        spring,
      ),
      session(
        `${year}-q4`,
        `Quarter 4`,
        'gradingPeriod',
        `${schoolYear}-03-16`,
        `${schoolYear}-06-10`,
        spring,
      ),
    ],
    yearSourcedId: year,
    semesterSourcedIds: [fall, spring],
  };
}
