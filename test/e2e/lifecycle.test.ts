import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { driver } from '../support/database.js';
import { districtWithStudents, writePackage } from '../support/oneroster-package.js';
import { screenshot, signedInStack, syncThroughApi, visible, type ApiCall, type Stack } from './support.js';

/*
 * The grace period in Chromium against the real service: a district admin sets it on the
 * provider page, a student missing from the next export stays active and is listed in grace, with
 * the runs it has been missing and the runs left; the run says how many records are in grace.
 */

const TIMEOUT = 180_000;
const TENANT = 'e2e-lifecycle';

interface RunBody {
  id: string;
  status: string;
}

describe.skipIf(driver !== 'pglite')('grace period in a browser', () => {
  let stack: Stack;
  let page: Page;
  let platform: ApiCall;
  let district: ApiCall;

  beforeAll(async () => {
    ({ stack, platform, district, page } = await signedInStack(TENANT));
  }, TIMEOUT);

  afterAll(async () => {
    await stack?.close();
  }, TIMEOUT);

  it('sets the grace period and lists a missing student in grace', { timeout: TIMEOUT }, async () => {
    const folder = writePackage(districtWithStudents(20));
    const csv = await platform<{ id: string }>('POST', '/providers', {
      tenantId: TENANT,
      providerType: 'ONEROSTER_CSV',
      name: 'Nightly CSV drop',
      config: { localPath: folder },
      syncSchedule: null,
    });
    expect((await syncThroughApi<RunBody>(platform, csv.id)).status).toBe('SUCCESS');

    await page.goto(`${stack.url}/integrations/sis/providers/${csv.id}`);
    const card = page.getByRole('region', { name: 'Grace period' });
    await visible(card.getByText('No records are in grace'));
    const field = card.getByRole('textbox', { name: /Deactivate after/ });
    expect(await field.inputValue()).toBe('1');

    // A wrong value is refused in place; a good one is saved.
    await field.fill('0');
    await card.getByRole('button', { name: 'Save grace period' }).click();
    await visible(card.getByText('Enter a whole number of runs from 1 to 100.'));
    await field.fill('3');
    await card.getByRole('button', { name: 'Save grace period' }).click();
    await visible(card.getByRole('status').getByText('Grace period saved.'));
    expect(await district<{ deactivationGraceRuns: number }>('GET', `/providers/${csv.id}`)).toMatchObject({
      deactivationGraceRuns: 3,
    });

    // The next export lacks one student: still active, in grace.
    const lacking = districtWithStudents(20);
    lacking.users = lacking.users.filter((u) => u.sourcedId !== 'u-x3');
    writePackage(lacking, { dir: folder });
    const run = await syncThroughApi<RunBody>(platform, csv.id);
    expect(run.status).toBe('SUCCESS');

    await page.reload();
    const table = card.getByRole('table', { name: 'Records in grace' });
    await visible(table);
    const row = table.getByRole('row', { name: /Extra3 Student/ });
    await visible(row);
    expect(await row.getByRole('cell').allInnerTexts()).toEqual([
      expect.stringContaining('u-x3'),
      'Users',
      '1 run',
      '2 more runs',
      expect.any(String),
    ]);
    await screenshot(page, 'lifecycle-01-records-in-grace');

    // The run says it too.
    await page.goto(`${stack.url}/integrations/sis/runs/${run.id}`);
    await visible(page.getByTestId('grace-summary').getByText(/In grace: 1 users/));
  });
});
