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
import { csvProvider, syncNow } from '../support/sync.js';
import { FAST_HTTP, apiProvider, rosterDump } from './oneroster-api-helpers.js';

let t: TestApp;
let district: GeneratedDistrictSource;
let server: RunningOneRosterServer;
const clients = new Map([['district-key', 'district+secret=/~ é']]);

beforeAll(async () => {
  t = await createTestApp();
  district = await generateDistrictSource({ students: 300, seed: 11 });
  server = await startOneRosterServer({
    source: district.source,
    clients,
    signatureMethods: ['HMAC-SHA1', 'HMAC-SHA256'],
  });
});
afterAll(async () => {
  await server.close();
  await t.close();
  await district.cleanup();
});

const oauth1 = (signatureMethod: string, clientSecret = 'district+secret=/~ é') => ({
  baseUrl: server.baseUrl,
  authMethod: 'oauth1',
  signatureMethod,
  clientId: 'district-key',
  clientSecret,
  pageSize: 97,
  http: FAST_HTTP,
});

describe(`ONEROSTER_API on ${driver}`, () => {
  it('syncs a district through the simulator to the same canonical tables as its CSV package', async () => {
    const csv = await syncNow(t, await csvProvider(t, 'or-csv', district.dir));
    expect(csv.status).toBe('SUCCESS');
    const api = await syncNow(t, await apiProvider(t, 'or-api', 'ONEROSTER_API', oauth1('HMAC-SHA1')));
    expect(api.errorMessage).toBeNull();
    expect(api.status).toBe('SUCCESS');
    const expected = await rosterDump(t, 'or-csv');
    expect(expected.users!.length).toBeGreaterThan(300);
    expect(await rosterDump(t, 'or-api')).toEqual(expected);
    expect(api.stats).toEqual(csv.stats);
  });

  it('OAuth 2 client credentials reach the same roster', async () => {
    const id = await apiProvider(t, 'or-oauth2', 'ONEROSTER_API', {
      baseUrl: server.baseUrl,
      authMethod: 'oauth2',
      tokenUrl: server.tokenUrl,
      tokenAuth: 'body',
      clientId: 'district-key',
      clientSecret: 'district+secret=/~ é',
      http: FAST_HTTP,
    });
    const run = await syncNow(t, id);
    expect(run.status).toBe('SUCCESS');
    expect(await rosterDump(t, 'or-oauth2')).toEqual(await rosterDump(t, 'or-csv'));
  });

  it('a wrong secret fails the run as auth_failed after one request, not retried', async () => {
    const before = server.requests.get('orgs') ?? 0;
    const run = await syncNow(
      t,
      await apiProvider(t, 'or-bad', 'ONEROSTER_API', oauth1('HMAC-SHA256', 'wrong')),
    );
    expect(run.status).toBe('FAILURE');
    expect(run.errorMessage).toContain('refused (401');
    expect(run.errorMessage).not.toContain('wrong');
    expect(server.requests.get('orgs') ?? 0).toBe(before);
  });

  it('POST /api/v1/providers/:id/test reports the district and the user count', async () => {
    const id = await apiProvider(t, 'or-test', 'ONEROSTER_API', oauth1('HMAC-SHA256'));
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/v1/providers/${id}/test`,
      headers: { authorization: `Bearer ${await t.token('PLATFORM_ADMIN')}` },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.ok).toBe(true);
    expect(body.summary).toContain(district.source.name);
    expect(body.details.userCount).toBe(district.source.collections.users.length);
  });
});
