import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';

import { mintDevToken } from '../../src/auth/dev-token.js';
import { loadConfig } from '../../src/config/config.js';
import type { Role } from '../../src/domain/roles.js';
import { startService, type RunningService } from '../../src/service.js';
import { generateDistrictSource } from '../../src/simulators/district-source.js';
import { startOneRosterServer } from '../../src/simulators/oneroster/oneroster-server.js';
import { createTestLogger } from '../support/logger.js';
import { TEST_SECRETS } from '../support/secrets.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Debian's Chromium (`.ci/run` installs it); CHROMIUM_PATH names another. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** What every page of these tests looks like: the README's pictures are taken at this size. */
export const VIEWPORT = { width: 1280, height: 900 };
/** The browser's clock: a district in the east, so the wizard's default time zone is not UTC. */
export const BROWSER_TIME_ZONE = 'America/New_York';

/** How long a page may take to show what a test waits for (a sync included). */
export const UI_TIMEOUT = 60_000;

export interface OneRosterSimulator {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Replaces the simulator's fault plan, e.g. `slow@users+0` (see src/simulators/oneroster/faults.ts). */
  setFaults(spec: string): void;
  /** The faults that fired since the plan was set. */
  firedFaults(): { kind: string; path: string }[];
  close(): Promise<void>;
}

/**
 * A OneRoster 1.1 REST simulator (OAuth 1.0a) serving a generated district of `students`; a
 * `slow` fault holds its answer for `slowMs`.
 */
export async function startOneRosterSimulator(
  students = 60,
  options: { slowMs?: number } = {},
): Promise<OneRosterSimulator> {
  const district = await generateDistrictSource({ students, seed: 11 });
  const clientId = `e2e-${randomBytes(4).toString('hex')}`;
  const clientSecret = randomBytes(18).toString('base64url');
  const server = await startOneRosterServer({
    source: district.source,
    port: 0,
    host: '127.0.0.1',
    clients: new Map([[clientId, clientSecret]]),
    signatureMethods: ['HMAC-SHA1', 'HMAC-SHA256'],
    ...(options.slowMs === undefined ? {} : { slowMs: options.slowMs }),
  });
  return {
    baseUrl: server.baseUrl,
    clientId,
    clientSecret,
    setFaults: (spec) => server.setFaults(spec),
    firedFaults: () => server.firedFaults(),
    async close() {
      await server.close();
      await district.cleanup();
    },
  };
}

/** A JSON call to the service's API as one principal; a non-2xx answer throws with its body. */
export type ApiCall = <T = unknown>(method: string, route: string, body?: unknown) => Promise<T>;

export interface Stack {
  /** The service's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  service: RunningService;
  browser: Browser;
  /** A bearer token the service accepts. */
  token(role: Role, tenant?: string): Promise<string>;
  /** The API as `role` (of `tenant`): what a test checks behind the UI's back. */
  api(role: Role, tenant?: string): Promise<ApiCall>;
  /** A signed-in page (its own browser context) on the integration list of `tenant`. */
  signedIn(role: Role, tenant?: string): Promise<Page>;
  close(): Promise<void>;
}

/**
 * The real service (API, worker, built UI) on a fresh embedded database in development mode, and
 * Debian's Chromium. Tokens are minted with the server's secret and handed over in the URL
 * fragment, as `sis-sync demo` does.
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sis-sync-e2e-'));
  const loaded = loadConfig({
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    SIS_SYNC_DATA_DIR: dataDir,
    JWT_SECRET: TEST_SECRETS.jwtSecret,
    SIS_SYNC_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    WORKER_POLL_INTERVAL: '200',
    // As in test/support/app.ts: the suites feed one tenant from several providers.
    SIS_SYNC_FIRST_RUN_REVIEW: 'false',
    ...env,
  });
  if (!loaded.ok) throw loaded.error;
  const service = await startService(loaded.value, createTestLogger('e2e-service'));
  let browser: Browser;
  try {
    browser = await launchBrowser();
  } catch (error) {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const url = service.url!;
  const contexts: BrowserContext[] = [];
  const token = (role: Role, tenant?: string) =>
    mintDevToken({
      secret: TEST_SECRETS.jwtSecret,
      role,
      tenantId: tenant,
      subject: `e2e-${role.toLowerCase().replace('_', '-')}`,
      ttlSeconds: 3600,
    });
  return {
    url,
    service,
    browser,
    token,
    async api(role, tenant) {
      return apiAs(url, await token(role, tenant));
    },
    async signedIn(role, tenant) {
      const context = await newContext(browser);
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${url}/integrations/sis/#token=${await token(role, tenant)}`);
      return page;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox'] });
}

/** A browser context as the tests use it: the README's viewport, US English, an eastern clock. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: VIEWPORT,
    locale: 'en-US',
    timezoneId: BROWSER_TIME_ZONE,
    acceptDownloads: true,
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  return context;
}

export function apiAs(url: string, token: string): ApiCall {
  return async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/api/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
}

export interface SignedInStack {
  stack: Stack;
  /** The API as the platform admin and as the tenant's district admin. */
  platform: ApiCall;
  district: ApiCall;
  /** A page signed in as the tenant's district admin. */
  page: Page;
}

