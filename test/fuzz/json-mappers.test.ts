import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { EventDelta } from '../../src/connectors/clever/clever-events-delta.js';
import {
  checkSection,
  enrollmentsOfSection,
  mapCourse,
  mapDistrict,
  mapSchool,
  mapSection,
  mapTerm,
  mapUser,
  type MapResult,
} from '../../src/connectors/clever/clever-mapping.js';
import { checker, cleverEventSchema } from '../../src/connectors/clever/clever-schemas.js';
import { oneRosterEntities } from '../../src/connectors/oneroster/entities.js';
import { mapRestObject } from '../../src/connectors/oneroster/rest-object.js';
import type { OneRosterVersion } from '../../src/connectors/oneroster/row-reader.js';
import { ENTITY_TYPES, type EntityType } from '../../src/domain/entity.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import {
  expectPlainStorable,
  expectPrototypesUntouched,
  junkValue,
  objectOf,
  withDefects,
} from './json-values.js';

/*
 * Random JSON and valid-shaped objects with defects into every JSON mapper: OneRoster REST 1.1
 * and 1.2 (ONEROSTER_API and CLASSLINK), and Clever v3.0 districts, schools, terms, courses,
 * sections (and their enrollments), users and events. Each object is a record or per-record
 * errors, never a throw, and no prototype changes.
 */

const RUNS = 400;

const ref = (sourcedId: string) => ({ sourcedId, type: 'org', href: `/x/${sourcedId}` });

/** A valid OneRoster REST object of each entity, 1.1 and 1.2 (users differ). */
const ONEROSTER: Record<OneRosterVersion, Record<EntityType, Record<string, unknown>>> = {
  '1.1': {
    schools: {
      sourcedId: 'sch-1',
      status: 'active',
      name: 'Lincoln High',
      type: 'school',
      parent: ref('dist'),
    },
    terms: {
      sourcedId: 't1',
      title: 'Fall',
      type: 'semester',
      startDate: '2025-08-15',
      endDate: '2025-12-20',
      schoolYear: '2026',
      parent: ref('y2026'),
    },
    courses: {
      sourcedId: 'c-1',
      title: 'Algebra',
      grades: ['09'],
      org: ref('sch-1'),
      schoolYear: ref('y2026'),
    },
    classes: {
      sourcedId: 'k-1',
      title: 'Algebra P1',
      classType: 'scheduled',
      course: ref('c-1'),
      school: ref('sch-1'),
      terms: [ref('t1')],
      periods: ['1'],
    },
    users: {
      sourcedId: 'u-1',
      enabledUser: true,
      orgs: [ref('sch-1')],
      role: 'student',
      username: 'ada',
      givenName: 'Ada',
      familyName: 'Lovelace',
      userIds: [{ type: 'LDAP', identifier: '12' }],
      agents: [ref('u-2')],
      grades: ['09'],
      password: 'never-kept',
    },
    enrollments: {
      sourcedId: 'e-1',
      class: ref('k-1'),
      school: ref('sch-1'),
      user: ref('u-1'),
      role: 'student',
      primary: false,
      beginDate: '2025-08-15',
    },
  },
  '1.2': {} as Record<EntityType, Record<string, unknown>>,
};
ONEROSTER['1.2'] = {
  ...ONEROSTER['1.1'],
  users: {
    sourcedId: 'u-1',
    enabledUser: true,
    username: 'ada',
    givenName: 'Ada',
    familyName: 'Lovelace',
    preferredFirstName: 'Addie',
    primaryOrg: ref('sch-1'),
    roles: [{ roleType: 'primary', role: 'student', org: ref('sch-1'), beginDate: '2025-08-15' }],
    userProfiles: [
      { profileId: 'p', credentials: [{ type: 'pw', username: 'ada', password: 'never-kept' }] },
    ],
  },
};

const restCase = fc
  .tuple(fc.constantFrom<OneRosterVersion>('1.1', '1.2'), fc.constantFrom(...ENTITY_TYPES), fc.boolean())
  .chain(([version, entity, delta]) =>
    fc.tuple(
      fc.constant(version),
      fc.constant(entity),
      fc.constant(delta),
      fc.oneof(junkValue, withDefects(ONEROSTER[version][entity])),
    ),
  );

const AT = { path: '/ims/oneroster/v1p1/things', offset: 100, index: 6 };

