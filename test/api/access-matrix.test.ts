import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mintDevToken } from '../../src/auth/dev-token.js';
import type { Principal } from '../../src/domain/roles.js';
import { createRun, transitionRun, type RunRow } from '../../src/repositories/runs-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { providerBody } from '../support/factories.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { rows } from '../support/sync.js';

/*
 * Every /api/v1 route against every kind of caller: no token, broken tokens, a token without a
 * sis-sync role, a district admin of the tenant, of another tenant, and a platform admin.
 */

const OWN = 'lincoln';
const OTHER = 'jefferson';
const platform: Principal = { subject: 'setup', roles: ['PLATFORM_ADMIN'], tenantId: undefined };

let t: TestApp;
const tokens: Record<string, string | undefined> = {};

type Target = 'own' | 'other' | 'none';
interface RouteCase {
  name: string;
  target: Target;
  /** Builds the request; creates whatever object it acts on. */
  request(): Promise<{ method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; payload?: object }>;
  success: number;
  /**
   * What a district admin gets for the other tenant: a route that names the tenant refuses it
   * (403), one that names an object of it does not find it (404, no hint that it exists).
   */
  otherTenant?: 'forbidden';
}

const tenantOf = (target: Target) => (target === 'other' ? OTHER : OWN);
const makeProvider = async (target: Target) =>
  (await t.deps.providers.create({ principal: platform }, providerBody(tenantOf(target), 'CLEVER') as never))
    .id;

/** Run routes act on a CSV provider over a local package, so a run started here really runs. */
let packageDir = '';
let csvProviders = 0;
const makeCsvProvider = async (target: Target) =>
  (
    await t.deps.providers.create(
      { principal: platform },
      {
        tenantId: tenantOf(target),
        providerType: 'ONEROSTER_CSV',
        name: `CSV ${++csvProviders}`,
        config: { localPath: packageDir },
      },
    )
  ).id;

/** A run no worker picks up: PENDING, or moved on to IN_PROGRESS, or HELD for review. */
async function makeRun(
  target: Target,
  status: 'PENDING' | 'IN_PROGRESS' | 'HELD' | 'SUCCESS',
): Promise<RunRow> {
  const providerId = await makeCsvProvider(target);
  const created = await createRun(t.handle.db, {
    tenantId: tenantOf(target),
    providerId,
    trigger: 'MANUAL',
    triggeredBy: 'setup',
    dryRun: false,
  });
  if (!created.created) throw new Error('a fresh provider already had a run');
  if (status === 'PENDING') return created.run;
  const started = await transitionRun(t.handle.db, created.run.id, 'PENDING', 'IN_PROGRESS');
  if (status === 'IN_PROGRESS') return started!;
  // Applied, having changed nothing: undoing it queues an undo run that reverts nothing.
  if (status === 'SUCCESS') {
    return (await transitionRun(t.handle.db, created.run.id, 'IN_PROGRESS', 'SUCCESS', { phase: 'done' }))!;
  }
  // Held with an empty plan: approving it applies nothing and ends in SUCCESS.
  const held = await transitionRun(t.handle.db, created.run.id, 'IN_PROGRESS', 'HELD', {
    phase: 'held',
    heldReason: { entities: [], plan: { scopes: {}, pulled: [], incomplete: [] } },
  });
  return held!;
}

/** A user of the tenant, written straight into the roster: reading one back needs no run. */
const makeUser = async (target: Target) => {
  const [user] = await rows<{ id: string }>(
    t,
    `INSERT INTO users (tenant_id, id, role) VALUES ('${tenantOf(target)}', gen_random_uuid(), 'student')
     RETURNING id::text AS id`,
  );
  return user!.id;
};

/** A webhook of the tenant to a port where nothing listens (the test button reports the refusal). */
const makeWebhook = async (target: Target) =>
  (
    await t.deps.webhooks.create({ principal: platform }, tenantOf(target), {
      url: 'http://127.0.0.1:9/hook',
    })
  ).webhook.id;
const webhookUrl = async (target: Target, rest = '') =>
  `/api/v1/tenants/${tenantOf(target)}/webhooks/${await makeWebhook(target)}${rest}`;

