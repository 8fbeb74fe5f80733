import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';

import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { buildApp, type AppDeps } from '../../src/api/app.js';
import { defaultWebRoot } from '../../src/api/plugins/web-ui.js';
import { devTokenSettings } from '../../src/api/routes/dev-token.js';
import type { ApiInstance } from '../../src/api/types.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  createRun,
  insertRunErrors,
  transitionRun,
  type NewRunError,
} from '../../src/repositories/runs-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { providerBody } from '../support/factories.js';
import { createTestLogger } from '../support/logger.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider } from '../support/sync.js';

/*
 * What the admin UI needs from the server: who the token is (/me), a development sign-in
 * (/dev/token, this machine only, never in production), schedule previews, filtered run errors
 * and their CSV export, and the built UI itself under /integrations/sis/.
 */

const OWN = 'lincoln';
const OTHER = 'jefferson';

let t: TestApp;
let admin: string;
let otherAdmin: string;
let platform: string;
const apps: ApiInstance[] = [];
const tempDirs: string[] = [];

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.token('DISTRICT_ADMIN', OWN, { subject: 'dana@lincoln' });
  otherAdmin = await t.token('DISTRICT_ADMIN', OTHER);
  platform = await t.token('PLATFORM_ADMIN', undefined, { subject: 'ops@platform' });
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await t.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(inject('workDir'), prefix));
  tempDirs.push(dir);
  return dir;
};

/** Another app over the test app's services, with the options under test. */
async function appWith(options: Partial<AppDeps> = {}): Promise<ApiInstance> {
  const app = await buildApp({
    logger: createTestLogger(),
    version: 'test',
    verifyToken: t.deps.verifyToken,
    readiness: t.deps.readiness,
    providers: t.deps.providers,
    runs: t.deps.runs,
    roster: t.deps.roster,
    webhooks: t.deps.webhooks,
    metrics: { source: t.deps.metrics, token: undefined },
    webRoot: tempDir('no-web-'),
    ...options,
  });
  await app.ready();
  apps.push(app);
  return app;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function expectError(
  res: { statusCode: number; body: string; headers: Record<string, unknown>; json<T>(): T },
  status: number,
  code: string,
) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<{
    error: { code: string; message: string; requestId: string; details?: { issues?: unknown[] } };
  }>();
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  return body.error;
}

describe(`GET /api/v1/me on ${driver}`, () => {
  it("answers a district admin's subject, roles and tenant", async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(admin) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ subject: 'dana@lincoln', roles: ['DISTRICT_ADMIN'], tenantId: OWN });
  });

  it('answers null as the tenant of a platform admin without one', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(platform) });
    expect(res.json()).toEqual({ subject: 'ops@platform', roles: ['PLATFORM_ADMIN'], tenantId: null });
  });

  it('needs a valid bearer token', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me' }), 401, 'unauthorized');
    expectError(
      await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer('not-a-jwt') }),
      401,
      'invalid_token',
    );
  });
});