function expectRestOutcome(mapped: ReturnType<typeof mapRestObject>): void {
  const errors = mapped.errors.filter((e) => e.severity !== 'warning');
  // A record, or the errors that kept it out: never both, never neither.
  expect(mapped.record === null).toBe(errors.length > 0);
  for (const e of mapped.errors) {
    expect(e.message).toMatch(/^\/ims\/oneroster\/v1p1\/things item 107\b/);
    expect(e.source).toEqual({ file: AT.path, page: 'offset=100', line: 107 });
    expect(e.code).toMatch(/^[a-z_]+$/);
  }
  if (mapped.record !== null) {
    expect(mapped.record.externalId.trim()).not.toBe('');
    expectPlainStorable(mapped.record.data);
    expectPlainStorable(mapped.record.raw);
    expect(JSON.stringify(mapped.record.raw)).not.toContain('never-kept');
  }
}

describe('fuzz: OneRoster REST objects', () => {
  it('maps each valid object to its record', () => {
    for (const version of ['1.1', '1.2'] as const) {
      for (const entity of ENTITY_TYPES) {
        const mapped = mapRestObject(
          oneRosterEntities(version)[entity],
          version,
          false,
          ONEROSTER[version][entity],
          AT,
        );
        expect(mapped.errors, `${version} ${entity}`).toEqual([]);
        expect(mapped.record?.externalId).toBe(ONEROSTER[version][entity].sourcedId);
      }
    }
  });

  it(
    'maps any JSON value, and valid objects with defects, to a record or per-record errors',
    { timeout: fuzzTimeout(RUNS, 10) },
    () => {
      fc.assert(
        fc.property(restCase, ([version, entity, delta, object]) => {
          expectRestOutcome(mapRestObject(oneRosterEntities(version)[entity], version, delta, object, AT));
          expectPrototypesUntouched();
        }),
        fuzzParameters<[[OneRosterVersion, EntityType, boolean, unknown]]>(RUNS, {
          examples: [
            // Found by this property: the staged copy of an object with a __proto__ field took that
            // field as its prototype (and lost it from what was staged).
            [
              [
                '1.1',
                'schools',
                false,
                JSON.parse('{"sourcedId":"s","name":"A","type":"school","__proto__":{"x":1}}'),
              ],
            ],
            // A NUL and a nesting past JSON.stringify's reach: per-record errors, not a failed staging.
            [['1.1', 'schools', false, { ...ONEROSTER['1.1'].schools, name: 'N\u0000ul' }]],
            [['1.2', 'users', false, { ...ONEROSTER['1.2'].users, metadata: nest(20_000) }]],
            // A hole in roles[] (as a decoder other than JSON.parse may leave): roles[0] is not an
            // object, not a crash in the role composition.
            // eslint-disable-next-line no-sparse-arrays
            [['1.2', 'users', true, { ...ONEROSTER['1.2'].users, roles: [,] }]],
            // An empty array as the sourcedId: "sourcedId is required", not a record-less silence.
            [['1.1', 'schools', false, { ...ONEROSTER['1.1'].schools, sourcedId: [] }]],
          ],
        }),
      );
    },
  );
});

/** The Clever mappers by object kind, each with a valid object. */
const section = {
  id: 'sec-1',
  district: 'd-1',
  school: 'sch-1',
  course: 'c-1',
  term_id: 't-1',
  name: 'Algebra P1',
  period: '1',
  grade: '9',
  subject: 'math',
  teacher: 'u-t',
  teachers: ['u-t', 'u-t2'],
  students: ['u-1', 'u-2'],
};
const student = {
  id: 'u-1',
  district: 'd-1',
  email: 'ada@x.org',
  name: { first: 'Ada', middle: null, last: 'Lovelace' },
  roles: {
    student: {
      sis_id: '12',
      school: 'sch-1',
      schools: ['sch-1'],
      grade: 'Kindergarten',
      credentials: { district_username: 'ada' },
    },
  },
};
const contact = {
  id: 'u-c',
  name: { first: 'Sara', last: 'Lovelace' },
  roles: {
    contact: {
      phone: '555',
      phone_type: 'Cell',
      student_relationships: [{ student: 'u-1', relationship: 'Parent' }],
    },
  },
};

const CLEVER: Record<
  string,
  { valid: Record<string, unknown>; map: (value: unknown) => MapResult<EntityType> }
