import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  generateDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import {
  startOneRosterServer,
  type RunningOneRosterServer,
} from '../../src/simulators/oneroster/oneroster-server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { rows, syncNow } from '../support/sync.js';
import { FAST_HTTP, apiProvider, rosterDump } from './oneroster-api-helpers.js';

/*
 * The fault matrix: every provider syncs once clean, then once with one fault injected. A fault
 * either heals through retries (SUCCESS) or leaves its entity incomplete with a message naming
 * the request (PARTIAL or FAILURE); either way nothing is deactivated because of it.
 */

let t: TestApp;
let district: GeneratedDistrictSource;
let server: RunningOneRosterServer;

beforeAll(async () => {
  t = await createTestApp();
  district = await generateDistrictSource({ students: 120, seed: 5 });
  server = await startOneRosterServer({
    source: district.source,
    clients: new Map([['key', 'secret']]),
    signatureMethods: ['HMAC-SHA256'],
    slowMs: 1500,
    retryAfterSeconds: 1,
  });
});
afterAll(async () => {
  await server.close();
  await t.close();
  await district.cleanup();
});

const oauth1 = () => ({
  baseUrl: server.baseUrl,
  clientId: 'key',
  clientSecret: 'secret',
  pageSize: 50,
  http: FAST_HTTP,
});
const oauth2 = () => ({ ...oauth1(), authMethod: 'oauth2', tokenUrl: server.tokenUrl });

const healing: [string, () => Record<string, unknown>][] = [
  ['429:3@users', oauth1],
  ['500:2@classes', oauth1],
  ['503:2', oauth1],
  ['slow@enrollments', oauth1],
  ['reset:2@users', oauth1],
  ['truncate:2@enrollments', oauth1],
  ['short@users', oauth1],
  ['expire@users', oauth2],
];

const lasting: [string, string, RegExp][] = [
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

async function cleanThenFaulty(tenant: string, config: Record<string, unknown>, fault: string) {
  const id = await apiProvider(t, tenant, 'ONEROSTER_API', config);
  server.setFaults('');
  const clean = await syncNow(t, id);
  expect(clean.status).toBe('SUCCESS');
  const before = await rosterDump(t, tenant);
  server.setFaults(fault);
  const run = await syncNow(t, id);
  server.setFaults('');
  const after = await rosterDump(t, tenant);
  const deactivated = Object.values(run.stats).reduce((n, s) => n + (s?.deactivated ?? 0), 0);
  return { run, before, after, deactivated };
}

describe(`ONEROSTER_API faults on ${driver}`, () => {
  healing.forEach(([fault, config], i) => {
    it(`${fault}: heals through retries`, async () => {
      const { run, before, after, deactivated } = await cleanThenFaulty(`heal-${i}`, config(), fault);
      expect(run.errorMessage).toBeNull();
      expect(run.status).toBe('SUCCESS');
      expect(deactivated).toBe(0);
      expect(after).toEqual(before);
    });
  });

  lasting.forEach(([fault, entity, message], i) => {
    it(`${fault}: leaves ${entity} incomplete with a precise message and deactivates nothing`, async () => {
      const { run, before, after, deactivated } = await cleanThenFaulty(`last-${i}`, oauth1(), fault);
      expect(['PARTIAL', 'FAILURE']).toContain(run.status);
      expect(deactivated).toBe(0);
      expect(after).toEqual(before);
      const errors = await rows<{ entity: string; message: string }>(
        t,
        `SELECT entity, message FROM sis_sync_run_errors WHERE run_id = '${run.id}'`,
      );
      const texts = [run.errorMessage ?? '', ...errors.map((e) => e.message)];
      expect(
        texts.some((m) => message.test(m)),
        texts.join('\n'),
      ).toBe(true);
    });
  });
});
