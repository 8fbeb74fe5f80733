import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CleverHttpOptions } from '../../src/connectors/clever/clever-client.js';
import { createCleverConnector } from '../../src/connectors/clever/clever-connector.js';
import {
  startCleverSimulator,
  type RunningCleverSimulator,
} from '../../src/simulators/clever/clever-server.js';
import { FaultSpecError, parseFaultSpec } from '../../src/simulators/clever/faults.js';
import { datasetFromOneRoster } from '../../src/simulators/clever/from-oneroster.js';
import {
  generateDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { createTestLogger } from '../support/logger.js';
import { rows, syncNow } from '../support/sync.js';
import { activeCounts, cleverProvider, FAST_HTTP, useCleverHttp } from './clever-support.js';

/*
 * The fault matrix: each fault the simulator can inject, once into a pull of a district that
 * was synced clean before. Each ends in SUCCESS after retries, or in PARTIAL/FAILURE with a
 * message that names the request, and never deactivates anything because of the fault.
 */

let t: TestApp;
let district: GeneratedDistrictSource;
let sim: RunningCleverSimulator;
/** The connectors' HTTP options, changed per case (each run builds its connector anew). */
const http: CleverHttpOptions = { ...FAST_HTTP, settings: { ...FAST_HTTP.settings } };

beforeAll(async () => {
  t = await createTestApp();
  // The matrix faults the data endpoints, so every pull here is a full one (the engine would
  // otherwise hand the connector its checkpoint and the pull would read events only).
  useCleverHttp(t, http, { fullPulls: true });
  district = await generateDistrictSource({ students: 120, seed: 5 });
  sim = await startCleverSimulator({ dataset: datasetFromOneRoster(district.source) });
});
afterAll(async () => {
  await sim.close();
  await t.close();
  await district.cleanup();
});

interface Case {
  spec: string;
  status: 'SUCCESS' | 'PARTIAL' | 'FAILURE';
  /** Run error messages that must appear (PARTIAL/FAILURE). */
  messages?: RegExp[];
  incomplete?: string[];
  timeoutMs?: number;
}

const CASES: Case[] = [
  { spec: '429x3@2', status: 'SUCCESS' },
  { spec: '503x2@3', status: 'SUCCESS' },
  { spec: '502@4,504@6', status: 'SUCCESS' },
  { spec: 'slow=300x2@2', status: 'SUCCESS', timeoutMs: 150 },
  { spec: 'resetx2@3', status: 'SUCCESS' },
  { spec: 'truncatex2@4', status: 'SUCCESS' },
  { spec: 'token-expiry@5', status: 'SUCCESS' },
  {
    spec: '500x8~/v3.0/sections',
    status: 'PARTIAL',
    incomplete: ['classes', 'enrollments'],
    messages: [
      /^Clever: GET \/v3\.0\/sections answered 500; gave up after 4 attempts \[page \/v3\.0\/sections\?limit=50\]; the classes pull stopped there; nothing of classes is deactivated in this run$/,
      /^Clever: GET \/v3\.0\/sections answered 500; gave up after 4 attempts \[page \/v3\.0\/sections\?limit=50\]; the enrollments pull stopped there; nothing of enrollments is deactivated in this run$/,
    ],
  },
  {
    spec: '500x4@3~/v3.0/users',
    status: 'PARTIAL',
    incomplete: ['users'],
    messages: [
      /^Clever: GET \/v3\.0\/users answered 500; gave up after 4 attempts \[page \/v3\.0\/users\?limit=50&role=contact&starting_after=[0-9a-f]{24}\]; the users pull stopped there; nothing of users is deactivated in this run$/,
    ],
  },
  {
    spec: 'short-page@2~/v3.0/users',
    status: 'PARTIAL',
    incomplete: ['users'],
    messages: [
      /^Clever: GET \/v3\.0\/users\?limit=50&role=contact&starting_after=[0-9a-f]{24} returned 25 records, fewer than the 50 asked for, yet linked a next page: records may be missing from it; nothing of users is deactivated in this run$/,
    ],
  },
  {
    spec: '500xall~/v3.0/users',
    status: 'PARTIAL',
    incomplete: ['users'],
    messages: [
      /^Clever: GET \/v3\.0\/users answered 500; gave up after 4 attempts \[page \/v3\.0\/users\?limit=50&role=contact\]/,
    ],
  },
  {
    spec: 'slow=300xall~/v3.0/terms',
    status: 'PARTIAL',
    timeoutMs: 100,
    incomplete: ['terms'],
    messages: [/^Clever: GET \/v3\.0\/terms timed out after 100 ms; gave up after 4 attempts/],
  },
  {
    spec: '429xall@2',
    status: 'FAILURE',
    incomplete: ['schools', 'terms', 'courses', 'classes', 'users', 'enrollments'],
    messages: [/answered 429 \(rate limited\); gave up after 4 attempts/],
  },
];

describe(`Clever fault matrix on ${driver}`, () => {
  it.each(CASES)('$spec ends in $status and deactivates nothing', async (c) => {
    const tenant = `fault-${c.spec.replace(/[^a-z0-9]+/gi, '-')}`.toLowerCase();
    const providerId = await cleverProvider(t, tenant, sim);
    http.settings = { ...FAST_HTTP.settings };
    sim.setFaults([]);
    const clean = await syncNow(t, providerId);
    expect(clean.status).toBe('SUCCESS');
    const before = await activeCounts(t, tenant);

    http.settings = {
      ...FAST_HTTP.settings,
      ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }),
    };
    sim.setFaults(parseFaultSpec(c.spec));
    const run = await syncNow(t, providerId);
    // Every fault of the spec really happened.
    for (const { spec, fired } of sim.faultsFired()) expect(fired, spec.kind).toBeGreaterThan(0);
    sim.setFaults([]);

    const errors = await rows<{ message: string; severity: string; entity: string | null }>(
      t,
      `SELECT message, severity, entity FROM sis_sync_run_errors WHERE run_id = '${run.id}' ORDER BY id`,
    );
    const failures = errors.filter((e) => e.severity === 'error');
    expect(run.status, JSON.stringify({ run: run.errorMessage, failures })).toBe(c.status);
    if (c.status === 'SUCCESS') expect(failures).toEqual([]);
    expect([...(run.incompleteEntities ?? [])].sort()).toEqual([...(c.incomplete ?? [])].sort());
    for (const pattern of c.messages ?? []) {
      expect(
        failures.some((e) => pattern.test(e.message)),
        `${pattern} in ${JSON.stringify(failures)}`,
      ).toBe(true);
    }
    for (const stats of Object.values(run.stats ?? {})) {
      expect(stats).toMatchObject({ deactivated: 0 });
    }
    expect(await activeCounts(t, tenant)).toEqual(before);
    // Nothing but the fault was wrong: the next clean pull changes nothing.
    const after = await syncNow(t, providerId);
    expect(after.status).toBe('SUCCESS');
    for (const stats of Object.values(after.stats)) {
      expect(stats).toMatchObject({ created: 0, deactivated: 0, reactivated: 0 });
    }
  });

  it('waits out a spent X-RateLimit bucket instead of hammering it into 429s', async () => {
    // The simulator's clock is real time plus every wait the connector asked for.
    let skew = 0;
    const dataset = datasetFromOneRoster(district.source);
    const local = await startCleverSimulator({
      dataset,
      rateLimitPerMinute: 4,
      now: () => Date.now() + skew,
    });
    const waits: number[] = [];
    try {
      const connector = createCleverConnector(
        { accessToken: local.accessToken(), baseUrl: local.baseUrl },
        {
          logger: createTestLogger(),
          http: {
            ...FAST_HTTP,
            // Simulated time: a wait moves the simulator's clock on, no real second passes.
            sleep: (ms) => {
              waits.push(ms);
              skew += ms;
              return Promise.resolve();
            },
          },
        },
      );
      const session = await connector.open({
        signal: new AbortController().signal,
        logger: createTestLogger(),
      });
      let users = 0;
      for await (const batch of session.extract('users', (p) => expect.fail(JSON.stringify(p)))) {
        users += batch.records.length;
      }
      expect(users).toBe(dataset.users.length);
      const served = local.requests().filter((r) => r.path.startsWith('/v3.0'));
      expect(served.length).toBeGreaterThan(8);
      expect(served.filter((r) => r.status === 429)).toEqual([]);
      expect(waits.length).toBeGreaterThanOrEqual(Math.floor(served.length / 4) - 1);
    } finally {
      await local.close();
    }
  });

  it('counts faults the way the spec says, per path and from a position', () => {
    expect(parseFaultSpec('429x3@2, 503~/v3.0/users ,slow=250xall,short-page')).toEqual([
      { kind: '429', value: null, count: 3, at: 2, path: null },
      { kind: '503', value: null, count: 1, at: 1, path: '/v3.0/users' },
      { kind: 'slow', value: 250, count: Infinity, at: 1, path: null },
      { kind: 'short-page', value: null, count: 1, at: 1, path: null },
    ]);
    expect(() => parseFaultSpec('429,teapot')).toThrow(FaultSpecError);
    expect(() => parseFaultSpec('429,teapot')).toThrow(/"teapot" is not a fault/);
  });
});
