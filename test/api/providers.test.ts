import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PROVIDER_TYPES } from '../../src/domain/provider-type.js';
import { createRun } from '../../src/repositories/runs-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { providerBody, validConfig } from '../support/factories.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { platformAdmin } from '../support/sync.js';

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.token('DISTRICT_ADMIN', 'lincoln');
});
afterAll(async () => t.close());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function create(body: Record<string, unknown>, token = admin) {
  return t.app.inject({ method: 'POST', url: '/api/v1/providers', headers: auth(token), payload: body });
}

describe(`provider routes on ${driver}`, () => {
  describe('POST /api/v1/providers', () => {
    it.each(PROVIDER_TYPES)('creates a %s provider and redacts its secrets', async (type) => {
      const res = await create(providerBody('lincoln', type));
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({
        tenantId: 'lincoln',
        providerType: type,
        enabled: true,
        lastSyncAt: null,
        blackoutWindows: [],
      });
      expect(body.upcomingRuns).toHaveLength(5);
      expect(body.upcomingRuns[0]).toEqual({ at: body.nextSyncAt, skipped: null });
      expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.body).not.toContain(TEST_SECRETS.oneRosterClientSecret);
      expect(res.body).not.toContain(TEST_SECRETS.cleverClientSecret);
      expect(res.body).not.toContain(TEST_SECRETS.sftpPassword);
      expect(res.body).toContain('********');
      expect(res.headers['x-request-id']).toBeTruthy();
    });

    it('computes the next run in the schedule time zone', async () => {
      const res = await create(
        providerBody('lincoln', 'CLEVER', { syncSchedule: '30 3 * * *', syncTimezone: 'Asia/Tokyo' }),
      );
      expect(res.statusCode).toBe(201);
      const next = new Date(res.json().nextSyncAt as string);
      // 03:30 in Tokyo (UTC+9, no DST) is 18:30 UTC.
      expect(next.getUTCHours()).toBe(18);
      expect(next.getUTCMinutes()).toBe(30);
    });

    it('rejects an invalid config with the field named', async () => {
      const body = providerBody('lincoln', 'ONEROSTER_API');
      body.config = { ...validConfig('ONEROSTER_API'), baseUrl: 'ftp://x', authMethod: 'oauth2' };
      const res = await create(body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
      const paths = (res.json().error.details.issues as { path: string }[]).map((i) => i.path);
      expect(paths).toContain('config.baseUrl');
    });

    it('rejects oauth2 without a token URL, naming config.tokenUrl', async () => {
      const body = providerBody('lincoln', 'ONEROSTER_API');
      body.config = { ...validConfig('ONEROSTER_API'), authMethod: 'oauth2' };
      const res = await create(body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain('config.tokenUrl');
    });

    it('rejects an unknown provider type', async () => {
      const res = await create(providerBody('lincoln', 'ONEROSTER_API', { providerType: 'SKYWARD' }));
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toContain('providerType');
    });

    it('rejects an invalid cron expression, naming syncSchedule', async () => {
      const res = await create(providerBody('lincoln', 'CLEVER', { syncSchedule: '61 * * * *' }));
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.issues[0].path).toBe('syncSchedule');
    });

    it('rejects an unknown time zone, naming syncTimezone', async () => {
      const res = await create(providerBody('lincoln', 'CLEVER', { syncTimezone: 'Mars/Olympus_Mons' }));
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.issues[0].path).toBe('syncTimezone');
    });

    it('accepts each schedule preset', async () => {
      for (const preset of ['daily', 'twice-daily', 'every-6-hours', 'weekdays', 'hourly', 'weekly']) {
        const res = await create(providerBody('lincoln', 'CLEVER', { syncSchedule: preset }));
        expect(res.statusCode, preset).toBe(201);
        expect(res.json().syncSchedule).toBe(preset);
      }
    });

    it('refuses a second provider with the same name in a tenant (409)', async () => {
      const first = await create(providerBody('lincoln', 'CLEVER', { name: 'Main SIS' }));
      expect(first.statusCode).toBe(201);
      const second = await create(providerBody('lincoln', 'ONEROSTER_API', { name: 'main sis' }));
      expect(second.statusCode).toBe(409);
      expect(second.json().error.code).toBe('conflict');
    });

    it('refuses the redaction placeholder as a new secret', async () => {
      const body = providerBody('lincoln', 'ONEROSTER_API');
      body.config = { ...validConfig('ONEROSTER_API'), clientSecret: '********' };
      const res = await create(body);
      expect(res.statusCode).toBe(400);
    });

    it('answers a malformed JSON body with a 400 envelope', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/providers',
        headers: { ...auth(admin), 'content-type': 'application/json' },
        payload: '{"tenantId": ',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('bad_request');
    });

    it('refuses https-less provider URLs in production', async () => {
      const prod = await createTestApp({ nodeEnv: 'production' });
      try {
        const token = await prod.token('DISTRICT_ADMIN', 'lincoln');
        const body = providerBody('lincoln', 'ONEROSTER_API');
        body.config = {
          ...validConfig('ONEROSTER_API'),
          baseUrl: 'http://sis.example.org/ims/oneroster/v1p1',
        };
        const res = await prod.app.inject({
          method: 'POST',
          url: '/api/v1/providers',
          headers: auth(token),
          payload: body,
        });
        expect(res.statusCode).toBe(400);
        expect(res.json().error.message).toContain('config.baseUrl: must be an https URL in production');
      } finally {
        await prod.close();
      }
    });
  });

  describe('GET /api/v1/tenants/:tenantId/providers', () => {
    it("lists the tenant's providers only", async () => {
      const other = await t.token('PLATFORM_ADMIN');
      await create(providerBody('jefferson', 'CLEVER'), other);
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/tenants/lincoln/providers',
        headers: auth(admin),
      });
      expect(res.statusCode).toBe(200);
      const providers = res.json().providers as { tenantId: string }[];
      expect(providers.length).toBeGreaterThan(0);
      expect(providers.every((p) => p.tenantId === 'lincoln')).toBe(true);
    });

    it('lists nothing for a tenant that has no providers', async () => {
      const platform = await t.token('PLATFORM_ADMIN');
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/tenants/empty-district/providers',
        headers: auth(platform),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ providers: [] });
    });

    it('rejects a malformed tenant id', async () => {
      const platform = await t.token('PLATFORM_ADMIN');
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/tenants/bad%20id/providers',
        headers: auth(platform),
      });
      expect(res.statusCode).toBe(400);
    });
  });

  describe('GET /api/v1/providers/:providerId', () => {
    it('returns one provider', async () => {
      const created = (await create(providerBody('lincoln', 'CLASSLINK'))).json();
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/providers/${created.id}`,
        headers: auth(admin),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(created);
    });

    it('answers 404 for an unknown id and 400 for a malformed one', async () => {
      const missing = await t.app.inject({
        method: 'GET',
        url: '/api/v1/providers/00000000-0000-4000-8000-000000000000',
        headers: auth(admin),
      });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().error.code).toBe('not_found');
      const malformed = await t.app.inject({
        method: 'GET',
        url: '/api/v1/providers/nope',
        headers: auth(admin),
      });
      expect(malformed.statusCode).toBe(400);
    });
  });

  describe('PATCH /api/v1/providers/:providerId', () => {
    it('changes name, schedule and enabled', async () => {
      const created = (await create(providerBody('lincoln', 'CLEVER'))).json();
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/providers/${created.id}`,
        headers: auth(admin),
        payload: { name: 'Renamed', syncSchedule: 'hourly', enabled: false },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        name: 'Renamed',
        syncSchedule: 'hourly',
        enabled: false,
        nextSyncAt: null,
      });
    });

    it('clears a schedule with null', async () => {
      const created = (await create(providerBody('lincoln', 'CLEVER'))).json();
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/providers/${created.id}`,
        headers: auth(admin),
        payload: { syncSchedule: null },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ syncSchedule: null, nextSyncAt: null });
    });

    it('refuses to change the provider type, an empty body, and a bad config', async () => {
      const created = (await create(providerBody('lincoln', 'CLEVER'))).json();
      const url = `/api/v1/providers/${created.id}`;
      const typeChange = await t.app.inject({
        method: 'PATCH',
        url,
        headers: auth(admin),
        payload: { providerType: 'CLASSLINK' },
      });
      expect(typeChange.statusCode).toBe(400);
      expect(typeChange.json().error.details.issues[0]).toEqual({
        path: 'providerType',
        message: 'is not a known field',
      });
      const empty = await t.app.inject({ method: 'PATCH', url, headers: auth(admin), payload: {} });
      expect(empty.statusCode).toBe(400);
      const badConfig = await t.app.inject({
        method: 'PATCH',
        url,
        headers: auth(admin),
        payload: { config: { clientId: 'only-an-id' } },
      });
      expect(badConfig.statusCode).toBe(400);
      expect(badConfig.json().error.message).toContain('config.districtId');
    });

    it('answers 404 for an unknown provider', async () => {
      const res = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/providers/00000000-0000-4000-8000-000000000000',
        headers: auth(admin),
        payload: { name: 'x' },
      });
      expect(res.statusCode).toBe(404);
    });
  });

  describe('DELETE /api/v1/providers/:providerId', () => {
    it('deletes, after which the provider is gone from every route', async () => {
      const created = (await create(providerBody('lincoln', 'ONEROSTER_CSV'))).json();
      const url = `/api/v1/providers/${created.id}`;
      const res = await t.app.inject({ method: 'DELETE', url, headers: auth(admin) });
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect((await t.app.inject({ method: 'GET', url, headers: auth(admin) })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'DELETE', url, headers: auth(admin) })).statusCode).toBe(404);
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/tenants/lincoln/providers',
        headers: auth(admin),
      });
      expect((list.json().providers as { id: string }[]).map((p) => p.id)).not.toContain(created.id);
    });

    it('is refused while a run of the provider is active, naming the run', async () => {
      const created = (await create(providerBody('lincoln', 'ONEROSTER_CSV'))).json();
      // A pending run that no worker picks up: the refusal does not depend on timing.
      const pending = await createRun(t.handle.db, {
        tenantId: 'lincoln',
        providerId: created.id,
        trigger: 'MANUAL',
        triggeredBy: 'test',
        dryRun: false,
      });
      if (!pending.created) throw new Error('the provider had an active run already');
      const url = `/api/v1/providers/${created.id}`;
      const refused = await t.app.inject({ method: 'DELETE', url, headers: auth(admin) });
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({ code: 'conflict', details: { runId: pending.run.id } });
      expect(refused.json().error.message).toContain(pending.run.id);
      expect((await t.app.inject({ method: 'GET', url, headers: auth(admin) })).statusCode).toBe(200);

      await t.deps.runs.cancel({ principal: platformAdmin }, created.id);
      expect((await t.app.inject({ method: 'DELETE', url, headers: auth(admin) })).statusCode).toBe(204);
    });

    it('frees the name for a new provider', async () => {
      const created = (await create(providerBody('lincoln', 'CLEVER', { name: 'Reusable' }))).json();
      await t.app.inject({ method: 'DELETE', url: `/api/v1/providers/${created.id}`, headers: auth(admin) });
      expect((await create(providerBody('lincoln', 'CLEVER', { name: 'Reusable' }))).statusCode).toBe(201);
    });
  });

  describe('GET /api/v1/provider-types', () => {
    it('lists each type with its config schema and secret fields', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/provider-types', headers: auth(admin) });
      expect(res.statusCode).toBe(200);
      const types = res.json().providerTypes as { type: string; secretFields: string[] }[];
      expect(types.map((x) => x.type)).toEqual([...PROVIDER_TYPES]);
      expect(types.find((x) => x.type === 'ONEROSTER_CSV')?.secretFields).toEqual([
        'sftp.password',
        'sftp.privateKey',
        'sftp.passphrase',
      ]);
    });
  });
});
