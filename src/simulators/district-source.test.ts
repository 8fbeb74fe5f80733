import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { countLiveUsers } from '../generator/model.js';
import { generateDistrict } from '../generator/generate-district.js';
import { generateDistrictSource, idOf, type GeneratedDistrictSource } from './district-source.js';

let generated: GeneratedDistrictSource;
beforeAll(async () => {
  generated = await generateDistrictSource({ students: 60, seed: 7, modifiedAt: '2026-01-02T03:04:05.000Z' });
});
afterAll(async () => generated.cleanup());

describe('district source', () => {
  it('holds the generated district as OneRoster 1.1 REST objects, sorted by sourcedId', () => {
    const district = generateDistrict({ students: 60, seed: 7 });
    const { collections, name } = generated.source;
    expect(name).toBe(district.name);
    expect(collections.orgs).toHaveLength(district.orgs.length);
    expect(collections.users).toHaveLength(countLiveUsers(district));
    expect(collections.classes).toHaveLength(district.classes.length);
    for (const list of Object.values(collections)) {
      const ids = list.map(idOf);
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
  });

  it('turns references into GUIDRefs and fills status and dateLastModified', () => {
    const { collections } = generated.source;
    const enrollment = collections.enrollments[0]!;
    expect(enrollment).toMatchObject({
      status: 'active',
      dateLastModified: '2026-01-02T03:04:05.000Z',
      user: {
        type: 'user',
        sourcedId: expect.any(String),
        href: expect.stringMatching(/^\/ims\/oneroster\/v1p1\/users\//),
      },
      class: { type: 'class' },
      school: { type: 'org' },
    });
    const cls = collections.classes[0]!;
    expect(Array.isArray(cls.terms)).toBe(true);
    expect(cls.course).toMatchObject({ type: 'course' });
    const student = collections.users.find((u) => u.role === 'student')!;
    expect(student.orgs).toEqual([expect.objectContaining({ type: 'org' })]);
    expect(student.userIds).toContainEqual({ type: 'LDAP', identifier: student.username });
    const district = collections.orgs.find((o) => o.type === 'district')!;
    expect((district.children as unknown[]).length).toBeGreaterThan(0);
  });
});