const routes: RouteCase[] = (['own', 'other'] as const).flatMap((target): RouteCase[] => [
  {
    name: `GET /tenants/:tenantId/providers (${target} tenant)`,
    target,
    request: () => Promise.resolve({ method: 'GET', url: `/api/v1/tenants/${tenantOf(target)}/providers` }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `POST /providers (${target} tenant)`,
    target,
    request: () =>
      Promise.resolve({ method: 'POST', url: '/api/v1/providers', payload: providerBody(tenantOf(target)) }),
    success: 201,
    otherTenant: 'forbidden',
  },
  {
    name: `GET /providers/:id (${target} tenant)`,
    target,
    request: async () => ({ method: 'GET', url: `/api/v1/providers/${await makeProvider(target)}` }),
    success: 200,
  },
  {
    name: `PATCH /providers/:id (${target} tenant)`,
    target,
    request: async () => ({
      method: 'PATCH',
      url: `/api/v1/providers/${await makeProvider(target)}`,
      payload: { enabled: false },
    }),
    success: 200,
  },
  {
    name: `DELETE /providers/:id (${target} tenant)`,
    target,
    request: async () => ({ method: 'DELETE', url: `/api/v1/providers/${await makeProvider(target)}` }),
    success: 204,
  },
  {
    name: `POST /providers/:id/sync (${target} tenant)`,
    target,
    request: async () => ({ method: 'POST', url: `/api/v1/providers/${await makeCsvProvider(target)}/sync` }),
    success: 202,
  },
  {
    name: `POST /providers/:id/sync?dryRun=true (${target} tenant)`,
    target,
    request: async () => ({
      method: 'POST',
      url: `/api/v1/providers/${await makeCsvProvider(target)}/sync?dryRun=true`,
    }),
    success: 202,
  },
  {
    name: `POST /providers/:id/sync/cancel (${target} tenant)`,
    target,
    request: async () => ({
      method: 'POST',
      url: `/api/v1/providers/${(await makeRun(target, 'IN_PROGRESS')).providerId}/sync/cancel`,
    }),
    success: 202,
  },
  {
    name: `GET /providers/:id/sync/status (${target} tenant)`,
    target,
    request: async () => ({
      method: 'GET',
      url: `/api/v1/providers/${(await makeRun(target, 'IN_PROGRESS')).providerId}/sync/status`,
    }),
    success: 200,
  },
  {
    name: `GET /providers/:id/runs (${target} tenant)`,
    target,
    request: async () => ({
      method: 'GET',
      url: `/api/v1/providers/${(await makeRun(target, 'PENDING')).providerId}/runs?limit=5`,
    }),
    success: 200,
  },
  {
    name: `POST /providers/:id/test (${target} tenant)`,
    target,
    request: async () => ({ method: 'POST', url: `/api/v1/providers/${await makeCsvProvider(target)}/test` }),
    success: 200,
  },
  {
    name: `GET /runs/:runId (${target} tenant)`,
    target,
    request: async () => ({ method: 'GET', url: `/api/v1/runs/${(await makeRun(target, 'PENDING')).id}` }),
    success: 200,
  },
  {
    name: `GET /runs/:runId/errors.csv (${target} tenant)`,
    target,
    request: async () => ({
      method: 'GET',
      url: `/api/v1/runs/${(await makeRun(target, 'PENDING')).id}/errors.csv`,
    }),
    success: 200,
  },
  {
    name: `GET /runs/:runId/changes (${target} tenant)`,
    target,
    request: async () => ({
      method: 'GET',
      url: `/api/v1/runs/${(await makeRun(target, 'HELD')).id}/changes`,
    }),
    success: 200,
  },
  {
    name: `POST /runs/:runId/approve (${target} tenant)`,
    target,
    request: async () => ({
      method: 'POST',
      url: `/api/v1/runs/${(await makeRun(target, 'HELD')).id}/approve`,
    }),
    success: 202,
  },
  {
    name: `POST /runs/:runId/undo (${target} tenant)`,
    target,
    request: async () => ({
      method: 'POST',
      url: `/api/v1/runs/${(await makeRun(target, 'SUCCESS')).id}/undo`,
    }),
    success: 202,
  },
  {
    name: `POST /runs/:runId/discard (${target} tenant)`,
    target,
    request: async () => ({
      method: 'POST',
      url: `/api/v1/runs/${(await makeRun(target, 'HELD')).id}/discard`,
    }),
    success: 200,
  },
  {
    name: `GET /tenants/:tenantId/users (${target} tenant)`,
    target,
    request: () =>
      Promise.resolve({ method: 'GET', url: `/api/v1/tenants/${tenantOf(target)}/users?limit=5` }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `GET /tenants/:tenantId/users/:id (${target} tenant)`,
    target,
    request: async () => ({
      method: 'GET',
      url: `/api/v1/tenants/${tenantOf(target)}/users/${await makeUser(target)}`,
    }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `GET /tenants/:tenantId/changes (${target} tenant)`,
    target,
    request: () => Promise.resolve({ method: 'GET', url: `/api/v1/tenants/${tenantOf(target)}/changes` }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `GET /tenants/:tenantId/webhooks (${target} tenant)`,
    target,
    request: () => Promise.resolve({ method: 'GET', url: `/api/v1/tenants/${tenantOf(target)}/webhooks` }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `POST /tenants/:tenantId/webhooks (${target} tenant)`,
    target,
    request: () =>
      Promise.resolve({
        method: 'POST',
        url: `/api/v1/tenants/${tenantOf(target)}/webhooks`,
        payload: { url: 'https://apps.example.org/roster-hook' },
      }),
    success: 201,
    otherTenant: 'forbidden',
  },
  {
    name: `GET /tenants/:tenantId/webhooks/:webhookId (${target} tenant)`,
    target,
    request: async () => ({ method: 'GET', url: await webhookUrl(target) }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `PATCH /tenants/:tenantId/webhooks/:webhookId (${target} tenant)`,
    target,
    request: async () => ({ method: 'PATCH', url: await webhookUrl(target), payload: { enabled: false } }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `DELETE /tenants/:tenantId/webhooks/:webhookId (${target} tenant)`,
    target,
    request: async () => ({ method: 'DELETE', url: await webhookUrl(target) }),
    success: 204,
    otherTenant: 'forbidden',
  },
  {
    name: `POST /tenants/:tenantId/webhooks/:webhookId/rotate-secret (${target} tenant)`,
    target,
    request: async () => ({ method: 'POST', url: await webhookUrl(target, '/rotate-secret') }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `POST /tenants/:tenantId/webhooks/:webhookId/test (${target} tenant)`,
    target,
    request: async () => ({ method: 'POST', url: await webhookUrl(target, '/test') }),
    success: 200,
    otherTenant: 'forbidden',
  },
  {
    name: `GET /tenants/:tenantId/webhooks/:webhookId/deliveries (${target} tenant)`,
    target,
    request: async () => ({ method: 'GET', url: await webhookUrl(target, '/deliveries') }),
    success: 200,
    otherTenant: 'forbidden',
  },
]);
routes.push(
  {
    name: 'GET /provider-types',
    target: 'none',
    request: () => Promise.resolve({ method: 'GET', url: '/api/v1/provider-types' }),
    success: 200,
  },
  {
    name: 'GET /me',
    target: 'none',
    request: () => Promise.resolve({ method: 'GET', url: '/api/v1/me' }),
    success: 200,
  },
  {
    name: 'GET /schedule-preview',
    target: 'none',
    request: () =>
      Promise.resolve({
        method: 'GET',
        url: '/api/v1/schedule-preview?schedule=daily&timezone=America/Chicago',
      }),
    success: 200,
  },
);

/** What each caller gets, per route; a district admin's view of another tenant depends on the route. */
function expected(caller: string, route: RouteCase): { status: number; code?: string } {
  switch (caller) {
    case 'no token':
      return { status: 401, code: 'unauthorized' };
    case 'garbage token':
    case 'wrong signature':
    case 'alg none':
    case 'wrong issuer':
      return { status: 401, code: 'invalid_token' };
    case 'expired token':
      return { status: 401, code: 'token_expired' };
    case 'no sis-sync role':
    case 'district admin without tenant':
      return { status: 403, code: 'forbidden' };
    case 'platform admin':
      return { status: route.success };
    case 'district admin':
      if (route.target !== 'other') return { status: route.success };
      // Naming another tenant is refused; asking for another tenant's object is "not found".
      return route.otherTenant === 'forbidden'
        ? { status: 403, code: 'forbidden' }
        : { status: 404, code: 'not_found' };
    default:
      throw new Error(`no expectation for ${caller}`);
  }
}

const callers = [
  'no token',
  'garbage token',
  'wrong signature',
  'alg none',
  'wrong issuer',
  'expired token',
  'no sis-sync role',
  'district admin without tenant',
  'district admin',
  'platform admin',
];

beforeAll(async () => {
  t = await createTestApp({
    jwt: { secret: TEST_SECRETS.jwtSecret, jwksUrl: undefined, issuer: 'sis-sync-test', audience: undefined },
  });
  packageDir = writePackage(smallDistrict());
  const sign = (
    claims: Record<string, unknown>,
    secret: string = TEST_SECRETS.jwtSecret,
    exp = '10m',
    issuer = 'sis-sync-test',
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('someone')
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  tokens['no token'] = undefined;
  tokens['garbage token'] = 'not-a-jwt';
  tokens['wrong signature'] = await sign(
    { roles: ['PLATFORM_ADMIN'] },
    'another-secret-that-is-long-enough-000000',
  );
  tokens['alg none'] =
    `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', roles: ['PLATFORM_ADMIN'], iss: 'sis-sync-test', exp: 4102444800 })}.`;
  tokens['wrong issuer'] = await sign(
    { roles: ['PLATFORM_ADMIN'] },
    TEST_SECRETS.jwtSecret,
    '10m',
    'someone-else',
  );
  tokens['expired token'] = await mintDevToken({
    secret: TEST_SECRETS.jwtSecret,
    role: 'PLATFORM_ADMIN',
    tenantId: undefined,
    subject: 'late',
    ttlSeconds: -120,
    issuer: 'sis-sync-test',
  });
  tokens['no sis-sync role'] = await sign({ roles: ['TEACHER'], tenantId: OWN });
  tokens['district admin without tenant'] = await sign({ roles: ['DISTRICT_ADMIN'] });
  tokens['district admin'] = await sign({ roles: ['DISTRICT_ADMIN'], tenantId: OWN });
  tokens['platform admin'] = await sign({ roles: ['PLATFORM_ADMIN'] });
});
afterAll(async () => t.close());

/** What a request could change: runs, providers, and the audit log. */
const trace = async () => ({
  runs: await rows(t, 'SELECT id, status, cancel_requested_at, reviewed_by FROM sis_sync_runs ORDER BY id'),
  providers: await rows(t, 'SELECT id, enabled, updated_at, deleted_at FROM sis_providers ORDER BY id'),
  webhooks: await rows(
    t,
    'SELECT id, enabled, updated_at, deleted_at, secret_ciphertext FROM sis_webhook_subscriptions ORDER BY id',
  ),
  deliveries: await rows(t, 'SELECT count(*)::int AS n FROM sis_webhook_deliveries'),
  audit: await rows(t, 'SELECT count(*)::int AS n FROM audit_log'),
});

describe(`role x tenant matrix on ${driver}`, () => {
  for (const route of routes) {
    describe(route.name, () => {
      it.each(callers)('%s', async (caller) => {
        const request = await route.request();
        // Runs an earlier case started finish first, so the trace below sees only this request.
        await t.idle();
        const before = await trace();
        const token = tokens[caller];
        const res = await t.app.inject({
          ...request,
          headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        });
        const want = expected(caller, route);
        expect(res.statusCode, res.body).toBe(want.status);
        if (want.code !== undefined) {
          expect(res.json().error.code).toBe(want.code);
          expect(res.json().error.requestId).toBe(res.headers['x-request-id']);
          // A refused request changes nothing and audits nothing.
          expect(await trace()).toEqual(before);
        }
      });
    });
  }
});
