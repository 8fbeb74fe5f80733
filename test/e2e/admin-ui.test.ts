import { readFileSync } from 'node:fs';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { driver } from '../support/database.js';
import { providerBody } from '../support/factories.js';
import { smallDistrict, writePackage, type PackageSpec } from '../support/oneroster-package.js';
import {
  BROWSER_TIME_ZONE,
  gone,
  screenshot,
  startOneRosterSimulator,
  signedInStack,
  syncThroughApi,
  visible,
  type ApiCall,
  type OneRosterSimulator,
  type Stack,
} from './support.js';

/*
 * The admin UI in Chromium against the real service (API, worker, built UI) on an embedded
 * database, as a district admin of tenant "e2e" uses it: add an integration with the wizard, run
 * it, review a held run, change a schedule; and what another tenant's admin may not see. The
 * tests share one stack and run in order: each starts where the one before left off.
 */

const TIMEOUT = 180_000;
const TENANT = 'e2e';
const OTHER_TENANT = 'other-district';
const INTEGRATION = 'District SIS';

interface ProviderBody {
  id: string;
  name: string;
  providerType: string;
  syncSchedule: string | null;
  syncTimezone: string;
  enabled: boolean;
  nextSyncAt: string | null;
  upcomingRuns: { at: string; skipped: string | null }[];
  config: Record<string, unknown>;
}

interface RunBody {
  id: string;
  status: string;
  stats: Record<string, { created: number; deactivated: number; errors: number }>;
  reviewedBy: string | null;
}

interface SyncStatusBody {
  isRunning: boolean;
  latestRun: RunBody | null;
}

/** What the focus test reads of the DOM inside the page (the suite compiles without the DOM library). */
interface InPageElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  closest(selector: string): InPageElement | null;
}
interface InPage {
  document: { activeElement: InPageElement | null; body: InPageElement };
}

/** The weekday a time falls on in `timeZone` ("Mon" ... "Sun"). */
const weekdayIn = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-US', { weekday: 'short', timeZone }).format(new Date(iso));

