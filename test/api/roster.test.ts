import { getTableColumns } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';

import type { RosterLink, RosterObjects } from '../../src/api/contracts/roster.js';
import { ENTITY_TYPES, type EntityType } from '../../src/domain/entity.js';
import { ROSTER_TABLES, type RosterRows } from '../../src/repositories/roster-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage, type PackageSpec } from '../support/oneroster-package.js';
import { csvProvider, rows, syncNow } from '../support/sync.js';

/*
 * The roster read API over a roster that real runs built: two providers of one tenant (the second
 * brings a school under an external id the first uses too, and a teacher it matches by email), a
 * second run of the first that edits one user and drops another, and a second tenant synced from
 * the same package. Each filter is checked against the full list filtered here, so the filter,
 * not the data, decides what passes.
 */

const OWN = 'lincoln';
const OTHER = 'jefferson';

let t: TestApp;
let admin: string;
let otherAdmin: string;
let platform: string;
let providerA = '';
let providerB = '';

interface Rec extends Record<string, unknown> {
  id: string;
  active: boolean;
  updatedAt: string;
  links: RosterLink[];
}

/** Twelve more students at the middle school, so that paging has pages. */
function districtA(): Required<PackageSpec> {
  const district = smallDistrict();
  for (let i = 0; i < 12; i++) {
    district.users.push({
      sourcedId: `u-x${i}`,
      enabledUser: 'true',
      orgSourcedIds: 'sch-2',
      role: 'student',
      username: `extra${i}`,
      givenName: `Extra${i}`,
      familyName: 'Student',
      email: `extra${i}@lincoln.example`,
      identifier: `9000${String(i).padStart(2, '0')}`,
      grades: '07',
    });
  }
  return district;
}

