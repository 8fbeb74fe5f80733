import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, rows, syncNow } from '../support/sync.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

describe(`sync engine on ${driver}: a small district`, () => {
  it('loads a clean package, then reports zero changes on the same package', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'lincoln', dir);
    const first = await syncNow(t, providerId);
    expect(first.errorMessage).toBeNull();
    expect(first.status).toBe('SUCCESS');
    expect(first.stats).toEqual({
      schools: { created: 3, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 },
      terms: { created: 2, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 },
      courses: { created: 2, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 },
      classes: { created: 2, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 },
      users: { created: 5, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 },
      enrollments: { created: 6, updated: 0, unchanged: 0, deactivated: 0, reactivated: 0, errors: 0 },
    });
    const second = await syncNow(t, providerId);
    expect(second.status).toBe('SUCCESS');
    for (const stats of Object.values(second.stats)) {
      expect(stats).toMatchObject({ created: 0, updated: 0, deactivated: 0, reactivated: 0 });
    }
    const users = await rows<{ identifier: string; school_count: number }>(
      t,
      "SELECT identifier, cardinality(school_ids) AS school_count FROM users WHERE tenant_id = 'lincoln' ORDER BY identifier",
    );
    expect(users.map((u) => u.identifier)).toContain('000123');
    const [rel] = await rows(
      t,
      "SELECT relationship FROM user_relationships WHERE tenant_id = 'lincoln' AND active",
    );
    expect(rel).toEqual({ relationship: 'guardian' });
    const [school] = await rows<{ parent: string }>(
      t,
      "SELECT p.name AS parent FROM schools s JOIN schools p ON p.tenant_id = s.tenant_id AND p.id = s.parent_id WHERE s.name = 'Lincoln High'",
    );
    expect(school?.parent).toBe('Lincoln District');
  });
});
