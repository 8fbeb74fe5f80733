import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { createOneRosterCsvConnector } from '../../src/connectors/oneroster-csv/csv-connector.js';
import { ENTITY_TYPES, type EntityType } from '../../src/domain/entity.js';
import type { EntityRecordMap, ExtractedRecord, RecordError } from '../../src/domain/records.js';
import { districtOnDay } from '../../src/generator/district-on-day.js';
import { generateDistrict } from '../../src/generator/generate-district.js';
import { listEnrollments, liveUsers } from '../../src/generator/model.js';
import { mutateDistrict, type MutationSummary } from '../../src/generator/mutate-district.js';
import { writeOneRosterPackage, type PackageCounts } from '../../src/generator/write-oneroster-package.js';
import { createLogger } from '../../src/lib/logger.js';

/*
 * The district generator feeds the CLI, the benchmarks and the sync tests, so its promises are
 * checked here: the same seed gives the same bytes, the district looks like a district, the
 * package it writes reads back through the real CSV connector with every reference resolving, and
 * a day's summary says what actually changed between two exports.
 */

const logger = createLogger({ level: 'silent' });
const tempDir = (prefix: string) => mkdtempSync(path.join(inject('workDir'), prefix));

type Extracted = { [E in EntityType]: ExtractedRecord<E>[] };

/** Reads a package back with the connector sis-sync uses in production. */
async function readPackage(dir: string): Promise<{ records: Extracted; problems: string[] }> {
  const session = await createOneRosterCsvConnector({ localPath: dir }).open({
    signal: new AbortController().signal,
    logger,
  });
  const problems: string[] = session.warnings.map((w) => `warning: ${w.message}`);
  const records = {} as Record<EntityType, ExtractedRecord[]>;
  try {
    for (const entity of ENTITY_TYPES) {
      expect(session.modes[entity]).toBe('snapshot');
      const list: ExtractedRecord[] = [];
      for await (const batch of session.extract(entity, (p) => problems.push(`incomplete: ${p.message}`))) {
        list.push(...batch.records);
        problems.push(...batch.errors.map((e: RecordError) => `${e.code}: ${e.message}`));
      }
      records[entity] = list;
    }
  } finally {
    await session.close();
  }
  return { records: records as Extracted, problems };
}

const byId = <T extends { externalId: string }>(list: readonly T[]) =>
  new Map(list.map((record) => [record.externalId, record]));

/** Every reference the package makes, as "what -> missing id" for those that do not resolve. */
function unresolvedReferences(records: Extracted): string[] {
  const schools = byId(records.schools);
  const terms = byId(records.terms);
  const courses = byId(records.courses);
  const classes = byId(records.classes);
  const users = byId(records.users);
  const missing: string[] = [];
  const check = (what: string, id: string | null, among: Map<string, unknown>) => {
    if (id !== null && !among.has(id)) missing.push(`${what} -> ${id}`);
  };
  for (const s of records.schools) check(`org ${s.externalId} parent`, s.data.parentExternalId, schools);
  for (const t of records.terms) check(`session ${t.externalId} parent`, t.data.parentExternalId, terms);
  for (const c of records.courses) {
    check(`course ${c.externalId} org`, c.data.schoolExternalId, schools);
    check(`course ${c.externalId} school year`, c.data.schoolYearExternalId, terms);
  }
  for (const c of records.classes) {
    check(`class ${c.externalId} course`, c.data.courseExternalId, courses);
    check(`class ${c.externalId} school`, c.data.schoolExternalId, schools);
    for (const term of c.data.termExternalIds) check(`class ${c.externalId} term`, term, terms);
  }
  for (const u of records.users) {
    for (const org of u.data.schoolExternalIds) check(`user ${u.externalId} org`, org, schools);
    for (const agent of u.data.agentExternalIds) check(`user ${u.externalId} agent`, agent, users);
  }
  for (const e of records.enrollments) {
    check(`enrollment ${e.externalId} class`, e.data.classExternalId, classes);
    check(`enrollment ${e.externalId} user`, e.data.userExternalId, users);
    check(`enrollment ${e.externalId} school`, e.data.schoolExternalId, schools);
    const schoolOfClass = classes.get(e.data.classExternalId)?.data.schoolExternalId;
    if (schoolOfClass !== e.data.schoolExternalId) {
      missing.push(`enrollment ${e.externalId} school ${e.data.schoolExternalId} is not its class's`);
    }
  }
  return missing;
}

function countsOf(records: Extracted): PackageCounts {
  return {
    orgs: records.schools.length,
    academicSessions: records.terms.length,
    courses: records.courses.length,
    classes: records.classes.length,
    users: records.users.length,
    enrollments: records.enrollments.length,
  };
}

