import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { classlinkBaseUrl } from '../../src/connectors/classlink/classlink-connector.js';
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
let direct: RunningOneRosterServer;
let proxy: RunningOneRosterServer;
const appId = 'MoYPlyQWmG0%3D';

beforeAll(async () => {
  t = await createTestApp();
  district = await generateDistrictSource({ students: 200, seed: 3 });
  // The Roster Server accepts only HMAC-SHA256, as ClassLink's own libraries sign.
  direct = await startOneRosterServer({
    source: district.source,
    clients: new Map([['cl-client', 'cl secret+=']]),
    signatureMethods: ['HMAC-SHA256'],
  });
  proxy = await startOneRosterServer({
    source: district.source,
    basePath: `/${appId}/ims/oneroster/v1p1`,
    clients: new Map(),
    signatureMethods: [],
    bearerTokens: ['proxy-bearer'],
  });
});
afterAll(async () => {
  await direct.close();
  await proxy.close();
  await t.close();
  await district.cleanup();
});

describe('ClassLink base URL', () => {
  it('derives the Roster Server host from tenant and state, or takes baseUrl', () => {
    expect(
      classlinkBaseUrl({ tenantId: 'springtownisd', state: 'tx', clientId: 'a', clientSecret: 'b' }),
    ).toBe('https://springtownisd-tx-v2.rosterserver.com/ims/oneroster/v1p1');
    expect(classlinkBaseUrl({ tenantId: 'certs-nj' })).toBe(
      'https://certs-nj-v2.rosterserver.com/ims/oneroster/v1p1',
    );
    expect(classlinkBaseUrl({ mode: 'proxy', applicationId: appId })).toBe(
      `https://oneroster-proxy.classlink.io/${appId}/ims/oneroster/v1p1`,
    );
    expect(classlinkBaseUrl({ baseUrl: 'http://x/ims/oneroster/v1p1', tenantId: 'y' })).toBe(
      'http://x/ims/oneroster/v1p1',
    );
  });
});

describe(`CLASSLINK on ${driver}`, () => {
  it('direct mode (OAuth 1.0a HMAC-SHA256) and proxy mode (bearer) sync the same roster as the CSV package', async () => {
    expect((await syncNow(t, await csvProvider(t, 'cl-csv', district.dir))).status).toBe('SUCCESS');
    const expected = await rosterDump(t, 'cl-csv');
    const directRun = await syncNow(
      t,
      await apiProvider(t, 'cl-direct', 'CLASSLINK', {
        mode: 'direct',
        baseUrl: direct.baseUrl,
        clientId: 'cl-client',
        clientSecret: 'cl secret+=',
        pageSize: 64,
        http: FAST_HTTP,
      }),
    );
    expect(directRun.errorMessage).toBeNull();
    expect(directRun.status).toBe('SUCCESS');
    expect(await rosterDump(t, 'cl-direct')).toEqual(expected);
    const proxyRun = await syncNow(
      t,
      await apiProvider(t, 'cl-proxy', 'CLASSLINK', {
        mode: 'proxy',
        applicationId: appId,
        accessToken: 'proxy-bearer',
        baseUrl: proxy.baseUrl,
        http: FAST_HTTP,
      }),
    );
    expect(proxyRun.status).toBe('SUCCESS');
    expect(await rosterDump(t, 'cl-proxy')).toEqual(expected);
  });

  it('a wrong secret is auth_failed, not retried', async () => {
    const run = await syncNow(
      t,
      await apiProvider(t, 'cl-bad', 'CLASSLINK', {
        baseUrl: direct.baseUrl,
        clientId: 'cl-client',
        clientSecret: 'nope',
        http: FAST_HTTP,
      }),
    );
    expect(run.status).toBe('FAILURE');
    expect(run.errorMessage).toMatch(
      /ClassLink: GET \/ims\/oneroster\/v1p1\/orgs was refused \(401: unauthorisedrequest/,
    );
  });

  it('POST /api/v1/providers/:id/test works in both modes', async () => {
    const headers = { authorization: `Bearer ${await t.token('PLATFORM_ADMIN')}` };
    for (const config of [
      { baseUrl: direct.baseUrl, clientId: 'cl-client', clientSecret: 'cl secret+=' },
      { mode: 'proxy', applicationId: appId, accessToken: 'proxy-bearer', baseUrl: proxy.baseUrl },
    ]) {
      const id = await apiProvider(t, `cl-test-${config.mode ?? 'direct'}`, 'CLASSLINK', config);
      const response = await t.app.inject({ method: 'POST', url: `/api/v1/providers/${id}/test`, headers });
      expect(response.statusCode).toBe(200);
      expect(response.json().ok).toBe(true);
      expect(response.json().summary).toContain(district.source.name);
      expect(response.json().details.userCount).toBe(district.source.collections.users.length);
    }
  });
});