describe.skipIf(driver !== 'pglite')('admin UI in a browser', () => {
  let stack: Stack;
  let simulator: OneRosterSimulator;
  let page: Page;
  let platform: ApiCall;
  let district: ApiCall;
  let integrationId: string;

  beforeAll(async () => {
    simulator = await startOneRosterSimulator(60, { slowMs: 2500 });
    ({ stack, platform, district, page } = await signedInStack(TENANT));
  }, TIMEOUT);

  afterAll(async () => {
    await stack?.close();
    await simulator?.close();
  }, TIMEOUT);

  const integrationsLink = () =>
    page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'Integrations' });

  it('adds a OneRoster API integration step by step, from the empty list', { timeout: TIMEOUT }, async () => {
    await visible(page.getByRole('heading', { name: 'Integrations', level: 1 }));
    const empty = page.getByRole('region', { name: 'No integrations yet' });
    await visible(empty);
    await screenshot(page, '01-integration-list-empty');

    await empty.getByRole('button', { name: 'Add integration' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add integration' });
    await visible(dialog);

    // Step 1: the kind of system. Next without a choice says what is missing.
    await dialog.getByRole('button', { name: 'Next' }).click();
    await visible(dialog.getByText('Choose the kind of system to connect.'));
    await dialog.getByRole('radio', { name: 'OneRoster API', exact: true }).check();
    await gone(dialog.getByText('Choose the kind of system to connect.'));
    await screenshot(page, '02-add-type');
    await dialog.getByRole('button', { name: 'Next' }).click();

    // Step 2: name and credentials, a form generated from the type's JSON Schema.
    await visible(dialog.getByRole('heading', { name: /OneRoster API connection details/ }));
    const name = dialog.getByRole('textbox', { name: 'Name', exact: true });
    expect(await name.inputValue()).toBe('OneRoster API');
    await name.fill(INTEGRATION);
    await dialog.getByRole('textbox', { name: 'Base URL' }).fill(simulator.baseUrl);
    const authMethod = dialog.getByRole('combobox', { name: 'Auth method' });
    expect(await authMethod.inputValue()).toBe('oauth1');
    await authMethod.selectOption('oauth1');
    await dialog.getByRole('textbox', { name: 'Client ID' }).fill(simulator.clientId);
    await dialog.getByLabel('Client secret', { exact: true }).fill(simulator.clientSecret);
    expect(await dialog.getByLabel('Client secret', { exact: true }).getAttribute('type')).toBe('password');
    await screenshot(page, '03-add-credentials');
    await dialog.getByRole('button', { name: 'Next' }).click();

    // Step 3: the connection test, against the simulator.
    await visible(dialog.getByRole('heading', { name: /Step 3 of 5/ }));
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    await visible(dialog.getByText('Connection succeeded'));
    await screenshot(page, '04-add-test');
    await dialog.getByRole('button', { name: 'Next' }).click();

    // Step 4: a preset, then a cron expression, each said in words with its next five runs.
    await visible(dialog.getByRole('heading', { name: /Step 4 of 5/ }));
    const zone = dialog.getByRole('combobox', { name: 'Time zone' });
    expect(await zone.inputValue()).toBe(BROWSER_TIME_ZONE);
    const preview = dialog.getByRole('region', { name: 'When it runs' });
    await dialog.getByRole('radio', { name: 'Weekdays' }).check();
    await visible(preview.getByText(/Monday through Friday/));
    await expectNextRuns(preview, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], BROWSER_TIME_ZONE);

    await dialog.getByRole('radio', { name: 'Custom (cron expression)' }).check();
    const cron = dialog.getByRole('textbox', { name: 'Cron expression' });
    await cron.fill('15 6 * * 1,3,5');
    await visible(preview.getByText(/06:15 AM.*Monday, Wednesday(,)? and Friday/));
    await expectNextRuns(preview, ['Mon', 'Wed', 'Fri'], BROWSER_TIME_ZONE);
    await screenshot(page, '05-add-schedule');
    await dialog.getByRole('button', { name: 'Next' }).click();

    // Step 5: review, then save.
    await visible(dialog.getByRole('heading', { name: /Step 5 of 5/ }));
    const review = dialog.getByRole('term');
    expect(await review.allTextContents()).toEqual(
      expect.arrayContaining(['Type', 'Name', 'Connection test', 'Schedule', 'Time zone']),
    );
    await visible(dialog.getByRole('definition').filter({ hasText: /^Succeeded/ }));
    await visible(dialog.getByRole('definition').filter({ hasText: INTEGRATION }));
    await visible(dialog.getByRole('definition').filter({ hasText: /06:15 AM/ }));
    expect(await dialog.getByRole('checkbox', { name: 'Enable syncing now' }).isChecked()).toBe(true);
    await screenshot(page, '06-add-review');
    await dialog.getByRole('button', { name: 'Save integration' }).click();

    // Saved: the wizard leads to the integration's page; the list shows it.
    await visible(page.getByRole('heading', { name: INTEGRATION, level: 1 }));
    await gone(dialog);
    const { providers } = await district<{ providers: ProviderBody[] }>(
      'GET',
      `/tenants/${TENANT}/providers`,
    );
    expect(providers).toHaveLength(1);
    const saved = providers[0]!;
    integrationId = saved.id;
    expect(saved).toMatchObject({
      name: INTEGRATION,
      providerType: 'ONEROSTER_API',
      syncSchedule: '15 6 * * 1,3,5',
      syncTimezone: BROWSER_TIME_ZONE,
      enabled: true,
      config: {
        baseUrl: simulator.baseUrl,
        authMethod: 'oauth1',
        clientId: simulator.clientId,
        clientSecret: '********',
      },
    });
    expect(saved.nextSyncAt).not.toBeNull();

    await integrationsLink().click();
    const row = page.getByRole('row', { name: new RegExp(INTEGRATION) });
    await visible(row);
    await visible(row.getByRole('cell', { name: 'OneRoster API' }));
    await visible(row.getByText('Enabled', { exact: true }));
    await visible(row.getByText('Never synced'));
    const next = row.locator(`time[datetime="${saved.nextSyncAt}"]`);
    await visible(next);
    expect(await next.textContent()).toMatch(/^(in .+|tomorrow)$/);
    expect(await page.getByRole('table', { name: 'Integrations' }).getByRole('row').count()).toBe(2);
    await screenshot(page, '07-integration-list');
  });

  it(
    'runs a sync from the integration page and shows its progress, history and statistics',
    {
      timeout: TIMEOUT,
    },
    async () => {
      await page.getByRole('link', { name: INTEGRATION }).click();
      await visible(page.getByRole('heading', { name: INTEGRATION, level: 1 }));
      const syncCard = page.getByRole('region', { name: 'Sync', exact: true });
      await visible(syncCard.getByText('Never', { exact: true }));

      // The simulator holds its users page a moment, so the progress is there to be seen.
      simulator.setFaults('slow@users+0');
      await syncCard.getByRole('button', { name: 'Run sync now' }).click();
      const progress = syncCard.getByRole('progressbar', { name: 'Sync progress' });
      await visible(progress);
      expect(Number(await progress.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(0);
      await visible(syncCard.getByText('Sync in progress'));
      await visible(syncCard.getByRole('button', { name: 'Cancel sync' }));
      await visible(syncCard.getByText(/^Reading from the SIS: \w+ \(\d of 6\)$/));
      await screenshot(page, '08-provider-details-running');

      await gone(progress);
      await visible(syncCard.getByText('Succeeded', { exact: true }));
      await visible(syncCard.getByRole('link', { name: 'View latest run' }));
      expect(simulator.firedFaults()).toEqual([{ kind: 'slow', path: 'users' }]);
      simulator.setFaults('');

      const history = page.getByRole('region', { name: 'Sync history' });
      const runs = history.getByRole('table', { name: 'Sync runs, newest first' });
      await visible(runs);
      expect(await runs.getByRole('row').count()).toBe(2);
      const runRow = runs.getByRole('row').nth(1);
      await visible(runRow.getByText('Succeeded'));
      await visible(runRow.getByText(/Manual/));
      await visible(history.getByRole('img', { name: /Changes and errors per sync run/ }));
      await screenshot(page, '09-provider-details');

      await history.getByRole('link', { name: 'Open the full history' }).click();
      await visible(page.getByRole('heading', { name: 'Sync history', level: 1 }));
      const fullRuns = page.getByRole('table', { name: 'Sync runs, newest first' });
      await visible(fullRuns);
      expect(await fullRuns.getByRole('row').count()).toBe(2);
      await screenshot(page, '10-sync-history');

      await fullRuns.getByRole('row').nth(1).getByRole('link').click();
      await visible(page.getByRole('heading', { name: /^Sync run of / }));
      const summary = page.getByRole('region', { name: 'Summary' });
      await visible(summary.getByText('Succeeded'));
      const stats = page.getByRole('table', { name: 'What the run changed, per entity' });
      await visible(stats);

      const status = await district<SyncStatusBody>('GET', `/providers/${integrationId}/sync/status`);
      const run = status.latestRun!;
      expect(run.status).toBe('SUCCESS');
      for (const [entity, label] of [
        ['schools', 'Schools'],
        ['terms', 'Terms'],
        ['courses', 'Courses'],
        ['classes', 'Classes'],
        ['users', 'Users'],
        ['enrollments', 'Enrollments'],
      ] as const) {
        const created = run.stats[entity]!.created;
        expect(created, entity).toBeGreaterThan(0);
        const cells = await stats
          .getByRole('row', { name: new RegExp(`^${label}`) })
          .getByRole('cell')
          .allTextContents();
        // Created, Updated, Unchanged, Deactivated, Reactivated, Errors
        expect(cells, label).toEqual([created.toLocaleString('en-US'), '0', '0', '0', '0', '0']);
      }
      await visible(
        page.getByRole('region', { name: 'Changed records' }).getByRole('table', { name: 'Changed records' }),
      );
      await visible(page.getByRole('region', { name: 'Record errors' }).getByText('No record errors.'));
      await screenshot(page, '11-run-detail');
    },
  );

  it(
    'holds a run that would deactivate most users, shows why, and applies it once approved',
    {
      timeout: TIMEOUT,
    },
    async () => {
      // A CSV provider over a folder on the server (a platform admin's setting), synced once.
      const spec = smallDistrict();
      const folder = writePackage(spec);
      const csv = await platform<ProviderBody>('POST', '/providers', {
        tenantId: TENANT,
        providerType: 'ONEROSTER_CSV',
        name: 'Nightly CSV drop',
        config: { localPath: folder },
        syncSchedule: null,
      });
      const first = await syncThroughApi<RunBody>(platform, csv.id);
      expect(first.status).toBe('SUCCESS');
      expect(first.stats.users!.created).toBe(5);

      // The next export lost every user but the teacher (and their enrollments); the teacher now
      // names a school the district does not have, which is dropped with a warning.
      const teacher = spec.users.find((u) => u.sourcedId === 'u-t1')!;
      const shrunk: PackageSpec = {
        ...spec,
        users: [{ ...teacher, orgSourcedIds: 'sch-1,sch-2,sch-404' }],
        enrollments: spec.enrollments.filter((e) => e.userSourcedId === 'u-t1'),
      };
      writePackage(shrunk, { dir: folder });

      await page.goto(`${stack.url}/integrations/sis/providers/${csv.id}`);
      await visible(page.getByRole('heading', { name: 'Nightly CSV drop', level: 1 }));
      const syncCard = page.getByRole('region', { name: 'Sync', exact: true });
      await syncCard.getByRole('button', { name: 'Run sync now' }).click();
      const heldNotice = syncCard.getByRole('status').filter({ hasText: 'A run is held for review' });
      await visible(heldNotice);
      await visible(page.getByText('Awaiting review').first());
      expect(await syncCard.getByRole('button', { name: 'Run sync now' }).isDisabled()).toBe(true);

      await heldNotice.getByRole('link', { name: 'Review the held run' }).click();
      const review = page.getByRole('region', { name: 'Review held run' });
      await visible(review);
      await visible(page.getByRole('region', { name: 'Summary' }).getByText('Held for review'));
      const why = review.getByRole('table', {
        name: 'Why the run was held: deactivations above the threshold',
      });
      await visible(why);
      // Entity, Active before, Would deactivate, Share, Threshold
      expect(
        await why
          .getByRole('row', { name: /^Users/ })
          .getByRole('cell')
          .allTextContents(),
      ).toEqual(['5', '4', '80%', '10%']);
      expect(
        await why
          .getByRole('row', { name: /^Enrollments/ })
          .getByRole('cell')
          .allTextContents(),
      ).toEqual(['6', '4', '66.7%', '10%']);
      const changes = review.getByRole('table', { name: 'Changed records' });
      await visible(changes);
      expect(await review.getByRole('combobox', { name: 'Kind of change' }).inputValue()).toBe('deactivated');
      for (const id of ['u-s1', 'u-s2', 'u-s3', 'u-g1', 'e2', 'e3', 'e5', 'e6']) {
        await visible(
          changes
            .getByRole('row')
            .filter({ hasText: 'Deactivated' })
            .filter({ has: page.getByText(id, { exact: true }) }),
        );
      }
      expect(await changes.getByRole('row').count()).toBe(1 + 8);
      await visible(review.getByRole('cell', { name: 'Alan Turing <alan@lincoln.example>', exact: true }));
      await screenshot(page, '12-held-review');

      // Approve, confirmed in a dialog; the run applies what it previewed.
      await review.getByRole('button', { name: 'Approve and apply' }).click();
      const confirm = page.getByRole('dialog', { name: 'Approve this run?' });
      await visible(confirm);
      await confirm.getByRole('button', { name: 'Approve and apply' }).click();
      await gone(confirm);
      const summary = page.getByRole('region', { name: 'Summary' });
      await visible(summary.getByText('Succeeded'), 90_000);
      await visible(summary.getByText('Approved after review'));
      await gone(review);
      const stats = page.getByRole('table', { name: 'What the run changed, per entity' });
      expect(
        await stats
          .getByRole('row', { name: /^Users/ })
          .getByRole('cell')
          .nth(3)
          .textContent(),
      ).toBe('4');

      // Behind the UI: the run is a success, its four users were deactivated.
      const { runs } = await district<{ runs: RunBody[] }>('GET', `/providers/${csv.id}/runs`);
      const approved = runs[0]!;
      expect(approved).toMatchObject({ status: 'SUCCESS', reviewedBy: 'e2e-district-admin' });
      expect(approved.stats.users).toMatchObject({ deactivated: 4, errors: 0 });
      const { changes: deactivated } = await district<{ changes: { externalId: string }[] }>(
        'GET',
        `/runs/${approved.id}/changes?entity=users&kind=deactivated`,
      );
      expect(deactivated.map((c) => c.externalId).sort()).toEqual(['u-g1', 'u-s1', 'u-s2', 'u-s3']);
      // And a sync of the same export now finds nothing more to deactivate.
      const again = await syncThroughApi<RunBody>(district, csv.id);
      expect(again.status).toBe('SUCCESS');
      expect(again.stats.users).toMatchObject({ deactivated: 0, created: 0 });

      // The warning about the unknown school, exported as CSV.
      const errors = page.getByRole('region', { name: 'Record errors' });
      await visible(errors.getByText('1 problem'));
      await visible(errors.getByRole('row').filter({ hasText: 'dangling_reference' }));
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        errors.getByRole('button', { name: 'Download CSV' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(`run-${approved.id}-errors.csv`);
      const file = await download.path();
      const text = readFileSync(file, 'utf8');
      const [header, ...lines] = text.trim().split(/\r?\n/);
      expect(header).toMatch(/code/);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/u-t1/);
      expect(lines[0]).toMatch(/dangling_reference/);
      expect(lines[0]).toMatch(/sch-404/);
    },
  );

  it('changes the schedule on the integration page: the next runs follow', { timeout: TIMEOUT }, async () => {
    await page.goto(`${stack.url}/integrations/sis/providers/${integrationId}`);
    await visible(page.getByRole('heading', { name: INTEGRATION, level: 1 }));
    const upcoming = page.getByRole('region', { name: 'Upcoming runs' });
    const before = await upcoming.getByRole('listitem').allTextContents();
    expect(before).toHaveLength(5);
    expect(before.every((t) => /^(Mon|Wed|Fri), .*6:15 AM E[SD]T/.test(t))).toBe(true);

    const card = page.getByRole('region', { name: 'Schedule', exact: true });
    await card.getByRole('radio', { name: 'Weekdays' }).check();
    await card.getByRole('combobox', { name: 'Time zone' }).fill('America/Chicago');
    const preview = card.getByRole('region', { name: 'When it runs' });
    await visible(preview.getByText(/02:00 AM, Monday through Friday/));
    await visible(card.getByText('Next five runs (America/Chicago):'));
    await expectNextRuns(preview, ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], 'America/Chicago');
    await card.getByRole('button', { name: 'Save schedule' }).click();
    await visible(card.getByText('Schedule saved.'));

    await expect
      .poll(() => upcoming.getByRole('listitem').allTextContents(), { timeout: 30_000 })
      .not.toEqual(before);
    const after = await upcoming.getByRole('listitem').allTextContents();
    expect(after).toHaveLength(5);
    for (const item of after) expect(item).toMatch(/^(Mon|Tue|Wed|Thu|Fri), .*2:00 AM C[SD]T\s*Runs$/);

    const saved = await district<ProviderBody>('GET', `/providers/${integrationId}`);
    expect(saved).toMatchObject({ syncSchedule: 'weekdays', syncTimezone: 'America/Chicago' });
    for (const run of saved.upcomingRuns) {
      expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']).toContain(weekdayIn(run.at, 'America/Chicago'));
      expect(
        new Intl.DateTimeFormat('en-US', {
          hour: 'numeric',
          minute: '2-digit',
          timeZone: 'America/Chicago',
        }).format(new Date(run.at)),
      ).toBe('2:00 AM');
    }
    const times = await upcoming
      .locator('time')
      .evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
    expect(times).toEqual(saved.upcomingRuns.map((r) => r.at));
  });

  it("keeps another tenant's integration out of sight", { timeout: TIMEOUT }, async () => {
    const other = await platform<ProviderBody>(
      'POST',
      '/providers',
      providerBody(OTHER_TENANT, 'ONEROSTER_API', { name: 'Other district SIS' }),
    );

    // The e2e admin's list has its own two integrations, not the other one.
    await page.goto(`${stack.url}/integrations/sis/`);
    const table = page.getByRole('table', { name: 'Integrations' });
    await visible(table.getByRole('link', { name: INTEGRATION }));
    expect(await table.getByRole('row').count()).toBe(3);
    expect(await page.getByText('Other district SIS').count()).toBe(0);

    // Its address: not found, nothing of it shown.
    await page.goto(`${stack.url}/integrations/sis/providers/${other.id}`);
    const alert = page.getByRole('alert');
    await visible(alert.getByText('The integration could not be loaded'));
    await visible(alert.getByText(`provider ${other.id} not found`));
    expect(await page.getByText('Other district SIS').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Run sync now' }).count()).toBe(0);
    // Its tenant's list: refused.
    await page.goto(`${stack.url}/integrations/sis/tenants/${OTHER_TENANT}`);
    await visible(page.getByRole('alert').getByText('The integrations could not be loaded'));
    expect(await page.getByText('Other district SIS').count()).toBe(0);

    // A platform admin picks the tenant and sees it.
    const admin = await stack.signedIn('PLATFORM_ADMIN');
    await visible(admin.getByText('Choose a tenant to see and manage its integrations.'));
    const picker = admin.getByRole('search', { name: 'Choose a tenant' });
    await picker.getByRole('textbox', { name: 'Tenant id' }).fill(OTHER_TENANT);
    await picker.getByRole('button', { name: 'Show integrations' }).click();
    const otherTable = admin.getByRole('table', { name: 'Integrations' });
    await visible(otherTable.getByRole('link', { name: 'Other district SIS' }));
    expect(await otherTable.getByRole('row').count()).toBe(2);
    expect(await admin.getByText(INTEGRATION, { exact: true }).count()).toBe(0);
    await otherTable.getByRole('link', { name: 'Other district SIS' }).click();
    await visible(admin.getByRole('heading', { name: 'Other district SIS', level: 1 }));
    await visible(admin.getByText(`tenant ${OTHER_TENANT}`));
    await admin.context().close();
  });

  it(
    'traps focus in the add-integration dialog; Escape closes it and focus returns',
    { timeout: TIMEOUT },
    async () => {
      await page.goto(`${stack.url}/integrations/sis/`);
      const opener = page.getByRole('button', { name: 'Add integration' });
      await visible(opener);
      await opener.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Add integration' });
      await visible(dialog);
      await visible(dialog.getByRole('radio', { name: 'OneRoster API', exact: true }));

      /** Where the focus is: in the dialog, elsewhere on the page, or outside the page (browser UI). */
      const focus = () =>
        page.evaluate(() => {
          const { document } = globalThis as unknown as InPage;
          const el = document.activeElement;
          const inDialog = el !== null && el.closest('dialog[open]') !== null;
          const describe = (e: InPageElement | null) =>
            e === null
              ? 'none'
              : `${e.tagName.toLowerCase()}${e.getAttribute('aria-label') === null ? '' : `[${e.getAttribute('aria-label')}]`}:${(e.textContent ?? '').trim().slice(0, 30)}`;
          return {
            where: inDialog ? 'dialog' : el === null || el === document.body ? 'outside-page' : 'page',
            what: describe(el),
          };
        });

      expect((await focus()).where).toBe('dialog');
      const seen = new Set<string>();
      for (const key of ['Tab', 'Shift+Tab']) {
        for (let i = 0; i < 25; i += 1) {
          await page.keyboard.press(key);
          const at = await focus();
          // Focus may leave for the browser's own controls (a native modal allows it), never for the page behind.
          expect(at.where, `${key} #${i + 1}: ${at.what}`).not.toBe('page');
          if (at.where === 'dialog') seen.add(at.what);
        }
      }
      // The cycle went round the dialog: its close button, the type choices, Cancel and Next.
      expect([...seen]).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^button\[Close\]/),
          expect.stringMatching(/^button:Cancel/),
          expect.stringMatching(/^button:Next/),
        ]),
      );
      expect([...seen].some((w) => w.startsWith('input'))).toBe(true);

      // The type choice works from the keyboard too.
      await dialog.getByRole('radio', { name: 'OneRoster API', exact: true }).focus();
      await page.keyboard.press('Space');
      expect(await dialog.getByRole('radio', { name: 'OneRoster API', exact: true }).isChecked()).toBe(true);

      await page.keyboard.press('Escape');
      await gone(dialog);
      await expect
        .poll(() => opener.evaluate((el) => el === (globalThis as unknown as InPage).document.activeElement))
        .toBe(true);
      // Nothing was left behind.
      const { providers } = await district<{ providers: ProviderBody[] }>(
        'GET',
        `/tenants/${TENANT}/providers`,
      );
      expect(providers).toHaveLength(2);
    },
  );
});

/** The preview's five next runs, each on one of `days` in `timeZone` (its short name shown). */
async function expectNextRuns(
  preview: ReturnType<Page['getByRole']>,
  days: string[],
  timeZone: string,
): Promise<void> {
  const runs = preview.getByRole('listitem');
  await expect.poll(() => runs.count()).toBe(5);
  const times = await runs.locator('time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!));
  expect(times).toHaveLength(5);
  for (const at of times) expect(days, at).toContain(weekdayIn(at, timeZone));
  const texts = await runs.allTextContents();
  for (const text of texts) {
    expect(
      days.some((d) => text.startsWith(`${d}, `)),
      text,
    ).toBe(true);
  }
}
