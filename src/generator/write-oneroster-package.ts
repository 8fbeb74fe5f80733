import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { encodeField, encodeList, encodeRow, writeCsvFile } from './csv.js';
import { kindIsPrimary, kindRole } from './enrollment-table.js';
import { formatEnrollmentId, formatUserId, liveUsers, type District } from './model.js';
import { userIds } from './user-ids.js';
import { writeUsers1p2 } from './write-oneroster-1p2.js';

/*
 * Writes a district as a OneRoster bulk CSV package (a folder; zipping is left to the caller), 1.1
 * or 1.2. Columns are in the exact order of the version; status and dateLastModified stay empty,
 * as bulk files require. A 1.2 package carries the same district: its users' roles move to
 * roles.csv, and staff get a userProfiles.csv login (see `write-oneroster-1p2.ts`).
 */

// prettier-ignore
export const ONEROSTER_HEADERS = {
  orgs: ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'],
  academicSessions: [
    'sourcedId', 'status', 'dateLastModified', 'title', 'type', 'startDate', 'endDate', 'parentSourcedId',
    'schoolYear',
  ],
  courses: [
    'sourcedId', 'status', 'dateLastModified', 'schoolYearSourcedId', 'title', 'courseCode', 'grades',
    'orgSourcedId', 'subjects', 'subjectCodes',
  ],
  classes: [
    'sourcedId', 'status', 'dateLastModified', 'title', 'grades', 'courseSourcedId', 'classCode', 'classType',
    'location', 'schoolSourcedId', 'termSourcedIds', 'subjects', 'subjectCodes', 'periods',
  ],
  users: [
    'sourcedId', 'status', 'dateLastModified', 'enabledUser', 'orgSourcedIds', 'role', 'username', 'userIds',
    'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades',
    'password',
  ],
  enrollments: [
    'sourcedId', 'status', 'dateLastModified', 'classSourcedId', 'schoolSourcedId', 'userSourcedId', 'role',
    'primary', 'beginDate', 'endDate',
  ],
} as const satisfies Record<string, readonly string[]>;

export type OneRosterFile = keyof typeof ONEROSTER_HEADERS;

/** The manifest's `source.systemName`, by which a folder is known as ours (and may be rewritten). */
export const GENERATOR_SYSTEM_NAME = 'sis-sync-generator';

/** Every `file.*` row of a 1.1 manifest; those not written are declared absent. */
// prettier-ignore
const MANIFEST_FILES = [
  'academicSessions', 'categories', 'classes', 'classResources', 'courses', 'courseResources', 'demographics',
  'enrollments', 'lineItems', 'orgs', 'resources', 'results', 'users',
] as const;

/** Every `file.*` row of a 1.2 manifest (the 1.2 CSV binding's 21 files). */
// prettier-ignore
const MANIFEST_FILES_1P2 = [
  'academicSessions', 'categories', 'classes', 'classResources', 'courses', 'courseResources', 'demographics',
  'enrollments', 'lineItemLearningObjectiveIds', 'lineItems', 'lineItemScoreScales', 'orgs', 'resources',
  'resultLearningObjectiveIds', 'results', 'resultScoreScales', 'roles', 'scoreScales', 'userProfiles',
  'userResources', 'users',
] as const;

/** The files only a 1.2 package has. */
export const ONEROSTER_1P2_FILES = ['roles', 'userProfiles'] as const;

export interface WriteOptions {
  /** Only folders are written; a zip would need an archiver this package does not carry. */
  zip?: false;
  /** Default 1.1. */
  version?: '1.1' | '1.2';
}

/** Rows written per file; a 1.2 package also counts roles.csv and userProfiles.csv. */
export type PackageCounts = Record<OneRosterFile, number> &
  Partial<Record<(typeof ONEROSTER_1P2_FILES)[number], number>>;

export async function writeOneRosterPackage(
  district: District,
  dir: string,
  options: WriteOptions = {},
): Promise<PackageCounts> {
  const version = options.version ?? '1.1';
  await mkdir(dir, { recursive: true });
  const write = (file: OneRosterFile, lines: Iterable<string>) =>
    writeCsvFile(path.join(dir, `${file}.csv`), ONEROSTER_HEADERS[file], lines);
  const shared = {
    orgs: await write('orgs', orgLines(district)),
    academicSessions: await write('academicSessions', sessionLines(district)),
    courses: await write('courses', courseLines(district)),
    classes: await write('classes', classLines(district)),
  };
  let counts: PackageCounts;
  if (version === '1.2') {
    counts = {
      ...shared,
      ...(await writeUsers1p2(district, dir)),
      enrollments: await write('enrollments', enrollmentLines(district)),
    };
  } else {
    counts = {
      ...shared,
      users: await write('users', userLines(district)),
      enrollments: await write('enrollments', enrollmentLines(district)),
    };
    // A folder rewritten from 1.2 to 1.1 keeps no file the 1.1 manifest does not list.
    for (const file of ONEROSTER_1P2_FILES) await rm(path.join(dir, `${file}.csv`), { force: true });
  }
  // Last, so a reader that waits for the manifest never sees a half-written package.
  await writeFile(path.join(dir, 'manifest.csv'), manifest(version));
  return counts;
}

