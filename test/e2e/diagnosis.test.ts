import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { driver } from '../support/database.js';
import { smallDistrict, writePackage, zeroPaddedUserIds } from '../support/oneroster-package.js';
import { screenshot, signedInStack, syncThroughApi, visible, type ApiCall, type Stack } from './support.js';

/*
 * The bad-export diagnosis in Chromium: a CSV export whose user ids lost their leading zeros is
 * held, and the held run's page names the cause, with its evidence, above the review.
 */

const TIMEOUT = 180_000;
const TENANT = 'e2e-diagnosis';

describe.skipIf(driver !== 'pglite')('the export diagnosis in a browser', () => {
  let stack: Stack;
  let page: Page;
  let platform: ApiCall;

  beforeAll(async () => {
    ({ stack, platform, page } = await signedInStack(TENANT));
  }, TIMEOUT);
  afterAll(async () => stack?.close());

  it('shows the likely cause of a held run', { timeout: TIMEOUT }, async () => {
    const good = zeroPaddedUserIds(smallDistrict());
    const folder = writePackage(good);
    const csv = await platform<{ id: string }>('POST', '/providers', {
      tenantId: TENANT,
      providerType: 'ONEROSTER_CSV',
      name: 'Nightly CSV drop',
      config: { localPath: folder },
      syncSchedule: null,
    });
    expect((await syncThroughApi(platform, csv.id)).status).toBe('SUCCESS');

    // The next export went through a spreadsheet: every user id lost its leading zeros.
    const strip = (id: string) => id.replace(/^0+/, '');
    writePackage(
      {
        ...good,
        users: good.users.map((u) => ({
          ...u,
          sourcedId: strip(u.sourcedId!),
          agentSourcedIds: strip(u.agentSourcedIds ?? ''),
        })),
        enrollments: good.enrollments.map((e) => ({ ...e, userSourcedId: strip(e.userSourcedId!) })),
      },
      { dir: folder },
    );
    const held = await syncThroughApi<{ id: string; status: string }>(platform, csv.id);
    expect(held.status).toBe('HELD');

    await page.goto(`${stack.url}/integrations/sis/runs/${held.id}`);
    const diagnosis = page.getByRole('region', { name: 'Export diagnosis' });
    await visible(diagnosis);
    await visible(
      diagnosis.getByText('Check these with whoever sends the export before you approve this run.'),
    );
    const findings = diagnosis.getByRole('list', { name: 'Findings' }).getByRole('listitem');
    const zeros = findings.filter({ hasText: 'Ids lost their leading zeros' });
    await visible(zeros);
    await visible(
      zeros.getByText(
        '5 user ids lost their leading zeros ("000101" is now "101"): the export likely went through a spreadsheet that read them as numbers.',
        { exact: false },
      ),
    );
    // The most severe finding comes first.
    expect(await findings.first().textContent()).toContain('Ids lost their leading zeros');
    await zeros.getByText('Evidence').click();
    await visible(zeros.getByText('"000101" → "101", "000102" → "102"', { exact: false }));
    await visible(findings.filter({ hasText: 'Many records are missing' }));
    // The review follows the diagnosis.
    await visible(page.getByRole('region', { name: 'Review held run' }));
    const [diagnosisBox, reviewBox] = await Promise.all([
      diagnosis.boundingBox(),
      page.getByRole('region', { name: 'Review held run' }).boundingBox(),
    ]);
    expect(diagnosisBox!.y).toBeLessThan(reviewBox!.y);
    await screenshot(page, '20-held-run-diagnosis');
  });
});
