import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  startOneRosterServer,
  type RunningOneRosterServer,
} from '../../src/simulators/oneroster/oneroster-server.js';
import { driver } from '../support/database.js';
import {
  FAST_HTTP,
  FAULT_SERVER_OPTIONS,
  cleanThenFaulty,
  faultMatrix,
  runProblems,
  useFaultFixture,
  type FaultAuth,
} from './oneroster-api-helpers.js';

/*
 * The fault matrix for CLASSLINK (the cases are in oneroster-api-helpers.ts, shared with the
 * OneRoster API connector): direct mode against a Roster Server that accepts only OAuth 1.0a
 * HMAC-SHA256 (with OAuth 2 tokens for token expiry), and the proxy's bearer token expiring.
 */

const f = useFaultFixture();
const appId = 'MoYPlyQWmG0%3D';
let proxy: RunningOneRosterServer;

beforeAll(async () => {
  proxy = await startOneRosterServer({
    source: f.district.source,
    basePath: `/${appId}/ims/oneroster/v1p1`,
    clients: new Map(),
    signatureMethods: [],
    bearerTokens: ['proxy-bearer'],
    ...FAULT_SERVER_OPTIONS,
  });
});
afterAll(async () => {
  await proxy.close();
});

const direct = (auth: FaultAuth): Record<string, unknown> => ({
  mode: 'direct',
  baseUrl: f.server.baseUrl,
  clientId: 'key',
  clientSecret: 'secret',
  pageSize: 50,
  http: FAST_HTTP,
  ...(auth === 'token' ? { tokenUrl: f.server.tokenUrl } : {}),
});

describe(`CLASSLINK direct-mode faults on ${driver}`, () => {
  faultMatrix(f, 'CLASSLINK', direct);
});

describe(`CLASSLINK proxy-mode faults on ${driver}`, () => {
  it('expire@users: a proxy token that expires mid-pull fails the run as auth_failed, once, and deactivates nothing', async () => {
    const { run, before, after, deactivated, requested, fired } = await cleanThenFaulty(
      f.t,
      proxy,
      {
        type: 'CLASSLINK',
        tenant: 'proxy-expire',
        config: {
          mode: 'proxy',
          applicationId: appId,
          accessToken: 'proxy-bearer',
          baseUrl: proxy.baseUrl,
          pageSize: 50,
          http: FAST_HTTP,
        },
      },
      'expire@users',
    );
    expect(run.status).toBe('FAILURE');
    expect(run.errorCode).toBe('auth_failed');
    expect(fired).toEqual([{ kind: 'expire', path: 'users' }]);
    expect(deactivated).toBe(0);
    expect(after).toEqual(before);
    expect(run.errorMessage).toMatch(
      /^ClassLink: GET \/MoYPlyQWmG0%3D\/ims\/oneroster\/v1p1\/users was refused \(401: unauthorisedrequest.*the access token has expired.*\); check the credentials/,
    );
    // The first page, then the refused one: a static token has nothing to refresh, so no retry.
    expect(requested('users')).toBe(2);
    expect((await runProblems(f.t, run)).map((p) => p.code)).toEqual(['auth_failed']);
  });
});
