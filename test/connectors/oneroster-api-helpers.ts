import { afterAll, beforeAll, expect, it } from 'vitest';

import type { RunRow } from '../../src/repositories/runs-repository.js';
import {
  generateDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import {
  startOneRosterServer,
  type OneRosterServerOptions,
  type RunningOneRosterServer,
} from '../../src/simulators/oneroster/oneroster-server.js';
import { parseFaults } from '../../src/simulators/oneroster/faults.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { platformAdmin, rows, syncNow } from '../support/sync.js';

/** Test-speed HTTP settings: short waits, through the provider config as an admin would set them. */
export const FAST_HTTP = {
  timeoutMs: 400,
  maxRetries: 4,
  retryBaseMs: 1,
  retryMaxMs: 5,
  maxRetryAfterMs: 10,
};

export async function apiProvider(
  t: TestApp,
  tenantId: string,
  providerType: 'ONEROSTER_API' | 'CLASSLINK',
  config: Record<string, unknown>,
): Promise<string> {
  const view = await t.deps.providers.create(
    { principal: platformAdmin },
    { tenantId, providerType, name: `${providerType} ${tenantId}`, config },
  );
  return view.id;
}

/**
 * The canonical roster of a tenant without ids or timestamps: references are resolved to the
 * names, titles and usernames they point at, so two tenants holding the same district compare equal.
 */
export async function rosterDump(t: TestApp, tenantId: string): Promise<Record<string, unknown[]>> {
  const q = (sql: string) => rows(t, sql.replaceAll(':tenant', `'${tenantId}'`));
  return {
    schools: await q(`SELECT s.name, s.identifier, s.org_type, s.active, p.name AS parent FROM schools s
      LEFT JOIN schools p ON p.tenant_id = s.tenant_id AND p.id = s.parent_id WHERE s.tenant_id = :tenant ORDER BY 1, 2`),
    terms: await q(`SELECT title, term_type, start_date::text, end_date::text, school_year, active FROM terms
      WHERE tenant_id = :tenant ORDER BY 1, 2, 3`),
    courses:
      await q(`SELECT c.title, c.course_code, c.grades, c.subjects, c.subject_codes, c.active, s.name AS school
      FROM courses c LEFT JOIN schools s ON s.tenant_id = c.tenant_id AND s.id = c.school_id
      WHERE c.tenant_id = :tenant ORDER BY 2, 1, 7`),
    classes: await q(`SELECT c.title, c.class_code, c.class_type, c.location, c.grades, c.periods, c.active,
      co.course_code, s.name AS school, cardinality(c.term_ids) AS terms FROM classes c
      LEFT JOIN courses co ON co.tenant_id = c.tenant_id AND co.id = c.course_id
      LEFT JOIN schools s ON s.tenant_id = c.tenant_id AND s.id = c.school_id
      WHERE c.tenant_id = :tenant ORDER BY 2, 1, 9`),
    users:
      await q(`SELECT role, username, given_name, family_name, middle_name, email, identifier, sms, phone, grades,
      user_ids, enabled, active, cardinality(school_ids) AS schools FROM users WHERE tenant_id = :tenant ORDER BY 2, 1`),
    enrollments:
      await q(`SELECT u.username, c.class_code, e.role, e.is_primary, e.begin_date::text, e.end_date::text,
      e.active FROM enrollments e JOIN users u ON u.tenant_id = e.tenant_id AND u.id = e.user_id
      JOIN classes c ON c.tenant_id = e.tenant_id AND c.id = e.class_id WHERE e.tenant_id = :tenant ORDER BY 1, 2, 3`),
  };
}

/*
 * The fault matrix, shared by every OneRoster REST provider type (ONEROSTER_API, CLASSLINK): each
 * provider syncs once clean, then once with one fault injected. A fault either heals through
 * retries (SUCCESS) or leaves its entity incomplete with a message naming the request and its
 * offset (PARTIAL or FAILURE); either way nothing is deactivated because of it.
 */

/** Simulator settings for fault tests: a `slow` answer outlasts FAST_HTTP's timeout, a 429 asks for a wait FAST_HTTP caps. */
export const FAULT_SERVER_OPTIONS = {
  slowMs: 1500,
  retryAfterSeconds: 1,
} satisfies Partial<OneRosterServerOptions>;

export interface FaultFixture {
  t: TestApp;
  district: GeneratedDistrictSource;
  /** Verifies OAuth 1.0a HMAC-SHA256 for client `key` / `secret`, and issues OAuth 2 tokens to it. */
  server: RunningOneRosterServer;
}

/** A test app, a generated district and its signed simulator, for the file's tests (filled in beforeAll). */
export function useFaultFixture(): FaultFixture {
  const fixture = {} as FaultFixture;
  beforeAll(async () => {
    fixture.t = await createTestApp();
    fixture.district = await generateDistrictSource({ students: 120, seed: 5 });
    fixture.server = await startOneRosterServer({
      source: fixture.district.source,
      clients: new Map([['key', 'secret']]),
      signatureMethods: ['HMAC-SHA256'],
      ...FAULT_SERVER_OPTIONS,
    });
  });
  afterAll(async () => {
    await fixture.server.close();
    await fixture.t.close();
    await fixture.district.cleanup();
  });
  return fixture;
}

export type ApiProviderType = 'ONEROSTER_API' | 'CLASSLINK';

/** How a provider signs in for a fault case: OAuth 1.0a signatures, or OAuth 2 tokens (which can expire). */
export type FaultAuth = 'signed' | 'token';

export const HEALING_FAULTS: readonly (readonly [fault: string, auth: FaultAuth])[] = [
  ['429:3@users', 'signed'],
  // classes fit one page of 50: the fault hits the first request.
  ['500:2@classes+0', 'signed'],
  ['503:2', 'signed'],
  ['slow@enrollments', 'signed'],
  ['reset:2@users', 'signed'],
  ['truncate:2@enrollments', 'signed'],
  ['short@users', 'signed'],
  ['expire@users', 'token'],
];

/** Faults that outlast the retries: the entity they hit, and the message its incompleteness must carry. */
export const LASTING_FAULTS: readonly (readonly [fault: string, entity: string, message: RegExp])[] = [
  [
    '500:*@users',
    'users',
    /\/ims\/oneroster\/v1p1\/users at offset \d+: .*answered 500; gave up after 5 attempts/,
  ],
  [
    '429:*@courses+0',
    'courses',
    /\/ims\/oneroster\/v1p1\/courses at offset \d+: .*429.*gave up after 5 attempts/,
  ],
  [
    'noenvelope@enrollments',
    'enrollments',
    /\/ims\/oneroster\/v1p1\/enrollments at offset 50 answered 200 without a "enrollments" array/,
  ],
  [
    'slow:*@classes+0',
    'classes',
    /\/ims\/oneroster\/v1p1\/classes at offset \d+: .*timed out after 400 ms; gave up/,
  ],
];

export interface FaultyRun {
  run: RunRow;
  /** The roster after the clean sync and after the faulty one. */
  before: Record<string, unknown[]>;
  after: Record<string, unknown[]>;
  /** Records the faulty run deactivated, over all entities. */
  deactivated: number;
  /** Data requests the server answered for a collection during the faulty run, faults included. */
  requested: (collection: string) => number;
  /** The faults that fired during the faulty run. */
  fired: { kind: string; path: string }[];
}

/** A new provider syncs clean (SUCCESS), then again with `fault` injected into `server`. */
export async function cleanThenFaulty(
  t: TestApp,
  server: RunningOneRosterServer,
  provider: { type: ApiProviderType; tenant: string; config: Record<string, unknown> },
  fault: string,
): Promise<FaultyRun> {
  const id = await apiProvider(t, provider.tenant, provider.type, provider.config);
  server.setFaults('');
  const clean = await syncNow(t, id);
  expect(clean.errorMessage).toBeNull();
  expect(clean.status).toBe('SUCCESS');
  const before = await rosterDump(t, provider.tenant);
  const seen = new Map(server.requests);
  server.setFaults(fault);
  const run = await syncNow(t, id);
  const fired = server.firedFaults();
  server.setFaults('');
  const after = await rosterDump(t, provider.tenant);
  const deactivated = Object.values(run.stats).reduce((n, s) => n + (s?.deactivated ?? 0), 0);
  const requested = (collection: string) =>
    (server.requests.get(collection) ?? 0) - (seen.get(collection) ?? 0);
  return { run, before, after, deactivated, requested, fired };
}

export interface RunProblem {
  /** Null for the run's own message. */
  entity: string | null;
  code: string;
  message: string;
  /** Where the error was recorded (`offset=50`); null for the run's own message. */
  sourcePage: string | null;
}

/** The run's own message, then the errors it recorded. */
export async function runProblems(t: TestApp, run: RunRow): Promise<RunProblem[]> {
  const own: RunProblem[] =
    run.errorMessage === null
      ? []
      : [{ entity: null, code: run.errorCode ?? '', message: run.errorMessage, sourcePage: null }];
  const recorded = await rows<RunProblem>(
    t,
    `SELECT entity, code, message, source_page AS "sourcePage" FROM sis_sync_run_errors
      WHERE run_id = '${run.id}' ORDER BY entity, message`,
  );
  return [...own, ...recorded];
}

/** Registers the whole matrix for one provider type; `config` is its provider config against `f.server`. */
export function faultMatrix(
  f: FaultFixture,
  type: ApiProviderType,
  config: (auth: FaultAuth) => Record<string, unknown>,
): void {
  HEALING_FAULTS.forEach(([fault, auth], i) => {
    it(`${fault}: heals through retries`, async () => {
      const { run, before, after, deactivated, fired } = await cleanThenFaulty(
        f.t,
        f.server,
        { type, tenant: `heal-${i}`, config: config(auth) },
        fault,
      );
      expect(run.errorMessage).toBeNull();
      expect(run.status).toBe('SUCCESS');
      // Every planned firing happened: a fault that never fired would pass vacuously.
      const planned = parseFaults(fault).reduce((n, p) => n + p.remaining, 0);
      expect(fired.map((x) => `${x.kind}@${x.path}`)).toHaveLength(planned);
      expect(deactivated).toBe(0);
      expect(after).toEqual(before);
    });
  });

  LASTING_FAULTS.forEach(([fault, entity, message], i) => {
    it(`${fault}: leaves ${entity} incomplete with a precise message and deactivates nothing`, async () => {
      const { run, before, after, deactivated, fired } = await cleanThenFaulty(
        f.t,
        f.server,
        { type, tenant: `last-${i}`, config: config('signed') },
        fault,
      );
      expect(['PARTIAL', 'FAILURE']).toContain(run.status);
      expect(fired.length).toBeGreaterThan(0);
      expect(deactivated).toBe(0);
      expect(after).toEqual(before);
      const texts = (await runProblems(f.t, run)).map((p) => p.message);
      expect(
        texts.some((m) => message.test(m)),
        texts.join('\n'),
      ).toBe(true);
    });
  });
}
