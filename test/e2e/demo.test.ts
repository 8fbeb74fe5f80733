import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';

import { driver } from '../support/database.js';
import { signInOf, startDemo, stopDemo, type Demo } from '../support/demo.js';
import { apiAs, gone, launchBrowser, newContext, screenshot, visible } from './support.js';

/*
 * `sis-sync demo` as a newcomer meets it: one command, the printed link opened in a browser, the
 * four integrations it set up, and a sync of each started from the UI. The demo runs on its own
 * embedded database whatever the suite's driver: once, on the PGlite pass.
 */

const TIMEOUT = 180_000;
/** The demo's integrations, each with the name of its type as the list shows it. */
const INTEGRATIONS = [
  ['Clever (demo)', 'Clever'],
  ['ClassLink (demo)', 'ClassLink'],
  ['OneRoster API (demo)', 'OneRoster API'],
  ['OneRoster CSV over SFTP (demo)', 'OneRoster CSV'],
] as const;
const NAMES = INTEGRATIONS.map(([name]) => name);

describe.skipIf(driver !== 'pglite')('sis-sync demo in a browser', () => {
  let demo: Demo | undefined;
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (demo !== undefined && demo.child.exitCode === null) demo.child.kill('SIGKILL');
  });

  it(
    'opens on its four integrations; a sync of each, started in the UI, succeeds',
    { timeout: TIMEOUT * 2 },
    async () => {
      const dataDir = mkdtempSync(path.join(inject('workDir'), 'e2e-demo-'));
      demo = startDemo(['--students', '40'], { SIS_SYNC_DATA_DIR: dataDir, PORT: '0' }, 'e2e-demo');
      const { url, token, link } = await signInOf(demo);

      browser = await launchBrowser();
      const page: Page = await (await newContext(browser)).newPage();
      await page.goto(link);
      // Signed in as the demo's district admin; the token left the address bar at once.
      await visible(page.getByRole('heading', { name: 'Integrations', level: 1 }));
      await visible(page.getByText('demo-admin'));
      expect(page.url()).toBe(`${url}/integrations/sis/`);

      const table = page.getByRole('table', { name: 'Integrations' });
      await visible(table);
      await expect.poll(() => table.getByRole('row').count()).toBe(1 + NAMES.length);
      for (const [name, type] of INTEGRATIONS) {
        const row = table.getByRole('row', { name: new RegExp(`^${name.replace(/[()]/g, '\\$&')}`) });
        await visible(row.getByRole('cell', { name: type, exact: true }));
        await visible(row.getByText('Never synced'));
      }

      for (const name of NAMES) {
        await table.getByRole('link', { name, exact: true }).click();
        await visible(page.getByRole('heading', { name, level: 1 }));
        const syncCard = page.getByRole('region', { name: 'Sync', exact: true });
        await visible(syncCard.getByText('Never', { exact: true }));
        await syncCard.getByRole('button', { name: 'Run sync now' }).click();
        await visible(syncCard.getByText('Succeeded', { exact: true }), 120_000);
        await visible(syncCard.getByRole('link', { name: 'View latest run' }));
        await gone(syncCard.getByRole('progressbar'));
        await page
          .getByRole('navigation', { name: 'Breadcrumbs' })
          .getByRole('link', { name: 'Integrations' })
          .click();
        await visible(table);
      }

      // Back on the list: each integration's last sync succeeded.
      for (const name of NAMES) {
        const row = table.getByRole('row', { name: new RegExp(`^${name.replace(/[()]/g, '\\$&')}`) });
        await visible(row.getByText('Succeeded', { exact: true }));
      }
      await screenshot(page, '00-demo-integrations');

      // Behind the UI: one manual run of each, a success.
      const api = apiAs(url, token);
      const { providers } = await api<{ providers: { id: string; name: string }[] }>(
        'GET',
        '/tenants/demo/providers',
      );
      expect(providers.map((p) => p.name).sort()).toEqual([...NAMES].sort());
      for (const provider of providers) {
        const { runs } = await api<{ runs: { status: string; trigger: string; triggeredBy: string }[] }>(
          'GET',
          `/providers/${provider.id}/runs`,
        );
        expect(runs, provider.name).toEqual([
          expect.objectContaining({ status: 'SUCCESS', trigger: 'MANUAL', triggeredBy: 'demo-admin' }),
        ]);
      }

      await browser.close();
      browser = undefined;
      expect(await stopDemo(demo)).toBe(0);
      expect(demo.stdout()).toContain('SIGTERM: stopping');
    },
  );
});