/** A stack, the API as the platform admin and as `tenant`'s district admin, and a page signed in as the latter. */
export async function signedInStack(
  tenant: string,
  env: Record<string, string> = {},
): Promise<SignedInStack> {
  const stack = await startStack(env);
  return {
    stack,
    platform: await stack.api('PLATFORM_ADMIN'),
    district: await stack.api('DISTRICT_ADMIN', tenant),
    page: await stack.signedIn('DISTRICT_ADMIN', tenant),
  };
}

/** Waits for the run to end or be held; the run. */
export async function runToEnd<Run extends { status: string }>(
  api: ApiCall,
  runId: string,
  timeout = 60_000,
): Promise<Run> {
  let run: Run | undefined;
  await expect
    .poll(
      async () => {
        run = (await api<{ run: Run }>('GET', `/runs/${runId}`)).run;
        return run.status;
      },
      { timeout, interval: 250 },
    )
    .not.toMatch(/^(PENDING|IN_PROGRESS)$/);
  return run!;
}

/** Starts a sync through the API and waits for the run to end or be held; the run. */
export async function syncThroughApi<Run extends { status: string }>(
  api: ApiCall,
  providerId: string,
  timeout = 60_000,
): Promise<Run> {
  const { runId } = await api<{ runId: string }>('POST', `/providers/${providerId}/sync`);
  return runToEnd<Run>(api, runId, timeout);
}

/** Waits until the locator's one element is visible (Playwright's auto-waiting, without its test runner). */
export async function visible(locator: Locator, timeout = UI_TIMEOUT): Promise<Locator> {
  await locator.waitFor({ state: 'visible', timeout });
  return locator;
}

/** Waits until the locator matches nothing visible. */
export async function gone(locator: Locator, timeout = UI_TIMEOUT): Promise<void> {
  await locator.waitFor({ state: 'hidden', timeout });
}

/**
 * Saves a screenshot of the page: always under test-results/screenshots/, and into
 * docs/screenshots/ (the README's pictures) when UPDATE_SCREENSHOTS=1. The whole page; or, with a
 * modal dialog open (it sits over the screen and scrolls on its own), the screen made tall enough
 * for the whole dialog.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dirs = [path.join(ROOT, 'test-results/screenshots')];
  if (process.env.UPDATE_SCREENSHOTS === '1') dirs.push(path.join(ROOT, 'docs/screenshots'));
  const viewport = page.viewportSize() ?? VIEWPORT;
  // The dialog's height in full, plus the margin the UI keeps around it (max-height: 100vh - 48px).
  const dialog = page.locator('dialog[open]');
  const dialogHeight: number | null =
    (await dialog.count()) === 0 ? null : await dialog.first().evaluate((el) => el.scrollHeight);
  const height = dialogHeight === null ? viewport.height : Math.max(viewport.height, dialogHeight + 48);
  if (height !== viewport.height) await page.setViewportSize({ width: viewport.width, height });
  try {
    for (const dir of dirs) {
      mkdirSync(dir, { recursive: true });
      await page.screenshot({
        path: path.join(dir, `${name}.png`),
        fullPage: dialogHeight === null,
        animations: 'disabled',
        caret: 'hide',
      });
    }
  } finally {
    if (height !== viewport.height) await page.setViewportSize(viewport);
  }
}