describe(`POST /api/v1/dev/token on ${driver}`, () => {
  let app: ApiInstance;
  const logged: string[] = [];
  beforeAll(async () => {
    const capture = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString());
        done();
      },
    });
    app = await appWith({
      devTokens: devTokenSettings(t.config),
      logger: createLogger({ level: 'info', destination: capture }),
    });
  });

  const mint = (
    payload: Record<string, unknown>,
    options: { remoteAddress?: string; headers?: object } = {},
  ) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/dev/token',
      payload,
      ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
      headers: { 'content-type': 'application/json', ...options.headers },
    });

  it('mints an 8-hour token on this machine, without a bearer token, that reaches /me', async () => {
    const before = Date.now();
    const res = await mint({ role: 'DISTRICT_ADMIN', tenantId: 'demo', subject: 'trial@demo' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const { token, expiresAt } = res.json<{ token: string; expiresAt: string }>();
    const ttl = Date.parse(expiresAt) - before;
    expect(ttl).toBeGreaterThan(8 * 3600_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(8 * 3600_000 + 1_000);
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
    expect(me.json()).toEqual({ subject: 'trial@demo', roles: ['DISTRICT_ADMIN'], tenantId: 'demo' });
  });

  it('mints a platform admin token, subject dev-admin by default', async () => {
    const res = await mint({ role: 'PLATFORM_ADMIN' });
    expect(res.statusCode, res.body).toBe(200);
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: bearer(res.json<{ token: string }>().token),
    });
    expect(me.json()).toEqual({ subject: 'dev-admin', roles: ['PLATFORM_ADMIN'], tenantId: null });
  });

  it('answers every loopback address: 127.0.0.0/8, ::1 and IPv4-mapped', async () => {
    for (const remoteAddress of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      const res = await mint({ role: 'PLATFORM_ADMIN' }, { remoteAddress });
      expect(res.statusCode, remoteAddress).toBe(200);
    }
  });

  it('needs a tenant for a district admin', async () => {
    const error = expectError(await mint({ role: 'DISTRICT_ADMIN' }), 400, 'validation_failed');
    expect(error.details?.issues).toEqual([
      { path: 'tenantId', message: 'is required for a DISTRICT_ADMIN token' },
    ]);
    const bad = expectError(await mint({ role: 'SUPERUSER', tenantId: 'x y' }), 400, 'validation_failed');
    expect(bad.details?.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'role' }),
        expect.objectContaining({ path: 'tenantId' }),
      ]),
    );
  });

  it('logs that a token was minted, for which role and tenant, never the token', async () => {
    logged.length = 0;
    const res = await mint({ role: 'DISTRICT_ADMIN', tenantId: 'demo' });
    const { token } = res.json<{ token: string }>();
    const line = logged.find((l) => l.includes('minted a development token'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 30, role: 'DISTRICT_ADMIN', tenantId: 'demo' });
    const all = logged.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain('eyJ');
  });

  it('GET /sign-in-options offers it to this machine only, and never where it does not exist', async () => {
    const ask = (target: ApiInstance, remoteAddress?: string, headers: Record<string, string> = {}) =>
      target.inject({
        method: 'GET',
        url: '/api/v1/sign-in-options',
        headers,
        ...(remoteAddress === undefined ? {} : { remoteAddress }),
      });
    const local = await ask(app, '127.0.0.1');
    expect(local.statusCode).toBe(200);
    expect(local.json()).toEqual({ devTokens: true });
    expect(local.headers['cache-control']).toBe('no-store');
    expect((await ask(app, '10.1.2.3')).json()).toEqual({ devTokens: false });
    expect((await ask(app, '127.0.0.1', { 'x-forwarded-for': '203.0.113.9' })).json()).toEqual({
      devTokens: false,
    });
    expect((await ask(await appWith(), '127.0.0.1')).json()).toEqual({ devTokens: false });
  });

  it('is a route that does not exist for a caller on another machine, whatever it sends', async () => {
    const missing = await appWith();
    const absent = await missing.inject({ method: 'POST', url: '/api/v1/dev/token', payload: {} });
    for (const remoteAddress of ['10.1.2.3', '192.168.0.5', '2001:db8::1', '::ffff:10.0.0.1', '128.0.0.1']) {
      for (const payload of [{ role: 'PLATFORM_ADMIN' }, { nonsense: true }]) {
        const res = await mint(payload, { remoteAddress });
        expect(res.statusCode, remoteAddress).toBe(404);
        expect(res.json().error.message).toBe(absent.json().error.message);
        expect(res.json().error.code).toBe('not_found');
      }
    }
  });

  it('is refused when a proxy relayed the request, even from loopback', async () => {
    for (const headers of [
      { 'x-forwarded-for': '203.0.113.9' },
      { forwarded: 'for=203.0.113.9' },
      { 'x-real-ip': '203.0.113.9' },
    ]) {
      expectError(await mint({ role: 'PLATFORM_ADMIN' }, { headers }), 404, 'not_found');
    }
  });

  it('does not exist in production, nor when tokens come from an identity provider', async () => {
    expect(devTokenSettings({ ...t.config, nodeEnv: 'production' })).toBeUndefined();
    expect(
      devTokenSettings({
        ...t.config,
        jwt: { ...t.config.jwt, jwksUrl: 'https://idp.example.org/jwks.json' },
      }),
    ).toBeUndefined();
    expect(devTokenSettings({ ...t.config, jwt: { ...t.config.jwt, secret: undefined } })).toBeUndefined();
    const production = await appWith({ devTokens: devTokenSettings({ ...t.config, nodeEnv: 'production' }) });
    const res = await production.inject({
      method: 'POST',
      url: '/api/v1/dev/token',
      payload: { role: 'PLATFORM_ADMIN' },
    });
    expect(expectError(res, 404, 'not_found').message).toBe('no route POST /api/v1/dev/token');
  });

  it('is in the OpenAPI document where it exists, and only there', async () => {
    const withRoute = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(withRoute.paths)).toContain('/api/v1/dev/token');
    expect(withRoute.paths['/api/v1/dev/token'].post.security).toBeUndefined();
    const without = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(without.paths)).not.toContain('/api/v1/dev/token');
  });
});

