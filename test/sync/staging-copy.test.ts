import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, rows, syncNow } from '../support/sync.js';

/*
 * Staging goes through COPY's text format on PostgreSQL and unnested arrays on PGlite: whatever
 * bytes a cell holds (tabs, line breaks, backslashes, quotes, braces, the word NULL) must arrive
 * in staging and in the roster exactly as they were in the file.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const AWKWARD = 'Tab\there, line\nbreak, back\\slash \\N, "quoted", {braces}, NULL, é';
const ODD_SCHOOL = 'sch,{"odd"}\\ NULL';

describe(`staging on ${driver}`, () => {
  it('keeps every character of a cell, in staging and in the roster', async () => {
    const spec = smallDistrict();
    spec.orgs = [...spec.orgs, { sourcedId: ODD_SCHOOL, name: AWKWARD, type: 'school' }];
    // A list element spelled NULL must stay the text NULL in the text[] column.
    spec.orgs = [...spec.orgs, { sourcedId: 'NULL', name: 'A school called NULL', type: 'school' }];
    spec.users = spec.users.map((u) =>
      u.sourcedId === 'u-s1' ? { ...u, givenName: AWKWARD, orgSourcedIds: 'NULL' } : u,
    );
    const providerId = await csvProvider(t, 'copy-odd', writePackage(spec));
    const run = await syncNow(t, providerId);
    expect(run.errorMessage).toBeNull();
    expect(run.status).toBe('SUCCESS');

    const [school] = await rows<{ name: string }>(
      t,
      `SELECT name FROM schools WHERE tenant_id = 'copy-odd' AND name LIKE 'Tab%'`,
    );
    expect(school?.name).toBe(AWKWARD);
    const [staged] = await rows<{ external_id: string; data: { name: string }; raw: { sourcedId: string } }>(
      t,
      `SELECT external_id, data, raw FROM sis_raw_schools WHERE run_id = '${run.id}' AND external_id LIKE 'sch,%'`,
    );
    expect(staged).toEqual({
      external_id: ODD_SCHOOL,
      data: expect.objectContaining({ name: AWKWARD }) as unknown,
      raw: expect.objectContaining({ sourcedId: ODD_SCHOOL, name: AWKWARD }) as unknown,
    });

    const [user] = await rows<{ given_name: string; schools: string[] }>(
      t,
      `SELECT u.given_name, ARRAY(SELECT s.name FROM schools s WHERE s.tenant_id = u.tenant_id AND s.id = ANY (u.school_ids)) AS schools
       FROM users u WHERE u.tenant_id = 'copy-odd' AND u.given_name LIKE 'Tab%'`,
    );
    expect(user).toEqual({ given_name: AWKWARD, schools: ['A school called NULL'] });
    const [stagedUser] = await rows<{ school_external_ids: string[] }>(
      t,
      `SELECT school_external_ids FROM sis_raw_users WHERE run_id = '${run.id}' AND external_id = 'u-s1'`,
    );
    expect(stagedUser?.school_external_ids).toEqual(['NULL']);
  });
});
