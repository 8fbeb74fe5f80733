import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { validateProviderConfig } from '../../src/connectors/config-validation.js';
import { oauth1Auth } from '../../src/connectors/http/oauth1.js';
import { createOneRosterApiConnector } from '../../src/connectors/oneroster-api/oneroster-api-connector.js';
import {
  generateDistrictSource,
  loadDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import {
  ONEROSTER_1P2_SCOPES,
  startOneRosterServer,
  type RunningOneRosterServer,
} from '../../src/simulators/oneroster/oneroster-server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { runCli, startCli, waitForOutput } from '../support/cli.js';
import { driver } from '../support/database.js';
import { createTestLogger } from '../support/logger.js';
import {
  FIXTURE_1P2,
  FIXTURE_PASSWORD,
  logsOf,
  occurrencesInDatabase,
  users1p2,
} from '../support/oneroster-1p2.js';
import { csvProvider, syncNow } from '../support/sync.js';
import { FAST_HTTP, apiProvider, rosterDump } from './oneroster-api-helpers.js';

const CLIENT = { id: 'or12-client', secret: 'or12-secret+/=' };

let t: TestApp;
let district: GeneratedDistrictSource;
let server: RunningOneRosterServer;
let fixtureServer: RunningOneRosterServer;

beforeAll(async () => {
  t = await createTestApp();
  district = await generateDistrictSource({ students: 200, seed: 12, version: '1.2' });
  const clients = new Map([[CLIENT.id, CLIENT.secret]]);
  server = await startOneRosterServer({
    source: district.source,
    clients,
    signatureMethods: ['HMAC-SHA256'],
  });
  fixtureServer = await startOneRosterServer({
    source: await loadDistrictSource(FIXTURE_1P2),
    clients,
    signatureMethods: ['HMAC-SHA256'],
  });
});
afterAll(async () => {
  await fixtureServer.close();
  await server.close();
  await t.close();
  await district.cleanup();
});

/** A 1.2 provider config: the /rostering/v1p2 base URL alone says 1.2. */
const oauth2 = (on: RunningOneRosterServer) => ({
  baseUrl: on.baseUrl,
  authMethod: 'oauth2',
  tokenUrl: on.tokenUrl,
  clientId: CLIENT.id,
  clientSecret: CLIENT.secret,
  pageSize: 53,
  http: FAST_HTTP,
});

async function token(on: RunningOneRosterServer, scope?: string): Promise<Response> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    ...(scope === undefined ? {} : { scope }),
  });
  return fetch(on.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${encodeURIComponent(CLIENT.secret)}`).toString('base64')}`,
    },
    body: form.toString(),
  });
}