describe(`GET /api/v1/schedule-preview on ${driver}`, () => {
  let app: ApiInstance;
  beforeAll(async () => {
    // A Friday noon in Chicago's winter; its time changes to summer time on Sunday, 14 March 2027.
    app = await appWith({ now: () => new Date('2027-03-12T18:00:00Z') });
  });
  const preview = (query: string, token = admin) =>
    app.inject({ method: 'GET', url: `/api/v1/schedule-preview?${query}`, headers: bearer(token) });

  it('explains a preset in plain English and lists its next 5 runs, across a DST change', async () => {
    const res = await preview('schedule=weekdays&timezone=America/Chicago');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      schedule: 'weekdays',
      cron: '0 2 * * 1-5',
      timezone: 'America/Chicago',
      preset: 'weekdays',
      description: 'At 02:00 AM, Monday through Friday, America/Chicago time',
      // 02:00 daylight time is 07:00 UTC (it was 08:00 UTC the week before).
      nextRuns: [
        '2027-03-15T07:00:00.000Z',
        '2027-03-16T07:00:00.000Z',
        '2027-03-17T07:00:00.000Z',
        '2027-03-18T07:00:00.000Z',
        '2027-03-19T07:00:00.000Z',
      ],
    });
  });

  it('takes a cron expression, in UTC by default, as the scheduler reads it', async () => {
    const res = await preview(`schedule=${encodeURIComponent(' 30  6,18 * * * ')}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      schedule: '30  6,18 * * *',
      cron: '30 6,18 * * *',
      timezone: 'UTC',
      preset: null,
      description: 'At 06:30 AM and 06:30 PM, UTC time',
      nextRuns: [
        '2027-03-12T18:30:00.000Z',
        '2027-03-13T06:30:00.000Z',
        '2027-03-13T18:30:00.000Z',
        '2027-03-14T06:30:00.000Z',
        '2027-03-14T18:30:00.000Z',
      ],
    });
  });

  it('describes each preset from the cron it runs on', async () => {
    const described: Record<string, string> = {};
    for (const preset of ['hourly', 'every-6-hours', 'twice-daily', 'daily', 'weekly']) {
      described[preset] = (await preview(`schedule=${preset}&timezone=Europe/Berlin`)).json().description;
    }
    expect(described).toEqual({
      hourly: 'Every hour, Europe/Berlin time',
      'every-6-hours': 'On the hour, every 6 hours, Europe/Berlin time',
      'twice-daily': 'At 02:00 AM and 02:00 PM, Europe/Berlin time',
      daily: 'At 02:00 AM, Europe/Berlin time',
      weekly: 'At 02:00 AM, only on Sunday, Europe/Berlin time',
    });
  });

  it('refuses what the provider API refuses, with the same messages', async () => {
    const cases = [
      { query: 'schedule=61 * * * *', path: 'schedule', body: { syncSchedule: '61 * * * *' } },
      { query: 'schedule=0 2 * *', path: 'schedule', body: { syncSchedule: '0 2 * *' } },
      { query: 'schedule=0 0 31 2 *', path: 'schedule', body: { syncSchedule: '0 0 31 2 *' } },
      {
        query: 'schedule=daily&timezone=Mars/Olympus',
        path: 'timezone',
        body: { syncTimezone: 'Mars/Olympus' },
      },
    ];
    for (const c of cases) {
      const error = expectError(await preview(encodeURI(c.query)), 400, 'validation_failed');
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/providers',
        headers: bearer(admin),
        payload: providerBody(OWN, 'CLEVER', c.body),
      });
      const providerIssue = expectError(created, 400, 'validation_failed').details?.issues?.[0] as {
        message: string;
      };
      expect(error.details?.issues, c.query).toEqual([{ path: c.path, message: providerIssue.message }]);
    }
  });

  it('needs a schedule and a bearer token', async () => {
    const missing = expectError(
      await app.inject({ method: 'GET', url: '/api/v1/schedule-preview', headers: bearer(admin) }),
      400,
      'validation_failed',
    );
    expect(missing.details?.issues).toEqual([{ path: 'schedule', message: 'is required' }]);
    expectError(
      await app.inject({ method: 'GET', url: '/api/v1/schedule-preview?schedule=daily' }),
      401,
      'unauthorized',
    );
  });
});

describe(`run errors: filters and CSV export on ${driver}`, () => {
  let runId: string;
  let otherRunId: string;

  /** A run of a provider of the tenant (never executed: its rows are written here). */
  async function runOf(tenantId: string): Promise<string> {
    const providerId = await csvProvider(t, tenantId, writePackage(smallDistrict()));
    const created = await createRun(t.handle.db, {
      tenantId,
      providerId,
      trigger: 'MANUAL',
      triggeredBy: 'test',
      dryRun: false,
    });
    if (!created.created) throw new Error('the provider already had a run');
    await transitionRun(t.handle.db, created.run.id, 'PENDING', 'CANCELLED', { finishedAt: new Date() });
    return created.run.id;
  }

  const error = (id: string, over: Partial<NewRunError> = {}): NewRunError => ({
    runId: id,
    tenantId: OWN,
    entity: 'users',
    externalId: 'u-1',
    sourceFile: 'users.csv',
    sourceLine: 2,
    sourcePage: null,
    field: 'email',
    code: 'invalid_value',
    message: 'email is not an address',
    severity: 'error',
    ...over,
  });

  beforeAll(async () => {
    runId = await runOf(OWN);
    otherRunId = await runOf(OTHER);
    await insertRunErrors(t.handle.db, [
      error(runId),
      error(runId, {
        externalId: 'u-2',
        severity: 'warning',
        code: 'missing_reference',
        field: 'orgSourcedIds',
      }),
      error(runId, {
        entity: 'classes',
        externalId: 'c-1',
        sourceFile: 'classes.csv',
        code: 'missing_required',
      }),
      error(runId, { entity: 'classes', externalId: 'c-2', severity: 'warning', code: 'missing_reference' }),
      error(runId, {
        entity: null,
        externalId: null,
        sourceFile: null,
        sourceLine: null,
        code: 'empty_file',
      }),
      error(otherRunId, { tenantId: OTHER, externalId: 'secret-of-jefferson' }),
    ]);
  });

  const detail = (query: string, token = admin) =>
    t.app.inject({ method: 'GET', url: `/api/v1/runs/${runId}?${query}`, headers: bearer(token) });
  const csv = (id: string, query = '', token = admin) =>
    t.app.inject({ method: 'GET', url: `/api/v1/runs/${id}/errors.csv?${query}`, headers: bearer(token) });
  const records = (body: string) => parse<Record<string, string>>(body, { columns: true });

  it('filters the errors page by entity, severity and code, counting what the filter keeps', async () => {
    const all = (await detail('')).json().errors;
    expect(all.total).toBe(5);
    const cases: [string, string[]][] = [
      ['entity=users', ['u-1', 'u-2']],
      ['severity=warning', ['u-2', 'c-2']],
      ['code=missing_reference', ['u-2', 'c-2']],
      ['entity=classes&severity=warning&code=missing_reference', ['c-2']],
      ['entity=classes&code=invalid_value', []],
    ];
    for (const [query, ids] of cases) {
      const res = await detail(query);
      expect(res.statusCode, res.body).toBe(200);
      const errors = res.json().errors;
      expect(
        errors.items.map((e: { externalId: string }) => e.externalId),
        query,
      ).toEqual(ids);
      expect(errors.total, query).toBe(ids.length);
    }
  });

  it('pages the filtered errors with the existing paging parameters', async () => {
    const res = await detail('severity=error&errorsLimit=2&errorsOffset=1');
    const errors = res.json().errors;
    expect(errors).toMatchObject({ total: 3, limit: 2, offset: 1 });
    expect(errors.items.map((e: { externalId: string | null }) => e.externalId)).toEqual(['c-1', null]);
  });

  it('refuses filters that cannot match', async () => {
    const error = expectError(await detail('severity=fatal&entity=pupils'), 400, 'validation_failed');
    expect(error.details?.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'severity' }),
        expect.objectContaining({ path: 'entity' }),
      ]),
    );
    expectError(await csv(runId, 'severity=fatal'), 400, 'validation_failed');
  });

  it('exports the errors as a CSV attachment with the same filters', async () => {
    const res = await csv(runId);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="run-${runId}-errors.csv"`);
    expect(res.body.split('\r\n')[0]).toBe('severity,entity,externalId,file,line,page,field,code,message');
    expect(records(res.body)).toEqual([
      {
        severity: 'error',
        entity: 'users',
        externalId: 'u-1',
        file: 'users.csv',
        line: '2',
        page: '',
        field: 'email',
        code: 'invalid_value',
        message: 'email is not an address',
      },
      expect.objectContaining({ externalId: 'u-2', severity: 'warning' }),
      expect.objectContaining({ externalId: 'c-1', entity: 'classes' }),
      expect.objectContaining({ externalId: 'c-2' }),
      expect.objectContaining({ externalId: '', entity: '', code: 'empty_file', line: '' }),
    ]);
    const filtered = records((await csv(runId, 'entity=classes&severity=warning')).body);
    expect(filtered.map((r) => r.externalId)).toEqual(['c-2']);
    const none = await csv(runId, 'code=nothing_like_it');
    expect(none.body).toBe('severity,entity,externalId,file,line,page,field,code,message\r\n');
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', async () => {
    const id = await runOf(OWN);
    const message = 'name "Smith, Jr." spans\ntwo lines\r\nand a comma, too';
    await insertRunErrors(t.handle.db, [error(id, { message, externalId: 'a,b', field: 'say "hi"' })]);
    const res = await csv(id);
    expect(res.body).toContain('"a,b"');
    expect(res.body).toContain('"say ""hi"""');
    expect(res.body).toContain(`"name ""Smith, Jr."" spans\ntwo lines\r\nand a comma, too"`);
    expect(records(res.body)).toEqual([
      expect.objectContaining({ externalId: 'a,b', field: 'say "hi"', message }),
    ]);
  });

  it('defuses every cell that a spreadsheet would run as a formula', async () => {
    const id = await runOf(OWN);
    const dangerous = [
      '=HYPERLINK("http://evil.example","x")',
      '+1+2',
      '-2+3',
      '@SUM(A1:A2)',
      '\t=1',
      '\r=1',
    ];
    await insertRunErrors(
      t.handle.db,
      dangerous.map((value, i) =>
        error(id, {
          externalId: value,
          message: value,
          field: `safe ${i}`,
          sourcePage: i === 0 ? '=page' : null,
        }),
      ),
    );
    const parsed = records((await csv(id)).body);
    expect(parsed.map((r) => r.externalId)).toEqual(dangerous.map((v) => `'${v}`));
    expect(parsed.map((r) => r.message)).toEqual(dangerous.map((v) => `'${v}`));
    expect(parsed[0]!.page).toBe("'=page");
    // Harmless cells are left as they were.
    expect(parsed.map((r) => r.field)).toEqual(dangerous.map((_, i) => `safe ${i}`));
    expect(parsed[0]!.line).toBe('2');
  });

  it("is not found for another tenant's run, nor for a run that does not exist", async () => {
    expectError(await csv(otherRunId), 404, 'not_found');
    expectError(await detail('entity=users', otherAdmin), 404, 'not_found');
    expectError(await csv('00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expectError(await csv(runId, '', 'not-a-jwt'), 401, 'invalid_token');
    const platformView = records((await csv(otherRunId, '', platform)).body);
    expect(platformView.map((r) => r.externalId)).toEqual(['secret-of-jefferson']);
  });

  it('exports every error of a run with many, in id order', { timeout: 120_000 }, async () => {
    const id = await runOf(OWN);
    const many = Array.from({ length: 12_000 }, (_, i) =>
      error(id, {
        externalId: `u-${i}`,
        sourceLine: i + 2,
        severity: i % 3 === 0 ? 'warning' : 'error',
      }),
    );
    await insertRunErrors(t.handle.db, many);
    const res = await csv(id);
    expect(res.statusCode).toBe(200);
    const parsed = records(res.body);
    expect(parsed).toHaveLength(12_000);
    expect(parsed.map((r) => r.externalId)).toEqual(many.map((e) => e.externalId));
    const warnings = records((await csv(id, 'severity=warning')).body);
    expect(warnings).toHaveLength(4_000);
    expect((await detail('', admin)).json().errors.total).toBe(5);
  });
});

