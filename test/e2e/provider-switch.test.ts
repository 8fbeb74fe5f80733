import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { driver } from '../support/database.js';
import { providerBody } from '../support/factories.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import {
  gone,
  runToEnd,
  screenshot,
  signedInStack,
  syncThroughApi,
  visible,
  type ApiCall,
  type Stack,
} from './support.js';

/*
 * A district admin moves the tenant to a new integration over the same SIS: the new one's first
 * run is held, the run page shows the proposed re-links per entity and lists them by rule, and
 * approving it applies them without creating a record.
 */

const TIMEOUT = 240_000;
const TENANT = 'switch-e2e';

interface RunBody {
  id: string;
  status: string;
  stats: Record<string, { created: number }>;
}

describe.skipIf(driver !== 'pglite')('moving to another integration, in a browser', () => {
  let stack: Stack;
  let platform: ApiCall;
  let page: Page;

  beforeAll(async () => {
    ({ stack, platform, page } = await signedInStack(TENANT, { SIS_SYNC_FIRST_RUN_REVIEW: 'true' }));
  }, TIMEOUT);
  afterAll(async () => stack?.close(), TIMEOUT);

  it(
    'reviews the proposed re-links of the new integration and approves them',
    { timeout: TIMEOUT },
    async () => {
      const dir = writePackage(smallDistrict());
      const create = (name: string) =>
        platform<{ id: string }>(
          'POST',
          '/providers',
          providerBody(TENANT, 'ONEROSTER_CSV', { name, config: { localPath: dir }, syncSchedule: null }),
        );
      const old = await create('Old hub');
      expect((await syncThroughApi<RunBody>(platform, old.id, 120_000)).status).toBe('SUCCESS');

      const next = await create('New hub');
      const held = await syncThroughApi<RunBody>(platform, next.id, 120_000);
      expect(held.status).toBe('HELD');
      const runId = held.id;

      await page.goto(`${stack.url}/integrations/sis/runs/${runId}`);
      const relinks = page.getByRole('region', { name: 'Proposed re-links' });
      await visible(relinks);
      const table = relinks.getByRole('table', { name: 'Proposed re-links per entity' });
      // Entity, Linked to existing records, New
      expect(
        await table
          .getByRole('row', { name: /^Users/ })
          .getByRole('cell')
          .allTextContents(),
      ).toEqual(['5 by sourced ID', '0']);
      expect(
        await table
          .getByRole('row', { name: /^Enrollments/ })
          .getByRole('cell')
          .allTextContents(),
      ).toEqual(['6 by sourced ID', '0']);

      const review = page.getByRole('region', { name: 'Review held run' });
      await visible(review.getByText('this first sync is held so that its re-links can be checked'));
      expect(await review.getByRole('combobox', { name: 'Kind of change' }).inputValue()).toBe('linked');
      const changes = review.getByRole('table', { name: 'Changed records' });
      await visible(changes);
      await visible(
        changes
          .getByRole('row')
          .filter({ hasText: 'Linked to existing by sourced ID' })
          .filter({ hasText: 'Alan Turing <alan@lincoln.example>' }),
      );
      await screenshot(page, 'provider-switch-review');

      await review.getByRole('button', { name: 'Approve and apply' }).click();
      const confirm = page.getByRole('dialog', { name: 'Approve this run?' });
      await confirm.getByRole('button', { name: 'Approve and apply' }).click();
      await gone(confirm);
      await visible(page.getByRole('region', { name: 'Summary' }).getByText('Succeeded'), 120_000);
      const applied = await runToEnd<RunBody>(platform, runId, 120_000);
      expect(Object.values(applied.stats).reduce((n, s) => n + s.created, 0)).toBe(0);
    },
  );
});
