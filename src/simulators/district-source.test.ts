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

describe('district source of a OneRoster 1.2 package', () => {
  let v12: GeneratedDistrictSource;
  beforeAll(async () => {
    v12 = await generateDistrictSource({ students: 60, seed: 7, version: '1.2' });
  });
  afterAll(async () => v12.cleanup());

  it('holds the same district as 1.2 REST objects: roles[] and the new fields instead of role and orgs', () => {
    const { collections, version } = v12.source;
    expect(version).toBe('1.2');
    expect(collections.users).toHaveLength(generated.source.collections.users.length);
    for (const user of collections.users) {
      expect(user).not.toHaveProperty('role');
      expect(user).not.toHaveProperty('orgs');
      expect((user.roles as unknown[]).length).toBeGreaterThan(0);
    }
    const teacher = collections.users.find((u) =>
      (u.roles as { role: string }[]).some((r) => r.role === 'teacher'),
    )!;
    expect(teacher).toMatchObject({
      userMasterIdentifier: expect.stringMatching(/^UM\d{8}$/),
      primaryOrg: { type: 'org', href: expect.stringMatching(/^\/ims\/oneroster\/rostering\/v1p2\/orgs\//) },
      roles: expect.arrayContaining([
        expect.objectContaining({
          roleType: 'primary',
          role: 'teacher',
          org: expect.objectContaining({ type: 'org' }),
        }),
      ]),
      userProfiles: [
        expect.objectContaining({
          profileType: 'lms',
          credentials: [expect.objectContaining({ type: 'password', username: teacher.username })],
        }),
      ],
    });
    expect(collections.users.some((u) => typeof u.preferredFirstName === 'string')).toBe(true);
    expect(collections.users.some((u) => typeof u.pronouns === 'string')).toBe(true);
  });
});