describe(`the admin UI under /integrations/sis/ on ${driver}`, () => {
  const INDEX =
    '<!doctype html><html><body><div id="root"></div><script type="module" src="/integrations/sis/assets/index-Bx12cd.js"></script></body></html>';
  const SCRIPT = 'console.log("admin ui");';
  let webRoot: string;
  let app: ApiInstance;

  beforeAll(async () => {
    webRoot = tempDir('web-');
    mkdirSync(path.join(webRoot, 'assets'));
    writeFileSync(path.join(webRoot, 'index.html'), INDEX);
    writeFileSync(path.join(webRoot, 'assets', 'index-Bx12cd.js'), SCRIPT);
    writeFileSync(path.join(webRoot, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(path.join(webRoot, '.env'), 'SECRET=1');
    app = await appWith({ webRoot });
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers });

  function expectIndex(res: Awaited<ReturnType<typeof get>>) {
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toBe(INDEX);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
  }

  it('serves index.html at /integrations/sis/ with a content security policy', async () => {
    const res = await get('/integrations/sis/');
    expectIndex(res);
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
    );
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers a deep link with index.html, so the page survives a reload', async () => {
    for (const url of [
      '/integrations/sis/providers',
      '/integrations/sis/providers/5b0c/runs/9f1e?tab=errors',
      '/integrations/sis/index.html',
      '/integrations/sis/assets',
    ]) {
      expectIndex(await get(url));
    }
  });

  it('serves hashed assets for a year, immutable, and other files to be revalidated', async () => {
    const script = await get('/integrations/sis/assets/index-Bx12cd.js');
    expect(script.statusCode).toBe(200);
    expect(script.body).toBe(SCRIPT);
    expect(script.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    const icon = await get('/integrations/sis/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toContain('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
    const etag = icon.headers.etag as string;
    expect((await get('/integrations/sis/favicon.svg', { 'if-none-match': etag })).statusCode).toBe(304);
  });

  it('answers a missing asset with 404, not with the page', async () => {
    expectError(await get('/integrations/sis/assets/index-gone.js'), 404, 'not_found');
  });

  it('never serves a file outside the build, nor a dotfile', async () => {
    for (const url of [
      '/integrations/sis/..%2f..%2fpackage.json',
      '/integrations/sis/%2e%2e/%2e%2e/package.json',
      '/integrations/sis/.env',
    ]) {
      const res = await get(url);
      expect(res.body, url).not.toContain('SECRET=1');
      expect(res.body, url).not.toContain('"name"');
    }
  });

  it('redirects /integrations/sis and / to /integrations/sis/', async () => {
    const bare = await get('/integrations/sis');
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe('/integrations/sis/');
    const withQuery = await get('/integrations/sis?lang=en');
    expect(withQuery.headers.location).toBe('/integrations/sis/?lang=en');
    const root = await get('/');
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/integrations/sis/');
  });

  it('answers 503 while the UI is not built, and serves it once it is', async () => {
    const later = tempDir('web-later-');
    const unbuilt = await appWith({ webRoot: path.join(later, 'web') });
    for (const url of ['/integrations/sis/', '/integrations/sis/providers/1']) {
      const res = await unbuilt.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.body).toBe('The admin UI is not built: run `npm run build`');
    }
    mkdirSync(path.join(later, 'web'));
    writeFileSync(path.join(later, 'web', 'index.html'), INDEX);
    expect((await unbuilt.inject({ method: 'GET', url: '/integrations/sis/' })).body).toBe(INDEX);
  });

  it('leaves the API, its errors and /docs as they were', async () => {
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(admin) });
    expect(me.statusCode).toBe(200);
    expect(me.headers['content-security-policy']).toBeUndefined();
    expectError(await get('/api/v1/nothing'), 404, 'not_found');
    expectError(await app.inject({ method: 'POST', url: '/integrations/sis/providers' }), 404, 'not_found');
    const docs = await get('/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    expect(docs.body).toContain('swagger');
    expect((await get('/healthz')).json()).toEqual({ status: 'ok' });
  });

  it('keeps the UI out of the OpenAPI document, and lists the new API routes', async () => {
    const doc = (await get('/openapi.json')).json();
    const paths = Object.keys(doc.paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/api/v1/me', '/api/v1/schedule-preview', '/api/v1/runs/{runId}/errors.csv']),
    );
    expect(paths.filter((p) => p === '/' || p.startsWith('/integrations'))).toEqual([]);
    expect(Object.keys(doc.paths['/api/v1/runs/{runId}/errors.csv'].get.responses['200'].content)).toEqual([
      'text/csv',
    ]);
  });

  it('finds the build of this package by default', () => {
    expect(defaultWebRoot()).toMatch(/[/\\]dist[/\\]web$/);
  });
});
