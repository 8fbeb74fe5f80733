import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  checkSection,
  enrollmentsOfSection,
  gradeCode,
  mapCourse,
  mapDistrict,
  mapSchool,
  mapSection,
  mapTerm,
  mapUser,
  studentsOfContact,
  checkUserObject,
} from './clever-mapping.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/clever');

/** The `data` objects of a list fixture, in order. */
function objects(name: string): unknown[] {
  const body = JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')) as {
    data: { data: unknown }[];
  };
  return body.data.map((d) => d.data);
}

/** Contacts by student, as the connector builds them from the contacts pull. */
function contactIndex(users: unknown[]): (studentId: string) => string[] {
  const index = new Map<string, string[]>();
  for (const value of users) {
    const checked = checkUserObject(value);
    if (!checked.ok || checked.value.roles.contact === undefined) continue;
    for (const student of studentsOfContact(checked.value)) {
      index.set(student, [...(index.get(student) ?? []), checked.value.id]);
    }
  }
  return (id) => index.get(id) ?? [];
}

describe('Clever v3.0 mapping', () => {
  it('maps the district as the parent org of its schools, and reports a school without a name', () => {
    const [district] = objects('districts').map(mapDistrict);
    expect(district).toEqual({
      ok: true,
      value: expect.objectContaining({
        externalId: '5a0c91b95c7cc000010d417c',
        data: {
          name: '#DEMO Unified School District',
          identifier: '0612345',
          orgType: 'district',
          parentExternalId: null,
        },
      }),
    });
    const [academy, elementary, nameless] = objects('schools').map(mapSchool);
    expect(academy?.ok && academy.value.data).toEqual({
      name: '#DEMO Clever Academy',
      identifier: '02M475',
      orgType: 'school',
      parentExternalId: '5a0c91b95c7cc000010d417c',
    });
    // No school_number: the SIS id is the next best human-facing id.
    expect(elementary?.ok && elementary.value.data.identifier).toBe('200');
    expect(nameless).toEqual({
      ok: false,
      externalId: '5a25ff950a5f621109000006',
      issues: [{ field: 'name', message: 'name is required' }],
    });
  });

  it('maps terms with date-only and datetime dates, and refuses an impossible date', () => {
    const [year, fall, spring] = objects('terms').map(mapTerm);
    expect(year?.ok && year.value.data).toEqual({
      title: '2020-2021 School Year',
      termType: 'term',
      startDate: '2020-09-08',
      endDate: '2021-06-25',
      schoolYear: null,
      parentExternalId: null,
    });
    expect(fall?.ok && [fall.value.data.startDate, fall.value.data.endDate]).toEqual([
      '2020-09-08',
      '2021-01-29',
    ]);
    expect(spring).toEqual({
      ok: false,
      externalId: '603ebb2ab452fb006c763966',
      issues: [{ field: 'start_date', message: 'start_date "2021-02-30" is not a real date' }],
    });
  });

  it('maps courses with an empty number as no course code', () => {
    const [guidance, algebra] = objects('courses').map(mapCourse);
    expect(guidance?.ok && guidance.value.data).toMatchObject({
      title: 'Group Guidance',
      courseCode: 'GG-0',
    });
    expect(algebra?.ok && algebra.value.data).toMatchObject({ title: 'Algebra I', courseCode: null });
  });

  it('maps sections to classes: homeroom subject, grade code, period and term', () => {
    const [homeroom, algebra, orphan] = objects('sections').map(mapSection);
    expect(homeroom?.ok && homeroom.value.data).toEqual({
      title: 'Group Guidance - Greene - 0',
      classCode: null,
      classType: 'homeroom',
      location: null,
      grades: ['KG'],
      subjects: ['homeroom/advisory'],
      subjectCodes: [],
      periods: ['0'],
      courseExternalId: '5a25ff963829500a3400020f',
      schoolExternalId: '5a25ff950a5f621109000005',
      termExternalIds: ['603ebb2ab452fb006c763964'],
    });
    expect(algebra?.ok && algebra.value.data).toMatchObject({
      classCode: 'ALG1-04',
      classType: 'scheduled',
      grades: ['09'],
      periods: ['4'],
    });
    expect(orphan?.ok).toBe(false);
    expect(!orphan?.ok && orphan?.externalId).toBe('5a25ffc265e950634b000183');
    expect(!orphan?.ok && orphan?.issues.map((i) => i.field).sort()).toEqual(['school', 'students']);
  });

  it('derives enrollments from a section: co-teachers kept, the primary marked, stable ids', () => {
    const [homeroom, algebra] = objects('sections')
      .slice(0, 2)
      .map((s) => {
        const checked = checkSection(s);
        if (!checked.ok) throw new Error('fixture section should be valid');
        return enrollmentsOfSection(checked.value);
      });
    expect(homeroom?.map((e) => [e.externalId, e.data.role, e.data.isPrimary])).toEqual([
      ['5a25ffc265e950634b00017c:603ebb2ab452fb006c763989:teacher', 'teacher', true],
      ['5a25ffc265e950634b00017c:603ebb2ab452fb006c76398a:teacher', 'teacher', false],
      ['5a25ffc265e950634b00017c:603ebb2ab452fb006c76398b:teacher', 'teacher', false],
      ['5a25ffc265e950634b00017c:5a25ffb0c1bc2a00360003ee:student', 'student', false],
      ['5a25ffc265e950634b00017c:5a25ffb0c1bc2a00360003f3:student', 'student', false],
    ]);
    expect(homeroom?.[0]?.data).toEqual({
      classExternalId: '5a25ffc265e950634b00017c',
      userExternalId: '603ebb2ab452fb006c763989',
      schoolExternalId: '5a25ff950a5f621109000005',
      role: 'teacher',
      isPrimary: true,
      beginDate: null,
      endDate: null,
    });
    // The primary teacher missing from teachers[] is still enrolled; a repeated student once.
    expect(algebra?.map((e) => [e.data.userExternalId, e.data.role, e.data.isPrimary])).toEqual([
      ['603ebb2ab452fb006c7639bd', 'teacher', true],
      ['603ebb2ab452fb006c76398a', 'teacher', false],
      ['5a25ffb0c1bc2a00360003ee', 'student', false],
    ]);
  });

  describe('users', () => {
    const users = objects('users');
    const contactsOf = contactIndex(users);
    const mapped = users.map((u) => mapUser(u, contactsOf));
    const byId = (id: string) => {
      const found = mapped.find((m) => m.ok && m.value.externalId === id);
      if (found === undefined || !found.ok) throw new Error(`no mapped user ${id}`);
      return found.value;
    };

    it('maps a multi-school student with its primary school first and its contacts as agents', () => {
      const douglas = byId('5a25ffb0c1bc2a00360003ee');
      expect(douglas.data).toEqual({
        role: 'student',
        roles: ['student'],
        username: 'douglasw58',
        givenName: 'Douglas',
        familyName: 'Wisoky',
        middleName: 'S',
        email: 'w_douglas@example.net',
        identifier: '101565758',
        sms: null,
        phone: null,
        grades: ['09'],
        schoolExternalIds: ['5a25ff950a5f621109000004', '5a25ff950a5f621109000005'],
        userIds: [
          { type: 'sis_id', identifier: '101565758' },
          { type: 'state_id', identifier: '498006597' },
        ],
        enabled: true,
        agentExternalIds: ['603ebb2ab452fb006c763a10', '603ebb2ab452fb006c763a12'],
      });
      // Login credentials never reach staging.
      expect(JSON.stringify(douglas.raw)).not.toContain('douglasw58');
      expect(byId('5a25ffb0c1bc2a00360003f3').data).toMatchObject({
        grades: ['KG'],
        middleName: null,
        agentExternalIds: ['603ebb2ab452fb006c763a10', '603ebb2ab452fb006c763a11'],
      });
    });

    it('keeps every role of a multi-role user, with the teacher role primary over staff', () => {
      expect(byId('603ebb2ab452fb006c763989').data).toMatchObject({
        role: 'teacher',
        roles: ['teacher', 'staff'],
        username: 'mgreene',
        identifier: 'E000100',
        schoolExternalIds: [
          '5a25ff950a5f621109000005',
          '5a25ff950a5f621109000004',
          '5a25ff950a5f621109000006',
        ],
        userIds: [
          { type: 'sis_id', identifier: 'T-100' },
          { type: 'state_id', identifier: 'TX99' },
        ],
      });
      expect(byId('603ebb2ab452fb006c7639f0').data).toMatchObject({
        role: 'administrator',
        roles: ['administrator', 'staff'],
        username: 'abrooks',
        identifier: 'S-001',
        schoolExternalIds: ['5a0c91b95c7cc000010d417c'],
      });
    });

    it('keeps credentials out of raw without touching the object as sent, and copies nothing without them', () => {
      const sent = users.find((u) => (u as { id?: unknown }).id === '603ebb2ab452fb006c763989');
      const before = structuredClone(sent);
      const teacher = byId('603ebb2ab452fb006c763989');
      const roles = teacher.raw.roles as Record<string, Record<string, unknown>>;
      expect(Object.keys(roles)).toEqual(['teacher', 'staff']);
      for (const role of Object.values(roles)) expect(role).not.toHaveProperty('credentials');
      expect(roles.teacher).toMatchObject({ sis_id: 'T-100' });
      expect(sent).toEqual(before);
      // A contact carries no login: its raw is the object as Clever sent it.
      const contact = users.find((u) => (u as { id?: unknown }).id === '603ebb2ab452fb006c763a10');
      expect(byId('603ebb2ab452fb006c763a10').raw).toBe(contact);
    });

    it('maps an object already checked by checkUserObject the same as one it checks itself', () => {
      for (const user of users) {
        expect(mapUser(user, contactsOf, checkUserObject(user))).toEqual(mapUser(user, contactsOf));
      }
    });

    it('maps contacts to parents, relatives and guardians linked to their students', () => {
      expect(byId('603ebb2ab452fb006c763a10').data).toMatchObject({
        role: 'parent',
        roles: ['parent'],
        username: null,
        identifier: null,
        phone: '(718) 555-0199',
        sms: '(718) 555-0199',
        schoolExternalIds: [],
        userIds: [{ type: 'sis_id', identifier: 'C-9001' }],
        agentExternalIds: ['5a25ffb0c1bc2a00360003ee', '5a25ffb0c1bc2a00360003f3'],
      });
      expect(byId('603ebb2ab452fb006c763a11').data).toMatchObject({
        role: 'relative',
        email: null,
        phone: '(718) 555-0123',
        sms: null,
        agentExternalIds: ['5a25ffb0c1bc2a00360003f3'],
      });
      expect(byId('603ebb2ab452fb006c763a12').data).toMatchObject({
        role: 'guardian',
        phone: null,
        agentExternalIds: ['5a25ffb0c1bc2a00360003ee'],
      });
    });

    it('reports a user without a role and a user without an id as per-record errors', () => {
      const failures = mapped.filter((m) => !m.ok);
      expect(failures).toEqual([
        {
          ok: false,
          externalId: '603ebb2ab452fb006c763a13',
          issues: [
            {
              field: 'roles',
              message: 'roles holds none of student, teacher, staff, district_admin, contact',
            },
          ],
        },
        {
          ok: false,
          externalId: null,
          issues: expect.arrayContaining([
            { field: 'id', message: 'id is required' },
            expect.objectContaining({ field: 'roles.teacher.school' }),
          ]),
        },
      ]);
    });
  });

  it('turns Clever grades into CEDS codes and keeps unknown ones', () => {
    expect(
      ['PreKindergarten', 'Kindergarten', '1', '12', '13', 'Ungraded', '', null, 'Grade 5'].map(gradeCode),
    ).toEqual(['PK', 'KG', '01', '12', '13', 'UG', null, null, 'Grade 5']);
  });
});