function manifest(version: '1.1' | '1.2'): string {
  const written = new Set<string>([
    ...Object.keys(ONEROSTER_HEADERS),
    ...(version === '1.2' ? ONEROSTER_1P2_FILES : []),
  ]);
  const rows = [
    ['propertyName', 'value'],
    ['manifest.version', '1.0'],
    ['oneroster.version', version],
    ...(version === '1.2' ? MANIFEST_FILES_1P2 : MANIFEST_FILES).map((file) => [
      `file.${file}`,
      written.has(file) ? 'bulk' : 'absent',
    ]),
    ['source.systemName', GENERATOR_SYSTEM_NAME],
  ];
  return rows.map(encodeRow).join('');
}

function* orgLines(district: District): Generator<string> {
  for (const org of district.orgs) {
    yield encodeRow([org.sourcedId, '', '', org.name, org.type, org.identifier, org.parentSourcedId ?? '']);
  }
}

function* sessionLines(district: District): Generator<string> {
  for (const s of district.academicSessions) {
    yield encodeRow([
      s.sourcedId,
      '',
      '',
      s.title,
      s.type,
      s.startDate,
      s.endDate,
      s.parentSourcedId ?? '',
      String(s.schoolYear),
    ]);
  }
}

function* courseLines(district: District): Generator<string> {
  for (const c of district.courses) {
    yield `${[
      encodeField(c.sourcedId),
      '',
      '',
      encodeField(c.schoolYearSourcedId),
      encodeField(c.title),
      encodeField(c.courseCode),
      encodeList(c.grades),
      encodeField(c.orgSourcedId),
      encodeList(c.subjects),
      encodeList(c.subjectCodes),
    ].join(',')}\n`;
  }
}

function* classLines(district: District): Generator<string> {
  for (const c of district.classes) {
    yield `${[
      encodeField(c.sourcedId),
      '',
      '',
      encodeField(c.title),
      encodeList(c.grades),
      encodeField(c.courseSourcedId),
      encodeField(c.classCode),
      c.classType,
      encodeField(c.location),
      encodeField(c.schoolSourcedId),
      encodeList(c.termSourcedIds),
      encodeList(c.subjects),
      encodeList(c.subjectCodes),
      encodeList(c.periods),
    ].join(',')}\n`;
  }
}

function* userLines(district: District): Generator<string> {
  for (const u of liveUsers(district)) {
    yield `${[
      encodeField(u.sourcedId),
      '',
      '',
      String(u.enabledUser),
      encodeList(u.orgSourcedIds),
      u.role,
      encodeField(u.username),
      encodeList(userIds(u)),
      encodeField(u.givenName),
      encodeField(u.familyName),
      encodeField(u.middleName ?? ''),
      encodeField(u.identifier ?? ''),
      encodeField(u.email),
      encodeField(u.sms ?? ''),
      encodeField(u.phone ?? ''),
      encodeList(u.agentSourcedIds),
      encodeList(u.grades),
      '',
    ].join(',')}\n`;
  }
}

function* enrollmentLines(district: District): Generator<string> {
  const sessions = new Map(district.academicSessions.map((s) => [s.sourcedId, s]));
  // Everything that depends only on the class is encoded once per class, not once per row.
  const classParts = district.classes.map((c) => {
    const terms = c.termSourcedIds.map((id) => sessions.get(id)).filter((s) => s !== undefined);
    const begin = terms.map((s) => s.startDate).sort()[0] ?? '';
    const end =
      terms
        .map((s) => s.endDate)
        .sort()
        .at(-1) ?? '';
    return {
      before: `,,,${encodeField(c.sourcedId)},${encodeField(c.schoolSourcedId)},`,
      after: `,${encodeField(begin)},${encodeField(end)}\n`,
    };
  });
  const table = district.enrollments;
  for (let row = 0; row < table.length; row++) {
    if (table.isDeleted(row)) continue;
    const parts = classParts[table.classIndexes[row] as number];
    if (parts === undefined) throw new Error(`enrollment row ${row} names no class`);
    const kind = table.kinds[row] as number;
    yield `${formatEnrollmentId(table.ids[row] as number)}${parts.before}${formatUserId(table.userNumbers[row] as number)},${kindRole(kind)},${kindIsPrimary(kind)}${parts.after}`;
  }
}
