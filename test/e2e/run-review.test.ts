import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { driver } from '../support/database.js';
import { districtWithStudents, writePackage } from '../support/oneroster-package.js';
import { gone, signedInStack, syncThroughApi, visible, type ApiCall, type Stack } from './support.js';

/*
 * Field-level review in Chromium against the real service: a held run shows per record the
 * fields it would change, old and new; the reviewer filters by field and by text, excludes one
 * record and approves the rest, which is applied while the excluded record stays as it was.
 */

const TIMEOUT = 180_000;
const TENANT = 'e2e-review';

interface RunBody {
  id: string;
  status: string;
  excluded: number;
  stats: Record<string, { updated: number; deactivated: number }>;
}

describe.skipIf(driver !== 'pglite')('reviewing a held run in a browser', () => {
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

  it(
    'shows old and new values, filters them, and approves the run without an excluded record',
    { timeout: TIMEOUT },
    async () => {
      const folder = writePackage(districtWithStudents(5));
      const csv = await platform<{ id: string }>('POST', '/providers', {
        tenantId: TENANT,
        providerType: 'ONEROSTER_CSV',
        name: 'Reviewed CSV drop',
        config: { localPath: folder },
        syncSchedule: null,
      });
      expect((await syncThroughApi<RunBody>(platform, csv.id)).status).toBe('SUCCESS');
      // The next export renames a student and loses three of the five extra ones: held.
      const next = districtWithStudents(2);
      next.users.find((u) => u.sourcedId === 'u-s1')!.familyName = 'Turing-Smith';
      writePackage(next, { dir: folder });
      const held = await syncThroughApi<RunBody>(district, csv.id);
      expect(held.status).toBe('HELD');

      await page.goto(`${stack.url}/integrations/sis/runs/${held.id}`);
      const review = page.getByRole('region', { name: 'Review held run' });
      await visible(review);
      const changes = review.getByRole('table', { name: 'Changed records' });
      await visible(changes);
      const kind = review.getByRole('combobox', { name: 'Kind of change' });
      // The filter bar counts what each option holds.
      await expect
        .poll(() => kind.locator('option[value="deactivated"]').textContent(), { timeout: 30_000 })
        .toBe('Deactivated (3)');
      await kind.selectOption('');

      // Only the changes that set familyName: the renamed student, old -> new.
      await review.getByRole('combobox', { name: 'Field' }).selectOption('familyName');
      const renamed = changes.getByRole('row').filter({ hasText: 'u-s1' });
      await visible(renamed);
      expect(await changes.getByRole('row').count()).toBe(1 + 1);
      const familyName = renamed.locator('[data-field="familyName"]');
      expect(await familyName.locator('del').textContent()).toBe('Turing');
      expect(await familyName.locator('ins').textContent()).toBe('Turing-Smith');
      await review.getByRole('combobox', { name: 'Field' }).selectOption('');

      // Search, then exclude one of the students who would go.
      await review.getByRole('searchbox', { name: 'Search' }).fill('u-x3');
      const x3 = changes.getByRole('row').filter({ hasText: 'u-x3' });
      await visible(x3);
      expect(await changes.getByRole('row').count()).toBe(1 + 1);
      expect(await x3.locator('[data-field="active"]').textContent()).toBe('active yes → no');
      await x3.getByRole('checkbox', { name: /^Exclude Extra3 Student/ }).check();
      await review.getByRole('searchbox', { name: 'Search' }).fill('');
      await visible(changes.getByRole('row').filter({ hasText: 'u-x2' }));

      await review.getByRole('button', { name: 'Approve without 1 record' }).click();
      const confirm = page.getByRole('dialog', { name: 'Approve this run?' });
      await visible(confirm.getByText('except for the 1 excluded record'));
      await confirm.getByRole('button', { name: 'Approve without 1 record' }).click();
      await gone(confirm);
      const summary = page.getByRole('region', { name: 'Summary' });
      await visible(summary.getByText('Succeeded'), 90_000);
      await gone(review);

      // Behind the UI: the rest was applied, the excluded student is as they were.
      const run = (await district<{ run: RunBody }>('GET', `/runs/${held.id}`)).run;
      expect(run).toMatchObject({ status: 'SUCCESS', excluded: 1 });
      expect(run.stats.users).toMatchObject({ updated: 1, deactivated: 2 });
      const byId = async (id: string) =>
        (
          await district<{ data: { active: boolean; familyName: string }[] }>(
            'GET',
            `/tenants/${TENANT}/users?externalId=${id}`,
          )
        ).data[0];
      expect(await byId('u-x3')).toMatchObject({ active: true });
      expect(await byId('u-x2')).toMatchObject({ active: false });
      expect(await byId('u-s1')).toMatchObject({ familyName: 'Turing-Smith' });
    },
  );
});