async function bearer(on: RunningOneRosterServer, scope?: string): Promise<string> {
  const response = await token(on, scope);
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

const get = (on: RunningOneRosterServer, path: string, authorization: string) =>
  fetch(`${on.baseUrl}${path}`, { headers: { authorization } });

const unauthorised = (description: string) => ({
  imsx_codeMajor: 'failure',
  imsx_severity: 'error',
  imsx_description: description,
  imsx_CodeMinor: {
    imsx_codeMinorField: [
      { imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: 'unauthorisedrequest' },
    ],
  },
});

describe(`ONEROSTER_API 1.2 on ${driver}`, () => {
  it('a generated district served in 1.2 mode syncs to the same canonical roster as its 1.2 CSV', async () => {
    const csv = await syncNow(t, await csvProvider(t, 'gen12-csv', district.dir));
    expect(csv.status).toBe('SUCCESS');
    const api = await syncNow(t, await apiProvider(t, 'gen12-api', 'ONEROSTER_API', oauth2(server)));
    expect(api.errorMessage).toBeNull();
    expect(api.status).toBe('SUCCESS');
    expect(api.sourceInfo).toMatchObject({ format: 'OneRoster 1.2 REST', auth: 'OAuth 2' });
    expect(api.stats).toEqual(csv.stats);
    const expected = await rosterDump(t, 'gen12-csv');
    expect(expected.users!.length).toBeGreaterThan(200);
    expect(await rosterDump(t, 'gen12-api')).toEqual(expected);
    const users = await users1p2(t, 'gen12-csv');
    expect(await users1p2(t, 'gen12-api')).toEqual(users);
    expect(users.some((u) => (u.roles as string[]).length > 1 && u.pronouns !== null)).toBe(true);
    // The simulator serves staff logins with their passwords; none is kept.
    expect(await occurrencesInDatabase(t, 'gen-secret-usr-')).toEqual([]);
  });

  it('the fixture served in 1.2 mode reaches the roster of its CSV; its password is served but kept nowhere', async () => {
    const served = await get(fixtureServer, '/users?limit=10', `Bearer ${await bearer(fixtureServer)}`);
    expect(JSON.stringify(await served.json())).toContain(FIXTURE_PASSWORD);

    const csv = await syncNow(t, await csvProvider(t, 'fx12-csv', FIXTURE_1P2));
    expect(csv.status).toBe('PARTIAL'); // roles.csv names a user users.csv lacks: the server serves no such role
    const api = await syncNow(t, await apiProvider(t, 'fx12-api', 'ONEROSTER_API', oauth2(fixtureServer)));
    expect(api.errorMessage).toBeNull();
    expect(api.status).toBe('SUCCESS');
    expect(await rosterDump(t, 'fx12-api')).toEqual(await rosterDump(t, 'fx12-csv'));
    expect(await users1p2(t, 'fx12-api')).toEqual(await users1p2(t, 'fx12-csv'));
    expect(await occurrencesInDatabase(t, FIXTURE_PASSWORD)).toEqual([]);
    expect(logsOf(expect.getState().testPath!)).not.toContain(FIXTURE_PASSWORD);
  });

  it('serves 1.2 shapes (1.2 OpenAPI): users with roles[] and the new fields, no role or orgs', async () => {
    const auth = `Bearer ${await bearer(fixtureServer)}`;
    const response = await get(fixtureServer, '/users?limit=2&offset=0', auth);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-total-count')).toBe('5');
    expect(response.headers.get('link')).toMatch(/rel="next"/);
    const all = (await (await get(fixtureServer, '/users?limit=100', auth)).json()) as {
      users: Record<string, unknown>[];
    };
    for (const user of all.users) {
      for (const field of [
        'sourcedId',
        'status',
        'dateLastModified',
        'enabledUser',
        'givenName',
        'familyName',
        'roles',
      ]) {
        expect(user, field).toHaveProperty(field);
      }
      expect(user).not.toHaveProperty('role');
      expect(user).not.toHaveProperty('orgs');
    }
    const rivera = all.users.find((u) => u.sourcedId === 'usr-teacher-rivera')!;
    expect(rivera).toMatchObject({
      preferredFirstName: 'Alex',
      pronouns: 'she/they',
      userMasterIdentifier: 'MID-1001',
      primaryOrg: { href: '/ims/oneroster/rostering/v1p2/orgs/org-hs', sourcedId: 'org-hs', type: 'org' },
      roles: [
        {
          roleType: 'primary',
          role: 'teacher',
          org: { sourcedId: 'org-hs', type: 'org' },
          userProfile: 'prf-rivera',
          beginDate: '2025-08-15',
        },
        { roleType: 'primary', role: 'teacher', org: { sourcedId: 'org-ms' } },
        { roleType: 'secondary', role: 'counselor', org: { sourcedId: 'org-hs' } },
      ],
      userProfiles: [
        {
          profileId: 'prf-rivera',
          profileType: 'lms',
          vendorId: 'example-lms',
          credentials: [{ type: 'password', username: 'arivera' }],
        },
      ],
    });
    expect(rivera).not.toHaveProperty('preferredGivenName');
    const lin = all.users.find((u) => u.sourcedId === 'usr-student-lin')!;
    expect(lin).toMatchObject({ preferredMiddleName: 'Sky', preferredLastName: 'Lin-Park' });
    const students = (await (await get(fixtureServer, '/students', auth)).json()) as {
      users: { sourcedId: string }[];
    };
    expect(students.users.map((u) => u.sourcedId).sort()).toEqual(['usr-student-lin', 'usr-student-okafor']);
  });

  it('refuses OAuth 1.0a and expired or unknown tokens with 1.2 imsx 401 bodies and a bearer challenge', async () => {
    const url = new URL(`${fixtureServer.baseUrl}/users`);
    const signed = await oauth1Auth({
      consumerKey: CLIENT.id,
      consumerSecret: CLIENT.secret,
      signatureMethod: 'HMAC-SHA256',
    }).authorize({ method: 'GET', url, signal: new AbortController().signal });
    const oauth1 = await fetch(url, { headers: signed });
    expect(oauth1.status).toBe(401);
    expect(await oauth1.json()).toEqual(
      unauthorised(
        'OneRoster 1.2 accepts only OAuth 2 bearer tokens; OAuth 1.0a signatures are not accepted',
      ),
    );
    expect(oauth1.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="OneRoster", error="invalid_request"/,
    );

    const unknown = await get(fixtureServer, '/users', 'Bearer not-a-token');
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);

    const live = `Bearer ${await bearer(fixtureServer)}`;
    expect((await get(fixtureServer, '/users', live)).status).toBe(200);
    fixtureServer.setFaults('expire@users+0');
    try {
      const expired = await get(fixtureServer, '/users', live);
      expect(expired.status).toBe(401);
      expect(await expired.json()).toEqual(unauthorised('the access token has expired'));
      expect(expired.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      // Once expired, a token stays refused; a new one is served.
      expect((await get(fixtureServer, '/orgs', live)).status).toBe(401);
      expect((await get(fixtureServer, '/orgs', `Bearer ${await bearer(fixtureServer)}`)).status).toBe(200);
    } finally {
      fixtureServer.setFaults('');
    }
  });

  it('grants the rostering scopes: a token without them is forbidden, an unknown scope is refused', async () => {
    const demographicsOnly = await bearer(fixtureServer, ONEROSTER_1P2_SCOPES.demographics);
    const forbidden = await get(fixtureServer, '/orgs', `Bearer ${demographicsOnly}`);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({
      imsx_codeMajor: 'failure',
      imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldValue: 'forbidden' }] },
    });
    const core = await bearer(fixtureServer, ONEROSTER_1P2_SCOPES.core);
    expect((await get(fixtureServer, '/orgs', `Bearer ${core}`)).status).toBe(200);
    const bad = await token(fixtureServer, 'https://purl.imsglobal.org/spec/or/v1p1/scope/roster.readonly');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('through the engine, an expiring token heals and a 1.1 role beside roles[] changes nothing', async () => {
    const id = await apiProvider(t, 'gen12-faults', 'ONEROSTER_API', oauth2(server));
    expect((await syncNow(t, id)).status).toBe('SUCCESS');
    const before = { roster: await rosterDump(t, 'gen12-faults'), users: await users1p2(t, 'gen12-faults') };
    for (const fault of ['expire@users', 'legacy:*@users+0']) {
      server.setFaults(fault);
      const run = await syncNow(t, id);
      const fired = server.firedFaults();
      server.setFaults('');
      expect(fired.length, fault).toBeGreaterThan(0);
      expect(run.errorMessage, fault).toBeNull();
      expect(run.status, fault).toBe('SUCCESS');
      expect({
        roster: await rosterDump(t, 'gen12-faults'),
        users: await users1p2(t, 'gen12-faults'),
      }).toEqual(before);
    }
  });

  it('config: 1.2 is OAuth 2 only, and the version and the base URL must agree', () => {
    const dev = { production: false };
    const issues = (config: Record<string, unknown>) => {
      const result = validateProviderConfig('ONEROSTER_API', config, dev);
      return result.ok ? [] : result.error.map((i) => i.path);
    };
    const base = { clientId: 'a', clientSecret: 'b' };
    const v1p2 = 'https://sis.example.org/ims/oneroster/rostering/v1p2';
    expect(issues({ ...base, baseUrl: v1p2 })).toEqual(['authMethod']);
    expect(
      issues({ ...base, baseUrl: v1p2, authMethod: 'oauth2', tokenUrl: 'https://sis.example.org/token' }),
    ).toEqual([]);
    expect(
      issues({
        ...base,
        baseUrl: 'https://sis.example.org/api/roster',
        onerosterVersion: '1.2',
        authMethod: 'oauth1',
      }),
    ).toEqual(['authMethod']);
    expect(issues({ ...base, baseUrl: v1p2, onerosterVersion: '1.1' })).toEqual(['onerosterVersion']);
    expect(
      issues({
        ...base,
        baseUrl: 'https://sis.example.org/ims/oneroster/v1p1',
        onerosterVersion: '1.2',
        authMethod: 'oauth2',
        tokenUrl: 'https://sis.example.org/token',
      }),
    ).toEqual(['baseUrl']);
    // Existing 1.1 configs are untouched.
    expect(issues({ ...base, baseUrl: 'https://sis.example.org/ims/oneroster/v1p1' })).toEqual([]);
    expect(() =>
      createOneRosterApiConnector(
        { ...base, baseUrl: v1p2, authMethod: 'oauth1' },
        { logger: createTestLogger() },
      ),
    ).toThrow('OneRoster 1.2 requires OAuth 2 client credentials');
  });

  it('sis-sync simulate oneroster --oneroster-version 1.2 prints an OAuth 2 config that connects', async () => {
    const child = startCli([
      'simulate',
      'oneroster',
      '--port',
      '0',
      '--students',
      '40',
      '--oneroster-version',
      '1.2',
    ]);
    try {
      await waitForOutput(child, (out) => out.stdout.includes('Ctrl-C stops it.'));
      const [printed] = [...child.output().stdout.matchAll(/^\{\n[\s\S]*?\n\}$/gm)];
      const config = JSON.parse(printed![0]) as Record<string, unknown>;
      expect(config).toMatchObject({ onerosterVersion: '1.2', authMethod: 'oauth2' });
      expect(config.baseUrl).toMatch(/\/ims\/oneroster\/rostering\/v1p2$/);
      const report = await createOneRosterApiConnector(config as never, {
        logger: createTestLogger(),
      }).testConnection({
        signal: new AbortController().signal,
        logger: createTestLogger(),
      });
      expect(report.summary).toContain('OneRoster 1.2');
      expect(report.details.userCount).toBeGreaterThan(40);
    } finally {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await closed;
    }
    const wrong = await runCli([
      'simulate',
      'oneroster',
      '--from',
      FIXTURE_1P2,
      '--oneroster-version',
      '1.1',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('the district source is OneRoster 1.2; a 1.1 server needs a 1.1 package');
  });
});