function filesOf(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir).map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]),
  );
}

describe('generateDistrict', () => {
  it('gives byte-identical packages for the same seed and a different district for another', async () => {
    const first = tempDir('gen-a-');
    const second = tempDir('gen-b-');
    const other = tempDir('gen-c-');
    await writeOneRosterPackage(generateDistrict({ students: 400, seed: 7 }), first);
    await writeOneRosterPackage(generateDistrict({ students: 400, seed: 7 }), second);
    await writeOneRosterPackage(generateDistrict({ students: 400, seed: 8 }), other);
    const files = filesOf(first);
    expect(Object.keys(files).sort()).toEqual([
      'academicSessions.csv',
      'classes.csv',
      'courses.csv',
      'enrollments.csv',
      'manifest.csv',
      'orgs.csv',
      'users.csv',
    ]);
    expect(filesOf(second)).toEqual(files);
    expect(filesOf(other)['users.csv']).not.toEqual(files['users.csv']);
  });

  it('refuses a district without students', () => {
    expect(() => generateDistrict({ students: 0, seed: 1 })).toThrow(RangeError);
    expect(() => generateDistrict({ students: 2.5, seed: 1 })).toThrow(RangeError);
  });

  describe('a 3,000-student district', () => {
    const district = generateDistrict({ students: 3000, seed: 42 });
    const users = [...liveUsers(district)];
    const userById = new Map(users.map((u) => [u.sourcedId, u]));
    const classById = new Map(district.classes.map((c) => [c.sourcedId, c]));
    const enrollments = [...listEnrollments(district)];
    const byUser = new Map<string, typeof enrollments>();
    const byClass = new Map<string, typeof enrollments>();
    for (const e of enrollments) {
      byUser.set(e.userSourcedId, [...(byUser.get(e.userSourcedId) ?? []), e]);
      byClass.set(e.classSourcedId, [...(byClass.get(e.classSourcedId) ?? []), e]);
    }
    const levelOf = new Map(district.orgs.map((o) => [o.sourcedId, o.level]));
    const students = users.filter((u) => u.role === 'student');

    it('has one district and schools of every level, with a year, semesters and grading periods', () => {
      expect(district.orgs.filter((o) => o.type === 'district')).toHaveLength(1);
      const levels = district.orgs.filter((o) => o.type === 'school').map((o) => o.level);
      for (const level of ['elementary', 'middle', 'high'] as const) {
        expect(levels.filter((l) => l === level).length).toBeGreaterThanOrEqual(1);
      }
      expect(levels.filter((l) => l === 'elementary').length).toBeGreaterThanOrEqual(2);
      const types = district.academicSessions.map((s) => s.type);
      expect(types.filter((t) => t === 'schoolYear')).toHaveLength(1);
      expect(types.filter((t) => t === 'semester')).toHaveLength(2);
      expect(types.filter((t) => t === 'gradingPeriod')).toHaveLength(4);
      expect(students).toHaveLength(3000);
    });

    it('gives secondary students about six classes and elementary students one homeroom', () => {
      const secondary = students.filter((s) => levelOf.get(s.orgSourcedIds[0]!) !== 'elementary');
      const elementary = students.filter((s) => levelOf.get(s.orgSourcedIds[0]!) === 'elementary');
      expect(secondary.length).toBeGreaterThan(1000);
      expect(elementary.length).toBeGreaterThan(1000);
      const classCounts = secondary.map(
        (s) =>
          (byUser.get(s.sourcedId) ?? []).filter((e) => levelOf.get(e.schoolSourcedId) !== 'elementary')
            .length,
      );
      const mean = classCounts.reduce((a, b) => a + b, 0) / classCounts.length;
      expect(mean).toBeGreaterThan(5.8);
      expect(mean).toBeLessThan(6.1);
      expect(classCounts.filter((n) => n === 6).length / classCounts.length).toBeGreaterThan(0.95);
      for (const s of elementary) {
        const classes = (byUser.get(s.sourcedId) ?? []).map((e) => classById.get(e.classSourcedId));
        expect(classes.map((c) => c?.classType)).toEqual(['homeroom']);
      }
    });

    it('gives every class one primary teacher and some classes co-teachers', () => {
      let coTaught = 0;
      for (const c of district.classes) {
        const teachers = (byClass.get(c.sourcedId) ?? []).filter((e) => e.role === 'teacher');
        expect(
          teachers.filter((e) => e.primary),
          c.sourcedId,
        ).toHaveLength(1);
        for (const t of teachers) expect(userById.get(t.userSourcedId)?.role).toBe('teacher');
        if (teachers.length > 1) coTaught++;
      }
      expect(coTaught).toBeGreaterThan(district.classes.length * 0.1);
      for (const e of enrollments.filter((e) => e.role === 'student')) {
        expect(e.primary).toBe(false);
        expect(userById.get(e.userSourcedId)?.role).toBe('student');
      }
    });

    it('gives some students guardians, linked both ways, and some users two schools', () => {
      const withGuardians = students.filter((s) => s.agentSourcedIds.length > 0);
      expect(withGuardians.length / students.length).toBeGreaterThan(0.4);
      expect(withGuardians.length).toBeLessThan(students.length);
      for (const student of withGuardians) {
        for (const agentId of student.agentSourcedIds) {
          const agent = userById.get(agentId);
          expect(['guardian', 'parent']).toContain(agent?.role);
          expect(agent?.agentSourcedIds).toContain(student.sourcedId);
        }
      }
      // Siblings share guardians.
      expect(users.some((u) => u.role !== 'student' && u.agentSourcedIds.length > 1)).toBe(true);
      const multiSchool = users.filter((u) => u.orgSourcedIds.length > 1);
      expect(multiSchool.some((u) => u.role === 'student')).toBe(true);
      expect(multiSchool.some((u) => u.role === 'teacher')).toBe(true);
      for (const u of multiSchool) {
        const schools = new Set((byUser.get(u.sourcedId) ?? []).map((e) => e.schoolSourcedId));
        expect([...schools].sort()).toEqual([...u.orgSourcedIds].sort());
      }
    });

    it('uses unique emails and zero-padded student numbers', () => {
      expect(new Set(users.map((u) => u.email)).size).toBe(users.length);
      expect(new Set(users.map((u) => u.sourcedId)).size).toBe(users.length);
      for (const s of students) expect(s.identifier).toMatch(/^0\d{6}$/);
      expect(students[0]?.identifier).toBe('0001001');
    });
  });
});