const call = (url: string, token = admin) =>
  t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}` } });

async function getJson<T>(url: string, token = admin): Promise<T> {
  const res = await call(url, token);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json<T>();
}

interface Page {
  data: Rec[];
  nextCursor: string | null;
}

/** Every page of a list, following nextCursor. */
async function listAll(entity: EntityType, query = '', limit = 1000, tenant = OWN): Promise<Rec[]> {
  const all: Rec[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor !== null) params.set('cursor', cursor);
    const page: Page = await getJson(`/tenants/${tenant}/${entity}?${params.toString()}`, platform);
    expect(page.data.length).toBeLessThanOrEqual(limit);
    all.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return all;
}

function expectError(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<{ error: { code: string; message: string; requestId: string } }>();
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  return body.error;
}

/** The record a provider's record with this external id stands behind. */
const linkedTo = (records: Rec[], providerId: string, externalId: string): Rec => {
  const found = records.filter((r) =>
    r.links.some((l) => l.providerId === providerId && l.externalId === externalId),
  );
  expect(found, `${providerId} ${externalId}`).toHaveLength(1);
  return found[0]!;
};
const ids = (records: Rec[]) => records.map((r) => r.id);

/** Every record of the tenant, per entity, after the runs (read once the runs are done). */
const all = {} as Record<EntityType, Rec[]>;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.token('DISTRICT_ADMIN', OWN);
  otherAdmin = await t.token('DISTRICT_ADMIN', OTHER);
  platform = await t.token('PLATFORM_ADMIN');

  const packageA = districtA();
  const dirA = writePackage(packageA);
  providerA = await csvProvider(t, OWN, dirA, { name: 'Lincoln SIS', maxDeactivationRatio: 1 });
  expect((await syncNow(t, providerA)).status).toBe('SUCCESS');

  // The second provider: a school under the same external id sch-1 (tied to the first provider's
  // school by the sourced_id rule, which it renames) and Ada under its own id, matched by her
  // email written differently.
  providerB = await csvProvider(
    t,
    OWN,
    writePackage({
      orgs: [{ sourcedId: 'sch-1', name: 'Lincoln Annex', type: 'school' }],
      users: [
        {
          sourcedId: 'b-ada',
          enabledUser: 'true',
          orgSourcedIds: 'sch-1',
          role: 'teacher',
          username: 'ada',
          givenName: 'Ada',
          familyName: 'Lovelace',
          email: ' ADA@Lincoln.example ',
        },
      ],
    }),
    { name: 'Annex SIS' },
  );
  expect((await syncNow(t, providerB)).status).toBe('SUCCESS');

  // The first provider again: Edsger and his enrollment are gone, Grace has a new family name.
  const next = districtA();
  next.users = next.users
    .filter((u) => u.sourcedId !== 'u-s3')
    .map((u) => (u.sourcedId === 'u-s2' ? { ...u, familyName: 'Hopper-Murray' } : u));
  next.enrollments = next.enrollments.filter((e) => e.sourcedId !== 'e3');
  writePackage(next, { dir: dirA });
  expect((await syncNow(t, providerA)).status).toBe('SUCCESS');

  const other = await csvProvider(t, OTHER, writePackage(smallDistrict()));
  expect((await syncNow(t, other)).status).toBe('SUCCESS');

  for (const entity of ENTITY_TYPES) all[entity] = await listAll(entity);
});
afterAll(async () => t.close());

describe(`roster read API on ${driver}`, () => {
  it("lists each entity whole, in id order, with every column of its table and the tenant's rows only", async () => {
    for (const entity of ENTITY_TYPES) {
      const stored = await rows<{ id: string }>(
        t,
        `SELECT id::text AS id FROM ${entity} WHERE tenant_id = '${OWN}' ORDER BY id`,
      );
      expect(stored.length, entity).toBeGreaterThan(0);
      expect(ids(all[entity]), entity).toEqual(stored.map((r) => r.id));
      const columns = Object.keys(getTableColumns(ROSTER_TABLES[entity]));
      for (const record of all[entity]) {
        expect(Object.keys(record).sort(), entity).toEqual([...columns, 'links'].sort());
        expect(record.tenantId).toBe(OWN);
        expect(new Date(record.updatedAt).toISOString()).toBe(record.updatedAt);
      }
    }
    expect(all.users).toHaveLength(17);
  });

  it('the contracts are the Drizzle rows, instants as strings, plus links', () => {
    type Serialized<T> = {
      [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
    };
    // Flattened: the type matcher tells an intersection from the one object it amounts to.
    type Flat<T> = { [K in keyof T]: T[K] };
    type Api<E extends EntityType> = Flat<Serialized<RosterRows[E]> & { links: RosterLink[] }>;
    expectTypeOf<RosterObjects['schools']>().toEqualTypeOf<Api<'schools'>>();
    expectTypeOf<RosterObjects['terms']>().toEqualTypeOf<Api<'terms'>>();
    expectTypeOf<RosterObjects['courses']>().toEqualTypeOf<Api<'courses'>>();
    expectTypeOf<RosterObjects['classes']>().toEqualTypeOf<Api<'classes'>>();
    expectTypeOf<RosterObjects['users']>().toEqualTypeOf<Api<'users'>>();
    expectTypeOf<RosterObjects['enrollments']>().toEqualTypeOf<Api<'enrollments'>>();
  });

  it('pages through all users with small limits: each exactly once, in id order', async () => {
    for (const limit of [1, 2, 5, 16, 17]) {
      const paged = await listAll('users', '', limit);
      expect(ids(paged), `limit ${limit}`).toEqual(ids(all.users));
    }
    // A page that ends exactly at the last record still says so.
    const first: Page = await getJson(`/tenants/${OWN}/users?limit=17`);
    expect(first.data).toHaveLength(17);
    expect(first.nextCursor).toBeNull();
    // Paging under a filter keeps it.
    const students = await listAll('users', 'role=student', 3);
    expect(ids(students)).toEqual(ids(all.users.filter((u) => u.role === 'student')));
    // The default page is 100.
    const whole: Page = await getJson(`/tenants/${OWN}/enrollments`);
    expect(whole.data).toHaveLength(all.enrollments.length);
  });

  it('shows the provider records behind a user and the rule that matched each', () => {
    const ada = linkedTo(all.users, providerA, 'u-t1');
    expect(ada.givenName).toBe('Ada');
    expect(ada.links).toEqual(
      expect.arrayContaining([
        {
          providerId: providerA,
          providerType: 'ONEROSTER_CSV',
          providerName: 'Lincoln SIS',
          externalId: 'u-t1',
          matchedBy: 'created',
          active: true,
        },
        {
          providerId: providerB,
          providerType: 'ONEROSTER_CSV',
          providerName: 'Annex SIS',
          externalId: 'b-ada',
          matchedBy: 'email',
          active: true,
        },
      ]),
    );
    expect(ada.links).toHaveLength(2);
    const edsger = linkedTo(all.users, providerA, 'u-s3');
    expect(edsger.links).toEqual([expect.objectContaining({ externalId: 'u-s3', active: false })]);
    // Other entities carry their links too.
    expect(linkedTo(all.enrollments, providerA, 'e1').links).toHaveLength(1);
  });

  it('gives one record by id exactly as the list does', async () => {
    for (const entity of ENTITY_TYPES) {
      const record = all[entity][0]!;
      expect(await getJson(`/tenants/${OWN}/${entity}/${record.id}`), entity).toEqual(record);
    }
  });

  describe('filters', () => {
    const user = (externalId: string) => linkedTo(all.users, providerA, externalId);
    const school = (externalId: string) => linkedTo(all.schools, providerA, externalId);
    const klass = (externalId: string) => linkedTo(all.classes, providerA, externalId);
    const term = (externalId: string) => linkedTo(all.terms, providerA, externalId);
    const course = (externalId: string) => linkedTo(all.courses, providerA, externalId);
    const has = (list: unknown, value: string) => Array.isArray(list) && list.includes(value);

    interface FilterCase {
      entity: EntityType;
      query: () => string;
      /** The oracle: which of the entity's records the filter keeps. */
      keeps: (record: Rec) => boolean;
      /** What must (and must not) be among them, so that the oracle is not vacuous. */
      check?: (kept: Rec[]) => void;
      /** The filter matches nothing here, by design of the case. */
      empty?: boolean;
    }

    const cases: [string, FilterCase][] = [
      [
        'users: active=false',
        {
          entity: 'users',
          query: () => 'active=false',
          keeps: (r) => !r.active,
          check: (kept) => expect(ids(kept)).toEqual([user('u-s3').id]),
        },
      ],
      ['users: active=true', { entity: 'users', query: () => 'active=true', keeps: (r) => r.active }],
      [
        'users: email, any case, spaces around',
        {
          entity: 'users',
          query: () => `email=${encodeURIComponent('  ADA@Lincoln.EXAMPLE ')}`,
          keeps: (r) => typeof r.email === 'string' && r.email.trim().toLowerCase() === 'ada@lincoln.example',
          check: (kept) => expect(ids(kept)).toEqual([user('u-t1').id]),
        },
      ],
      [
        'users: role',
        {
          entity: 'users',
          query: () => 'role=guardian',
          keeps: (r) => r.role === 'guardian' || has(r.roles, 'guardian'),
          check: (kept) => expect(ids(kept)).toEqual([user('u-g1').id]),
        },
      ],
      [
        'users: schoolId',
        {
          entity: 'users',
          query: () => `schoolId=${school('sch-2').id}`,
          keeps: (r) => has(r.schoolIds, school('sch-2').id),
          check: (kept) => expect(ids(kept)).toContain(user('u-s2').id),
        },
      ],
      [
        'users: classId (active enrollments only)',
        {
          entity: 'users',
          query: () => `classId=${klass('k-alg-1').id}`,
          keeps: (r) =>
            all.enrollments.some((e) => e.active && e.classId === klass('k-alg-1').id && e.userId === r.id),
          check: (kept) => {
            expect(ids(kept)).toContain(user('u-s1').id);
            // Edsger's enrollment in it was dropped.
            expect(ids(kept)).not.toContain(user('u-s3').id);
          },
        },
      ],
      [
        'users: externalId from any provider',
        {
          entity: 'users',
          query: () => 'externalId=b-ada',
          keeps: (r) => r.links.some((l) => l.externalId === 'b-ada'),
          check: (kept) => expect(ids(kept)).toEqual([user('u-t1').id]),
        },
      ],
      [
        'users: externalId of that provider',
        {
          entity: 'users',
          query: () => `externalId=b-ada&providerId=${providerB}`,
          keeps: (r) => r.links.some((l) => l.externalId === 'b-ada' && l.providerId === providerB),
          check: (kept) => expect(ids(kept)).toEqual([user('u-t1').id]),
        },
      ],
      [
        'users: externalId of another provider',
        {
          entity: 'users',
          query: () => `externalId=b-ada&providerId=${providerA}`,
          keeps: () => false,
          empty: true,
        },
      ],
      [
        'users: updatedSince',
        {
          entity: 'users',
          // The instant of the second run's edit: what it changed is kept, the untouched are not.
          query: () => `updatedSince=${encodeURIComponent(user('u-s2').updatedAt)}`,
          keeps: (r) => r.updatedAt >= user('u-s2').updatedAt,
          check: (kept) => {
            expect(ids(kept)).toEqual(expect.arrayContaining([user('u-s2').id, user('u-s3').id]));
            expect(ids(kept)).not.toContain(user('u-s1').id);
          },
        },
      ],
      [
        'users: several at once',
        {
          entity: 'users',
          query: () => `role=student&active=true&schoolId=${school('sch-1').id}`,
          keeps: (r) => r.role === 'student' && r.active && has(r.schoolIds, school('sch-1').id),
          check: (kept) => expect(ids(kept)).toEqual([user('u-s1').id]),
        },
      ],
      [
        'schools: externalId from any provider',
        {
          entity: 'schools',
          query: () => 'externalId=sch-1',
          keeps: (r) => r.links.some((l) => l.externalId === 'sch-1'),
          check: (kept) => {
            expect(kept.map((s) => s.name)).toEqual(['Lincoln Annex']);
            expect(kept[0]!.links.map((l) => l.providerId).sort()).toEqual([providerA, providerB].sort());
          },
        },
      ],
      [
        'schools: externalId of that provider',
        {
          entity: 'schools',
          query: () => `externalId=sch-1&providerId=${providerA}`,
          keeps: (r) => r.links.some((l) => l.externalId === 'sch-1' && l.providerId === providerA),
          check: (kept) => expect(kept.map((s) => s.name)).toEqual(['Lincoln Annex']),
        },
      ],
      [
        'schools: parentId',
        {
          entity: 'schools',
          query: () => `parentId=${school('dist').id}`,
          keeps: (r) => r.parentId === school('dist').id,
        },
      ],
      [
        'terms: parentId',
        {
          entity: 'terms',
          query: () => `parentId=${term('y2026').id}`,
          keeps: (r) => r.parentId === term('y2026').id,
        },
      ],
      [
        'courses: schoolId',
        {
          entity: 'courses',
          query: () => `schoolId=${school('sch-1').id}`,
          keeps: (r) => r.schoolId === school('sch-1').id,
        },
      ],
      [
        'classes: schoolId',
        {
          entity: 'classes',
          query: () => `schoolId=${school('sch-2').id}`,
          keeps: (r) => r.schoolId === school('sch-2').id,
        },
      ],
      [
        'classes: courseId',
        {
          entity: 'classes',
          query: () => `courseId=${course('c-alg').id}`,
          keeps: (r) => r.courseId === course('c-alg').id,
        },
      ],
      [
        'classes: termId',
        {
          entity: 'classes',
          query: () => `termId=${term('y2026').id}`,
          keeps: (r) => has(r.termIds, term('y2026').id),
          check: (kept) => expect(ids(kept)).toEqual([klass('k-eng-1').id]),
        },
      ],
      [
        'enrollments: classId',
        {
          entity: 'enrollments',
          query: () => `classId=${klass('k-eng-1').id}`,
          keeps: (r) => r.classId === klass('k-eng-1').id,
        },
      ],
      [
        'enrollments: userId',
        {
          entity: 'enrollments',
          query: () => `userId=${user('u-s1').id}`,
          keeps: (r) => r.userId === user('u-s1').id,
        },
      ],
      [
        'enrollments: role',
        { entity: 'enrollments', query: () => 'role=teacher', keeps: (r) => r.role === 'teacher' },
      ],
      [
        'enrollments: schoolId',
        {
          entity: 'enrollments',
          query: () => `schoolId=${school('sch-2').id}`,
          keeps: (r) => r.schoolId === school('sch-2').id,
        },
      ],
      [
        'enrollments: active=false',
        {
          entity: 'enrollments',
          query: () => 'active=false',
          keeps: (r) => !r.active,
          check: (kept) => expect(kept.map((e) => e.links[0]?.externalId)).toEqual(['e3']),
        },
      ],
    ];

    it.each(cases)('%s', async (_name, c) => {
      const everything = all[c.entity];
      const expected = everything.filter(c.keeps);
      if (c.empty === true) {
        expect(expected).toEqual([]);
      } else {
        // The filter must narrow: neither nothing nor everything.
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.length).toBeLessThan(everything.length);
      }
      c.check?.(expected);
      // In pages of two as well, so that the cursor carries the filter.
      expect(await listAll(c.entity, c.query())).toEqual(expected);
      expect(ids(await listAll(c.entity, c.query(), 2))).toEqual(ids(expected));
    });
  });

  describe('refusals', () => {
    it('400 for a cursor that is not one, was altered, or was given for another list or filters', async () => {
      const users: Page = await getJson(`/tenants/${OWN}/users?limit=2`);
      const students: Page = await getJson(`/tenants/${OWN}/users?limit=2&role=student`);
      const cursor = users.nextCursor!;
      const altered = `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}`;
      const refused: [string, RegExp][] = [
        [`/tenants/${OWN}/users?cursor=abc`, /not a cursor/],
        [`/tenants/${OWN}/users?cursor=${altered}`, /cursor/],
        [`/tenants/${OWN}/users?cursor=${cursor}%21`, /not a cursor/],
        [`/tenants/${OWN}/schools?cursor=${cursor}`, /given for users, not schools/],
        [`/tenants/${OWN}/users?cursor=${students.nextCursor!}`, /other filters/],
        [`/tenants/${OWN}/users?role=teacher&cursor=${cursor}`, /other filters/],
      ];
      for (const [url, message] of refused) {
        const error = expectError(await call(url), 400, 'validation_failed');
        expect(error.message, url).toMatch(/^cursor: /);
        expect(error.message, url).toMatch(message);
      }
      // The cursor itself still works where it was given, and a different limit is no other list.
      expect((await call(`/tenants/${OWN}/users?limit=5&cursor=${cursor}`)).statusCode).toBe(200);
    });

    it('400 for a bad limit, an unknown or malformed filter, and providerId without externalId', async () => {
      for (const query of [
        'limit=0',
        'limit=1001',
        'limit=ten',
        'active=maybe',
        'updatedSince=yesterday',
        'schoolId=not-a-uuid',
        'parentId=00000000-0000-0000-0000-000000000000',
        `providerId=${providerA}`,
      ]) {
        const error = expectError(await call(`/tenants/${OWN}/users?${query}`), 400, 'validation_failed');
        expect(error.message.length, query).toBeGreaterThan(0);
      }
      expect(
        expectError(await call(`/tenants/${OWN}/users?limit=0`), 400, 'validation_failed').message,
      ).toMatch(/limit/);
      expect(
        expectError(await call(`/tenants/${OWN}/schools?role=teacher`), 400, 'validation_failed').message,
      ).toMatch(/role: is not a known field/);
      expect(
        expectError(await call(`/tenants/${OWN}/users?providerId=${providerA}`), 400, 'validation_failed')
          .message,
      ).toMatch(/providerId: .*externalId/);
    });

    it("404 for another tenant's record, a missing one and one of another entity", async () => {
      const theirs = linkedTo(await listAll('users', '', 1000, OTHER), (await otherProvider()).id, 'u-t1');
      expectError(await call(`/tenants/${OWN}/users/${theirs.id}`), 404, 'not_found');
      expectError(await call(`/tenants/${OWN}/users/${theirs.id}`, platform), 404, 'not_found');
      expectError(
        await call(`/tenants/${OWN}/users/00000000-0000-7000-8000-000000000000`, platform),
        404,
        'not_found',
      );
      expectError(await call(`/tenants/${OWN}/schools/${all.users[0]!.id}`), 404, 'not_found');
      // The other tenant's own admin reads it.
      expect((await call(`/tenants/${OTHER}/users/${theirs.id}`, otherAdmin)).statusCode).toBe(200);
    });

    it('403 for a district admin naming another tenant, as the other tenant routes answer', async () => {
      const mine = all.users[0]!;
      expectError(await call(`/tenants/${OWN}/users`, otherAdmin), 403, 'forbidden');
      expectError(await call(`/tenants/${OWN}/users/${mine.id}`, otherAdmin), 403, 'forbidden');
      expectError(await call(`/tenants/${OWN}/users?cursor=abc`, otherAdmin), 403, 'forbidden');
      // And a list of another tenant never holds this tenant's rows.
      const theirs = await listAll('users', '', 1000, OTHER);
      expect(theirs.length).toBeGreaterThan(0);
      expect(theirs.every((u) => u.tenantId === OTHER)).toBe(true);
      expect(ids(theirs).filter((id) => ids(all.users).includes(id))).toEqual([]);
    });
  });

  it('the OpenAPI document lists the roster routes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    const paths = Object.keys(res.json<{ paths: Record<string, unknown> }>().paths);
    for (const entity of ENTITY_TYPES) {
      expect(paths).toContain(`/api/v1/tenants/{tenantId}/${entity}`);
      expect(paths).toContain(`/api/v1/tenants/{tenantId}/${entity}/{id}`);
    }
    expect(paths).toContain('/api/v1/tenants/{tenantId}/changes');
  });
});

async function otherProvider(): Promise<{ id: string }> {
  const [row] = await rows<{ id: string }>(
    t,
    `SELECT id::text AS id FROM sis_providers WHERE tenant_id = '${OTHER}'`,
  );
  return row!;
}
