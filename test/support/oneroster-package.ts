import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { inject } from 'vitest';

import { ONEROSTER_ENTITIES } from '../../src/connectors/oneroster/entities.js';

type Row = Record<string, string>;

export interface PackageSpec {
  orgs?: Row[];
  academicSessions?: Row[];
  courses?: Row[];
  classes?: Row[];
  users?: Row[];
  enrollments?: Row[];
}

const COLUMNS: Record<keyof PackageSpec, readonly string[]> = {
  orgs: ONEROSTER_ENTITIES.schools.columns,
  academicSessions: ONEROSTER_ENTITIES.terms.columns,
  courses: ONEROSTER_ENTITIES.courses.columns,
  classes: ONEROSTER_ENTITIES.classes.columns,
  users: ONEROSTER_ENTITIES.users.columns,
  enrollments: ONEROSTER_ENTITIES.enrollments.columns,
};

export const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function csvOf(columns: readonly string[], rows: Row[], eol = '\n'): string {
  return (
    [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c] ?? '')).join(','))].join(eol) + eol
  );
}

/** A OneRoster 1.1 package folder: given files written in spec column order; the manifest says bulk for them. */
export function writePackage(
  spec: PackageSpec,
  options: { modes?: Record<string, string>; dir?: string } = {},
): string {
  const dir = options.dir ?? mkdtempSync(path.join(inject('workDir'), 'pkg-'));
  mkdirSync(dir, { recursive: true });
  const manifest = [
    'propertyName,value',
    'manifest.version,1.0',
    'oneroster.version,1.1',
    ...[
      'academicSessions',
      'categories',
      'classes',
      'classResources',
      'courses',
      'courseResources',
      'demographics',
      'enrollments',
      'lineItems',
      'orgs',
      'resources',
      'results',
      'users',
    ].map(
      (f) =>
        `file.${f},${options.modes?.[f] ?? (spec[f as keyof PackageSpec] === undefined ? 'absent' : 'bulk')}`,
    ),
    'source.systemName,test',
  ];
  writeFileSync(path.join(dir, 'manifest.csv'), `${manifest.join('\n')}\n`);
  for (const [file, rows] of Object.entries(spec) as [keyof PackageSpec, Row[] | undefined][]) {
    if (rows !== undefined) writeFileSync(path.join(dir, `${file}.csv`), csvOf(COLUMNS[file], rows));
  }
  return dir;
}