describe('the written package', () => {
  it.each([0, 3])(
    'reads back through the CSV connector on day %i with every reference resolving',
    async (day) => {
      const { district } = districtOnDay({ students: 1200, seed: 5, day, rates: { duplicateEmails: 0.002 } });
      const dir = tempDir(`pkg-day${day}-`);
      const written = await writeOneRosterPackage(district, dir);
      const { records, problems } = await readPackage(dir);
      expect(problems).toEqual([]);
      expect(countsOf(records)).toEqual(written);
      expect(written.users).toBe([...liveUsers(district)].length);
      expect(unresolvedReferences(records)).toEqual([]);
      // Student numbers keep their leading zeros as text through the CSV.
      const student = records.users.find((u) => u.data.role === 'student');
      expect(student?.data.identifier).toMatch(/^0\d{6}$/);
      expect(student?.data.userIds.map((id) => id.type)).toEqual(['SSID', 'LDAP']);
    },
  );
});

/** What changed between two exports, counted the way an importer would see it. */
function diff(before: Extracted, after: Extracted, everSeen: ReadonlySet<string>) {
  const oldUsers = byId(before.users);
  const newUsers = byId(after.users);
  const usersChanged = (field: (u: EntityRecordMap['users']) => unknown) =>
    after.users.filter((u) => {
      const old = oldUsers.get(u.externalId);
      return old !== undefined && JSON.stringify(field(old.data)) !== JSON.stringify(field(u.data));
    }).length;
  const oldEnrollments = new Set(before.enrollments.map((e) => e.externalId));
  const newEnrollments = new Set(after.enrollments.map((e) => e.externalId));
  const arrived = after.users.filter((u) => !oldUsers.has(u.externalId));
  return {
    brandNew: arrived.filter((u) => !everSeen.has(u.externalId)),
    returned: arrived.filter((u) => everSeen.has(u.externalId)).length,
    gone: before.users.filter((u) => !newUsers.has(u.externalId)).length,
    emailsChanged: usersChanged((u) => u.email),
    profileChanged: usersChanged((u) => [u.givenName, u.familyName, u.middleName, u.phone, u.grades]),
    enrollmentsAdded: [...newEnrollments].filter((id) => !oldEnrollments.has(id)).length,
    enrollmentsDropped: [...oldEnrollments].filter((id) => !newEnrollments.has(id)).length,
  };
}