> = {
  district: { valid: { id: 'd-1', name: 'District', nces_id: '1' }, map: mapDistrict },
  school: { valid: { id: 'sch-1', district: 'd-1', name: 'High', school_number: '042' }, map: mapSchool },
  term: {
    valid: { id: 't-1', name: 'Fall', start_date: '2025-08-15', end_date: '2025-12-20' },
    map: mapTerm,
  },
  course: { valid: { id: 'c-1', name: 'Algebra', number: 'M1' }, map: mapCourse },
  section: { valid: section, map: mapSection },
  student: { valid: student, map: (value) => mapUser(value, () => ['u-c']) },
  contact: { valid: contact, map: (value) => mapUser(value, () => []) },
};

function expectCleverOutcome(result: MapResult<EntityType>): void {
  if (result.ok) {
    expect(result.value.externalId).not.toBe('');
    expectPlainStorable(result.value.data);
    expectPlainStorable(result.value.raw);
    expect(JSON.stringify(result.value.raw)).not.toContain('district_username');
  } else {
    expect(result.issues.length).toBeGreaterThan(0);
    for (const issue of result.issues) {
      expect(typeof issue.field === 'string' && issue.message !== '').toBe(true);
    }
  }
}

const EVENT_TYPES = ['districts', 'schools', 'terms', 'courses', 'sections', 'users', 'resources'].flatMap(
  (t) => ['created', 'updated', 'deleted'].map((a) => `${t}.${a}`),
);

describe('fuzz: Clever objects and events', () => {
  it('maps each valid object to its record', () => {
    for (const [kind, { valid, map }] of Object.entries(CLEVER)) expect(map(valid).ok, kind).toBe(true);
  });

  it(
    'maps any JSON value, and valid objects with defects, to a record or per-record issues',
    { timeout: fuzzTimeout(RUNS, 10) },
    () => {
      const kinds = Object.keys(CLEVER);
      const cases = fc
        .constantFrom(...kinds)
        .chain((kind) => fc.tuple(fc.constant(kind), fc.oneof(junkValue, withDefects(CLEVER[kind]!.valid))));
      fc.assert(
        fc.property(cases, ([kind, value]) => {
          expectCleverOutcome(CLEVER[kind]!.map(value));
          const checked = checkSection(value);
          if (checked.ok) for (const e of enrollmentsOfSection(checked.value)) expectPlainStorable(e);
          expectPrototypesUntouched();
        }),
        fuzzParameters<[[string, unknown]]>(RUNS, {
          // A role named __proto__ with credentials: dropped from raw without touching any prototype.
          examples: [
            [
              [
                'student',
                { ...student, roles: objectOf([['__proto__', { credentials: { district_username: 'x' } }]]) },
              ],
            ],
          ],
        }),
      );
    },
  );

  it(
    'turns any list of events into records, tombstones and per-record errors for every entity',
    { timeout: fuzzTimeout(RUNS, 10) },
    () => {
      const checkEvent = checker(cleverEventSchema);
      const object = fc.oneof(junkValue, ...Object.values(CLEVER).map(({ valid }) => withDefects(valid)));
      const event = fc.oneof(
        junkValue,
        fc
          .record({
            id: fc.string(),
            type: fc.constantFrom(...EVENT_TYPES),
            object,
            previous: fc.option(junkValue),
          })
          .map(({ id, type, object: o, previous }) => ({
            id,
            type,
            created: '2026-01-01T00:00:00Z',
            data: { object: o, ...(previous === null ? {} : { previous_attributes: previous }) },
          })),
      );
      fc.assert(
        fc.property(fc.array(event, { maxLength: 8 }), (items) => {
          const events = items.flatMap((item) => {
            const checked = checkEvent(item);
            return checked.ok ? [checked.value] : [];
          });
          const delta = new EventDelta(events);
          for (const entity of ENTITY_TYPES) {
            const batch = delta.batch(entity, () => ['u-c']);
            for (const r of batch.records) {
              expect(r.externalId).not.toBe('');
              if (!r.deleted) {
                expectPlainStorable(r.data);
                expectPlainStorable(r.raw);
              }
            }
            for (const e of batch.errors) expect(e.message).toMatch(/^Clever \/events \(event /);
          }
          expectPrototypesUntouched();
        }),
        fuzzParameters<[unknown[]]>(RUNS / 4),
      );
    },
  );
});

function nest(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}