/** A small consistent district: 1 district, 2 schools, a year and a term, 2 courses, 2 classes, 5 users, 6 enrollments. */
export function smallDistrict(): Required<PackageSpec> {
  return {
    orgs: [
      { sourcedId: 'dist', name: 'Lincoln District', type: 'district' },
      {
        sourcedId: 'sch-1',
        name: 'Lincoln High',
        type: 'school',
        identifier: '00042',
        parentSourcedId: 'dist',
      },
      { sourcedId: 'sch-2', name: 'Lincoln Middle', type: 'school', parentSourcedId: 'dist' },
    ],
    academicSessions: [
      {
        sourcedId: 'y2026',
        title: '2025-2026',
        type: 'schoolYear',
        startDate: '2025-08-15',
        endDate: '2026-06-10',
        schoolYear: '2026',
      },
      {
        sourcedId: 't1',
        title: 'Fall',
        type: 'semester',
        startDate: '2025-08-15',
        endDate: '2025-12-20',
        parentSourcedId: 'y2026',
        schoolYear: '2026',
      },
    ],
    courses: [
      {
        sourcedId: 'c-alg',
        title: 'Algebra I',
        courseCode: 'MATH1',
        grades: '09,10',
        orgSourcedId: 'sch-1',
        schoolYearSourcedId: 'y2026',
      },
      { sourcedId: 'c-eng', title: 'English 7', courseCode: 'ENG7', grades: '07', orgSourcedId: 'sch-2' },
    ],
    classes: [
      {
        sourcedId: 'k-alg-1',
        title: 'Algebra I - P1',
        courseSourcedId: 'c-alg',
        classType: 'scheduled',
        schoolSourcedId: 'sch-1',
        termSourcedIds: 't1',
        periods: '1',
      },
      {
        sourcedId: 'k-eng-1',
        title: 'English 7 - P3',
        courseSourcedId: 'c-eng',
        classType: 'scheduled',
        schoolSourcedId: 'sch-2',
        termSourcedIds: 't1,y2026',
        periods: '3',
      },
    ],
    users: [
      {
        sourcedId: 'u-t1',
        enabledUser: 'true',
        orgSourcedIds: 'sch-1,sch-2',
        role: 'teacher',
        username: 'ada',
        givenName: 'Ada',
        familyName: 'Lovelace',
        email: 'ada@lincoln.example',
        identifier: 'T001',
      },
      {
        sourcedId: 'u-s1',
        enabledUser: 'true',
        orgSourcedIds: 'sch-1',
        role: 'student',
        username: 'alan',
        givenName: 'Alan',
        familyName: 'Turing',
        email: 'alan@lincoln.example',
        identifier: '000123',
        grades: '09',
        agentSourcedIds: 'u-g1',
      },
      {
        sourcedId: 'u-s2',
        enabledUser: 'TRUE',
        orgSourcedIds: 'sch-2',
        role: 'student',
        username: 'grace',
        givenName: 'Grace',
        familyName: 'Hopper',
        email: 'grace@lincoln.example',
        identifier: '000124',
        grades: '07',
      },
      {
        sourcedId: 'u-s3',
        enabledUser: 'true',
        orgSourcedIds: 'sch-1',
        role: 'student',
        username: 'edsger',
        givenName: 'Edsger',
        familyName: 'Dijkstra',
        identifier: '000125',
        grades: '10',
      },
      {
        sourcedId: 'u-g1',
        enabledUser: 'true',
        orgSourcedIds: 'dist',
        role: 'guardian',
        username: 'sara',
        givenName: 'Sara',
        familyName: 'Turing',
        email: 'sara@home.example',
      },
    ],
    enrollments: [
      {
        sourcedId: 'e1',
        classSourcedId: 'k-alg-1',
        schoolSourcedId: 'sch-1',
        userSourcedId: 'u-t1',
        role: 'teacher',
        primary: 'true',
      },
      {
        sourcedId: 'e2',
        classSourcedId: 'k-alg-1',
        schoolSourcedId: 'sch-1',
        userSourcedId: 'u-s1',
        role: 'student',
      },
      {
        sourcedId: 'e3',
        classSourcedId: 'k-alg-1',
        schoolSourcedId: 'sch-1',
        userSourcedId: 'u-s3',
        role: 'student',
      },
      {
        sourcedId: 'e4',
        classSourcedId: 'k-eng-1',
        schoolSourcedId: 'sch-2',
        userSourcedId: 'u-t1',
        role: 'teacher',
        primary: 'true',
      },
      {
        sourcedId: 'e5',
        classSourcedId: 'k-eng-1',
        schoolSourcedId: 'sch-2',
        userSourcedId: 'u-s2',
        role: 'student',
        beginDate: '2025-08-15',
      },
      {
        sourcedId: 'e6',
        classSourcedId: 'k-eng-1',
        schoolSourcedId: 'sch-2',
        userSourcedId: 'u-s1',
        role: 'student',
      },
    ],
  };
}

/** The small district plus `n` more students. */
export function districtWithStudents(n: number): Required<PackageSpec> {
  const d = smallDistrict();
  for (let i = 0; i < n; i++) {
    d.users.push({
      sourcedId: `u-x${i}`,
      enabledUser: 'true',
      orgSourcedIds: 'sch-1',
      role: 'student',
      username: `x${i}`,
      givenName: `Extra${i}`,
      familyName: 'Student',
      email: `x${i}@lincoln.example`,
      identifier: `9${String(i).padStart(5, '0')}`,
    });
  }
  return d;
}

/** The package with its users' sourced ids zero-padded (`000101`, ...), references following. */
export function zeroPaddedUserIds(spec: Required<PackageSpec>): Required<PackageSpec> {
  const ids = new Map(spec.users.map((u, i) => [u.sourcedId!, `000${101 + i}`]));
  const mapIds = (value: string | undefined) =>
    (value ?? '')
      .split(',')
      .filter((id) => id !== '')
      .map((id) => ids.get(id) ?? id)
      .join(',');
  return {
    ...spec,
    users: spec.users.map((u) => ({
      ...u,
      sourcedId: ids.get(u.sourcedId!)!,
      agentSourcedIds: mapIds(u.agentSourcedIds),
    })),
    enrollments: spec.enrollments.map((e) => ({ ...e, userSourcedId: ids.get(e.userSourcedId!)! })),
  };
}