describe('mutateDistrict', () => {
  it('leaves the district it was given as it was', async () => {
    const district = generateDistrict({ students: 500, seed: 3 });
    const before = tempDir('mut-before-');
    const after = tempDir('mut-after-');
    await writeOneRosterPackage(district, before);
    const next = mutateDistrict(district, {
      seed: 9,
      drops: 0.05,
      adds: 0.05,
      edits: 0.05,
      enrollmentChanges: 0.05,
    });
    await writeOneRosterPackage(district, after);
    expect(filesOf(after)).toEqual(filesOf(before));
    expect(next.summary.usersDropped).toBeGreaterThan(0);
  });

  it('summarises exactly what changed between one day and the next, reappearances included', async () => {
    const rates = {
      adds: 0.02,
      edits: 0.03,
      emailChanges: 0.01,
      drops: 0.03,
      reappearances: 0.01,
      enrollmentChanges: 0.03,
      duplicateEmails: 0.005,
    };
    const everSeen = new Set<string>();
    let previous: Extracted | undefined;
    const totals = { returned: 0 };
    for (let day = 0; day <= 3; day++) {
      const { district, days } = districtOnDay({ students: 800, seed: 11, day, rates });
      const dir = tempDir(`day${day}-`);
      await writeOneRosterPackage(district, dir);
      const { records, problems } = await readPackage(dir);
      expect(problems).toEqual([]);
      expect(unresolvedReferences(records)).toEqual([]);
      if (previous !== undefined) {
        const summary = days.at(-1) as MutationSummary;
        const seen = diff(previous, records, everSeen);
        expect(seen.brandNew.length, `day ${day} new users`).toBe(
          summary.studentsAdded + summary.guardiansAdded + summary.duplicateEmails,
        );
        expect(seen.brandNew.filter((u) => u.data.role === 'student').length).toBe(
          summary.studentsAdded + summary.duplicateEmails,
        );
        expect(seen.returned, `day ${day} returning users`).toBe(summary.usersReappeared);
        expect(seen.gone, `day ${day} dropped users`).toBe(summary.usersDropped);
        expect(seen.emailsChanged, `day ${day} emails`).toBe(summary.emailsChanged);
        // An edit may draw the phone number the user already had; every other edit shows.
        expect(seen.profileChanged).toBeLessThanOrEqual(summary.usersEdited);
        expect(seen.profileChanged).toBeGreaterThanOrEqual(summary.usersEdited * 0.9);
        expect(seen.enrollmentsAdded, `day ${day} enrollments added`).toBe(summary.enrollmentsAdded);
        expect(seen.enrollmentsDropped, `day ${day} enrollments dropped`).toBe(summary.enrollmentsDropped);
        const emails = new Map<string, number>();
        for (const u of records.users) {
          emails.set(u.data.email ?? '', (emails.get(u.data.email ?? '') ?? 0) + 1);
        }
        expect([...emails.values()].filter((n) => n > 1).length).toBeGreaterThanOrEqual(
          summary.duplicateEmails > 0 ? 1 : 0,
        );
        totals.returned += seen.returned;
      }
      for (const u of records.users) everSeen.add(u.externalId);
      previous = records;
    }
    // Day 1 has nobody to bring back; by day 3 someone dropped earlier has returned.
    expect(totals.returned).toBeGreaterThan(0);
  });

  it('derives each day from the seed alone, so day k is the same however it is reached', async () => {
    const rates = { drops: 0.02, reappearances: 0.02 };
    const direct = districtOnDay({ students: 300, seed: 4, day: 2, rates });
    const again = districtOnDay({ students: 300, seed: 4, day: 2, rates });
    const a = tempDir('direct-');
    const b = tempDir('again-');
    await writeOneRosterPackage(direct.district, a);
    await writeOneRosterPackage(again.district, b);
    expect(filesOf(b)).toEqual(filesOf(a));
    expect(direct.days).toHaveLength(2);
    expect(again.days).toEqual(direct.days);
    const dayOne = districtOnDay({ students: 300, seed: 4, day: 1, rates });
    expect(dayOne.days[0]).toEqual(direct.days[0]);
    expect(() => districtOnDay({ students: 300, seed: 4, day: -1 })).toThrow(RangeError);
  });
});

function sumOf(summary: MutationSummary): number {
  return Object.values(summary).reduce((a, b) => a + b, 0);
}

describe('districtOnDay rates', () => {
  it('applies no change at all when every rate is zero', () => {
    const zero = {
      adds: 0,
      edits: 0,
      emailChanges: 0,
      drops: 0,
      reappearances: 0,
      enrollmentChanges: 0,
      duplicateEmails: 0,
    };
    const { days, district } = districtOnDay({ students: 200, seed: 1, day: 2, rates: zero });
    expect(days.map(sumOf)).toEqual([0, 0]);
    const base = generateDistrict({ students: 200, seed: 1 });
    expect([...liveUsers(district)]).toEqual([...liveUsers(base)]);
  });
});
