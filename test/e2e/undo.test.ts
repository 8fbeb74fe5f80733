import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { driver } from '../support/database.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { screenshot, signedInStack, syncThroughApi, visible, type ApiCall, type Stack } from './support.js';

/*
 * Undo in the admin UI (issue 9, item 5): a district admin opens an applied run, reads what undoing
 * it reverts, confirms, lands on the undo run, and both runs say which undid which.
 */

const TIMEOUT = 180_000;
const TENANT = 'e2e-undo';

interface RunBody {
  id: string;
  status: string;
  undoesRunId: string | null;
  undoneByRunId?: string | null;
}

describe.skipIf(driver !== 'pglite')('undo in the admin UI', () => {
  let stack: Stack;
  let platform: ApiCall;
  let district: ApiCall;
  let page: Page;

  beforeAll(async () => {
    ({ stack, platform, district, page } = await signedInStack(TENANT));
  }, TIMEOUT);
  afterAll(async () => stack?.close(), TIMEOUT);

  /** Starts a sync through the API and waits until its run has applied. */
  async function synced(providerId: string): Promise<RunBody> {
    const run = await syncThroughApi<RunBody>(platform, providerId);
    expect(run.status).toBe('SUCCESS');
    return run;
  }

  it('undoes an applied run from its page and links the two runs', { timeout: TIMEOUT }, async () => {
    const spec = smallDistrict();
    const folder = writePackage(spec);
    const provider = await platform<{ id: string }>('POST', '/providers', {
      tenantId: TENANT,
      providerType: 'ONEROSTER_CSV',
      name: 'Nightly CSV drop',
      config: { localPath: folder },
      syncSchedule: null,
      maxDeactivationRatio: 1,
    });
    await synced(provider.id);
    // The next export renames a student and loses another.
    spec.users[2]!.familyName = 'Hopper-Murray';
    spec.users.splice(3, 1);
    spec.enrollments.splice(2, 1);
    writePackage(spec, { dir: folder });
    const bad = await synced(provider.id);

    await page.goto(`${stack.url}/integrations/sis/runs/${bad.id}`);
    await page.getByRole('button', { name: 'Undo this run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Undo this run?' });
    await visible(dialog);
    await visible(dialog.getByText('1 record it updated will get their previous values back'));
    await visible(dialog.getByText('2 records it deactivated will be reactivated'));
    expect(await dialog.getByText('it created').count()).toBe(0);
    await screenshot(page, 'undo-confirm');
    await dialog.getByRole('button', { name: 'Undo run' }).click();

    // The undo run's own page, once it has run.
    await page.waitForURL((url) => url.pathname.includes('/runs/') && !url.pathname.endsWith(bad.id));
    const undoId = new URL(page.url()).pathname.split('/').at(-1)!;
    expect(undoId).not.toBe(bad.id);
    await visible(page.getByText('Undo of'));
    await visible(page.getByRole('link', { name: `run ${bad.id.slice(0, 8)}` }));
    await expect
      .poll(async () => (await district<{ run: RunBody }>('GET', `/runs/${undoId}`)).run.status, {
        timeout: 60_000,
        interval: 250,
      })
      .toBe('SUCCESS');
    await visible(page.getByRole('heading', { name: 'Changed records' }));
    await screenshot(page, 'undo-run');

    // The undone run says by which run, and offers no second undo.
    await page.getByRole('link', { name: `run ${bad.id.slice(0, 8)}` }).click();
    await visible(page.getByRole('link', { name: `run ${undoId.slice(0, 8)}` }));
    await visible(page.getByText('Undone by'));
    expect(await page.getByRole('button', { name: 'Undo this run' }).count()).toBe(0);
    const [grace] = await district<{ data: { familyName: string }[] }>(
      'GET',
      `/tenants/${TENANT}/users?limit=100`,
    ).then((r) => r.data.filter((u) => u.familyName.startsWith('Hopper')));
    expect(grace!.familyName).toBe('Hopper');
  });
});
