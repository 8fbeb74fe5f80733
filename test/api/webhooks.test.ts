import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createWebhookService } from '../../src/services/webhook-service.js';
import { webhookSettings } from '../../src/services/webhook-delivery.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { rows } from '../support/sync.js';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../support/webhook-receiver.js';

/*
 * The webhook routes over HTTP: create, list, get, change, delete, rotate the secret, the test
 * button, the delivery log and redelivery; tenant rules, validation, the audit trail, and the
 * signing secret shown once and nowhere else.
 */

const OWN = 'lincoln';
const OTHER = 'jefferson';

let t: TestApp;
let admin: string;
let otherAdmin: string;
let platform: string;
const receivers: WebhookReceiver[] = [];
/** Every secret the API handed out, searched for in responses and logs. */
const secrets: string[] = [];

beforeAll(async () => {
  t = await createTestApp({}, { webhooks: { backoffMs: [40], jitter: 0, maxAttempts: 2, timeoutMs: 3000 } });
  admin = await t.token('DISTRICT_ADMIN', OWN, { subject: 'dana@lincoln' });
  otherAdmin = await t.token('DISTRICT_ADMIN', OTHER, { subject: 'jo@jefferson' });
  platform = await t.token('PLATFORM_ADMIN');
});
afterAll(async () => {
  await t.close();
  await Promise.all(receivers.map((r) => r.close()));
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, token: string = admin, payload?: object) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(payload === undefined ? {} : { payload }),
  });

function expectError(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<{ error: { code: string; message: string; requestId: string } }>();
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  return body.error;
}

async function receiver(script: number[] = [200]): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(script);
  receivers.push(r);
  return r;
}

interface WebhookBody {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  secretHint: string;
  secret?: string;
}

async function create(
  r: WebhookReceiver,
  body: object = {},
  tenantId = OWN,
  token = admin,
): Promise<WebhookBody> {
  const res = await call('POST', `/tenants/${tenantId}/webhooks`, token, { url: r.url, ...body });
  expect(res.statusCode, res.body).toBe(201);
  const created = res.json<WebhookBody>();
  r.secret = created.secret!;
  secrets.push(created.secret!);
  return created;
}

const auditOf = (targetId: string) =>
  rows<{ action: string; actor: string; details: Record<string, unknown>; request_id: string | null }>(
    t,
    `SELECT action, actor, details, request_id FROM audit_log WHERE target_id = '${targetId}' ORDER BY id`,
  );

interface DeliveryBody {
  id: string;
  event: string;
  status: string;
  runId: string | null;
  payload: Record<string, unknown>;
  responseStatus: number | null;
  lastError: string | null;
  attempts: { attempt: number; responseStatus: number | null; error: string | null; durationMs: number }[];
}
async function deliveries(webhookId: string, query = '', token = admin) {
  const res = await call('GET', `/tenants/${OWN}/webhooks/${webhookId}/deliveries${query}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ deliveries: DeliveryBody[]; total: number; limit: number; offset: number }>();
}

describe(`webhook routes on ${driver}`, () => {
  describe('create, read, change, delete', () => {
    it('creates a webhook, returns its secret once, and shows only a hint of it afterwards', async () => {
      const r = await receiver();
      const created = await create(r, { description: '  Gradebook sync  ' });
      expect(created).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tenantId: OWN,
        url: r.url,
        description: 'Gradebook sync',
        events: ['run.applied'],
        enabled: true,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
        secretHint: created.secret!.slice(-4),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });

      const got = await call('GET', `/tenants/${OWN}/webhooks/${created.id}`);
      expect(got.statusCode).toBe(200);
      expect(got.json()).not.toHaveProperty('secret');
      expect(got.json<WebhookBody>().secretHint).toBe(created.secret!.slice(-4));
      const list = await call('GET', `/tenants/${OWN}/webhooks`);
      expect(list.json<{ webhooks: WebhookBody[] }>().webhooks.map((w) => w.id)).toContain(created.id);
      for (const res of [got, list]) expect(res.body).not.toContain(created.secret);

      // Sealed at rest, bound to its row; the audit trail names the receiver's host only.
      const [stored] = await rows<{ secret_ciphertext: string; secret_key_id: string }>(
        t,
        `SELECT secret_ciphertext, secret_key_id FROM sis_webhook_subscriptions WHERE id = '${created.id}'`,
      );
      expect(stored!.secret_ciphertext).not.toContain(created.secret!.slice(6));
      expect(stored!.secret_key_id).toBe(t.deps.secretBox.activeKeyId);
      const [audit] = await auditOf(created.id);
      expect(audit).toMatchObject({
        action: 'webhook.create',
        actor: 'dana@lincoln',
        details: { host: new URL(r.url).host, events: ['run.applied'], enabled: true },
      });
      expect(JSON.stringify(await auditOf(created.id))).not.toContain(created.secret);
    });

    it('changes url, description, events and enabled, and audits what changed', async () => {
      const r = await receiver();
      const created = await create(r);
      const res = await call('PATCH', `/tenants/${OWN}/webhooks/${created.id}`, admin, {
        events: ['run.failed', 'run.applied'],
        enabled: false,
        description: 'paused',
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        events: ['run.applied', 'run.failed'],
        enabled: false,
        description: 'paused',
        secretHint: created.secretHint,
      });
      // The same values again change nothing and leave no audit entry.
      const same = await call('PATCH', `/tenants/${OWN}/webhooks/${created.id}`, admin, {
        events: ['run.applied', 'run.failed'],
      });
      expect(same.statusCode).toBe(200);
      expect((await auditOf(created.id)).map((a) => [a.action, a.details.changed])).toEqual([
        ['webhook.create', undefined],
        ['webhook.update', ['events', 'description', 'enabled']],
      ]);
    });

    it('refuses URLs that are not http(s), carry credentials, and unknown events', async () => {
      const bad = async (body: object) =>
        expectError(await call('POST', `/tenants/${OWN}/webhooks`, admin, body), 400, 'validation_failed');
      expect((await bad({ url: 'ftp://example.org/hook' })).message).toContain('http or https');
      expect((await bad({ url: 'not a url' })).message).toContain('not a URL');
      expect((await bad({ url: 'https://user:pw@example.org/hook' })).message).toContain('credentials');
      await bad({ url: 'https://example.org/hook', events: ['run.started'] });
      await bad({ url: 'https://example.org/hook', events: [] });
      await bad({ url: 'https://example.org/hook', secret: 'whsec_mine' });
      const created = await create(await receiver());
      expectError(
        await call('PATCH', `/tenants/${OWN}/webhooks/${created.id}`, admin, { url: 'file:///etc/passwd' }),
        400,
        'validation_failed',
      );
    });

    it('demands https in production', async () => {
      const production = createWebhookService({
        db: t.handle.db,
        secretBox: t.deps.secretBox,
        production: true,
        settings: webhookSettings(),
        dispatcher: { enqueue: () => Promise.resolve(), dispatched: () => undefined },
      });
      const ctx = { principal: { subject: 'p', roles: ['PLATFORM_ADMIN' as const], tenantId: undefined } };
      await expect(production.create(ctx, OWN, { url: 'http://hooks.example.org/sis' })).rejects.toThrow(
        /https URL in production/,
      );
      const { webhook, secret } = await production.create(ctx, OWN, { url: 'https://hooks.example.org/sis' });
      secrets.push(secret);
      expect(webhook.url).toBe('https://hooks.example.org/sis');
    });

    it('deletes softly: gone from the API, its delivery log kept', async () => {
      const r = await receiver();
      const created = await create(r);
      expect((await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`)).statusCode).toBe(200);
      const res = await call('DELETE', `/tenants/${OWN}/webhooks/${created.id}`);
      expect(res.statusCode).toBe(204);
      expectError(await call('GET', `/tenants/${OWN}/webhooks/${created.id}`), 404, 'not_found');
      expectError(await call('DELETE', `/tenants/${OWN}/webhooks/${created.id}`), 404, 'not_found');
      const list = await call('GET', `/tenants/${OWN}/webhooks`);
      expect(list.json<{ webhooks: WebhookBody[] }>().webhooks.map((w) => w.id)).not.toContain(created.id);
      const [row] = await rows<{ deleted: boolean; enabled: boolean; n: number }>(
        t,
        `SELECT s.deleted_at IS NOT NULL AS deleted, s.enabled,
                (SELECT count(*)::int FROM sis_webhook_deliveries d WHERE d.subscription_id = s.id) AS n
         FROM sis_webhook_subscriptions s WHERE s.id = '${created.id}'`,
      );
      expect(row).toEqual({ deleted: true, enabled: false, n: 1 });
      expect((await auditOf(created.id)).map((a) => a.action)).toEqual([
        'webhook.create',
        'webhook.test',
        'webhook.delete',
      ]);
    });
  });

  describe('the signing secret', () => {
    it('rotates: the new secret is returned once, the old one no longer signs', async () => {
      const r = await receiver();
      const created = await create(r);
      const rotated = await call('POST', `/tenants/${OWN}/webhooks/${created.id}/rotate-secret`);
      expect(rotated.statusCode, rotated.body).toBe(200);
      const body = rotated.json<WebhookBody>();
      secrets.push(body.secret!);
      expect(body.secret).toMatch(/^whsec_/);
      expect(body.secret).not.toBe(created.secret);
      expect(body.secretHint).toBe(body.secret!.slice(-4));

      // The receiver still holds the old secret: the ping fails its check (401).
      const stale = await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`);
      expect(stale.json()).toMatchObject({ delivered: false, responseStatus: 401 });
      r.secret = body.secret!;
      const fresh = await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`);
      expect(fresh.json()).toMatchObject({ delivered: true, responseStatus: 200 });
      expect(r.received.map((n) => n.signatureValid)).toEqual([false, true]);
      expect((await auditOf(created.id)).map((a) => a.action)).toContain('webhook.rotate_secret');
    });

    it('appears in no response but the ones that hand it out, and in no log line', async () => {
      const r = await receiver();
      const created = await create(r, { events: ['run.applied', 'run.held'] });
      const responses = [
        await call('GET', `/tenants/${OWN}/webhooks`),
        await call('GET', `/tenants/${OWN}/webhooks/${created.id}`),
        await call('GET', `/tenants/${OWN}/webhooks`, platform),
        await call('PATCH', `/tenants/${OWN}/webhooks/${created.id}`, admin, { description: 'x' }),
        await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`),
        await call('GET', `/tenants/${OWN}/webhooks/${created.id}/deliveries`),
      ];
      for (const res of responses) {
        expect(res.statusCode, res.body).toBeLessThan(300);
        for (const secret of secrets) expect(res.body).not.toContain(secret);
      }
      // Everything this file's app logged so far (the suite's log scan cannot know generated secrets).
      const logDir = inject('logDir');
      const logs = readdirSync(logDir)
        .filter((f) => f.startsWith(`webhooks.test.ts-${process.pid}-`))
        .map((f) => readFileSync(path.join(logDir, f), 'utf8'))
        .join('\n');
      expect(logs).toContain('"path":"/api/v1/tenants/lincoln/webhooks"');
      expect(secrets.length).toBeGreaterThan(3);
      for (const secret of secrets) expect(logs).not.toContain(secret);
    });
  });

  describe('the test button', () => {
    it('sends a signed ping and reports the answer; a failing receiver is an outcome, not an error', async () => {
      const r = await receiver([500]);
      const created = await create(r);
      const res = await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`);
      expect(res.statusCode, res.body).toBe(200);
      const outcome = res.json<{ deliveryId: string; durationMs: number }>();
      expect(outcome).toEqual({
        deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        delivered: false,
        responseStatus: 500,
        durationMs: expect.any(Number),
        error: 'the receiver answered 500',
      });
      expect(r.received).toHaveLength(1);
      expect(r.received[0]!.signatureValid).toBe(true);
      expect(r.received[0]!.headers['webhook-id']).toBe(outcome.deliveryId);
      expect(r.received[0]!.payload).toMatchObject({
        id: outcome.deliveryId,
        event: 'ping',
        tenantId: OWN,
        webhook: { id: created.id, events: ['run.applied'] },
      });

      // In the delivery log, failed after its one attempt (a ping is not retried).
      const log = await deliveries(created.id);
      expect(log.deliveries).toMatchObject([
        {
          id: outcome.deliveryId,
          event: 'ping',
          status: 'failed',
          runId: null,
          responseStatus: 500,
          lastError: 'the receiver answered 500',
          attempts: [{ attempt: 1, responseStatus: 500, error: 'the receiver answered 500' }],
        },
      ]);
    });

    it('reports a receiver that cannot be reached', async () => {
      const r = await receiver();
      const created = await create(r);
      await r.close();
      const res = await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({
        delivered: false,
        responseStatus: null,
        error: 'could not reach the receiver (ECONNREFUSED)',
      });
    });

    it('does not follow a redirect', async () => {
      const r = await receiver([302]);
      r.headersFor[302] = { location: 'http://127.0.0.1:9/elsewhere' };
      const created = await create(r);
      const res = await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`);
      expect(res.json()).toMatchObject({
        delivered: false,
        responseStatus: 302,
        error: 'the receiver answered 302, a redirect; redirects are not followed',
      });
      expect(r.received).toHaveLength(1);
    });
  });

  describe('the delivery log and redelivery', () => {
    it('lists deliveries newest first, paged', async () => {
      const r = await receiver();
      const created = await create(r);
      const first = (await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`)).json<{
        deliveryId: string;
      }>();
      const second = (await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`)).json<{
        deliveryId: string;
      }>();
      const page1 = await deliveries(created.id, '?limit=1');
      expect(page1).toMatchObject({ total: 2, limit: 1, offset: 0 });
      expect(page1.deliveries.map((d) => d.id)).toEqual([second.deliveryId]);
      const page2 = await deliveries(created.id, '?limit=1&offset=1');
      expect(page2.deliveries.map((d) => d.id)).toEqual([first.deliveryId]);
      expect(page2.deliveries[0]).toMatchObject({ status: 'succeeded', responseStatus: 200 });
      expectError(
        await call('GET', `/tenants/${OWN}/webhooks/${created.id}/deliveries?limit=0`),
        400,
        'validation_failed',
      );
    });

    it('redelivers a finished delivery with the same id, continuing the attempt count', async () => {
      const r = await receiver([500, 200]);
      const created = await create(r);
      const ping = (await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`)).json<{
        deliveryId: string;
        delivered: boolean;
      }>();
      expect(ping.delivered).toBe(false);
      const res = await call(
        'POST',
        `/tenants/${OWN}/webhooks/${created.id}/deliveries/${ping.deliveryId}/redeliver`,
      );
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ id: ping.deliveryId, status: 'pending' });

      const done = await waitFor('the redelivery', async () => {
        const [d] = (await deliveries(created.id)).deliveries;
        return d?.status === 'pending' ? undefined : d;
      });
      expect(done).toMatchObject({ status: 'succeeded', responseStatus: 200, lastError: null });
      expect(done.attempts.map((a) => [a.attempt, a.responseStatus])).toEqual([
        [1, 500],
        [2, 200],
      ]);
      expect(r.received.map((n) => n.headers['webhook-id'])).toEqual([ping.deliveryId, ping.deliveryId]);
      expect(r.received[0]!.body).toBe(r.received[1]!.body);
      const audit = await auditOf(created.id);
      expect(audit.at(-1)).toMatchObject({
        action: 'webhook.redeliver',
        details: { deliveryId: ping.deliveryId, event: 'ping' },
      });
    });

    it('refuses to redeliver a pending delivery, or one of another webhook', async () => {
      const r = await receiver();
      const created = await create(r);
      const other = await create(await receiver());
      const ping = (await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`)).json<{
        deliveryId: string;
      }>();
      const redeliver = (webhookId: string) =>
        call('POST', `/tenants/${OWN}/webhooks/${webhookId}/deliveries/${ping.deliveryId}/redeliver`);
      expectError(await redeliver(other.id), 404, 'not_found');

      // The receiver holds its answer: the redelivery's attempt is under way, the delivery pending.
      const release = r.holdAnswers();
      expect((await redeliver(created.id)).statusCode).toBe(202);
      await waitFor('the redelivery to reach the receiver', () =>
        Promise.resolve(r.received.length === 2 ? true : undefined),
      );
      expect(expectError(await redeliver(created.id), 409, 'conflict').message).toContain('still pending');
      release();
      const [done] = (
        await waitFor('the redelivery to settle', async () => {
          const log = await deliveries(created.id);
          return log.deliveries[0]?.status === 'succeeded' ? log : undefined;
        })
      ).deliveries;
      expect(done!.attempts.map((a) => a.attempt)).toEqual([1, 2]);
    });

    it('refuses to redeliver to a disabled webhook', async () => {
      const r = await receiver();
      const created = await create(r);
      const ping = (await call('POST', `/tenants/${OWN}/webhooks/${created.id}/test`)).json<{
        deliveryId: string;
      }>();
      await call('PATCH', `/tenants/${OWN}/webhooks/${created.id}`, admin, { enabled: false });
      const res = await call(
        'POST',
        `/tenants/${OWN}/webhooks/${created.id}/deliveries/${ping.deliveryId}/redeliver`,
      );
      expect(expectError(res, 409, 'conflict').message).toContain('disabled');
    });
  });

  describe('tenant rules', () => {
    it("a district admin cannot see or touch another tenant's webhooks", async () => {
      const r = await receiver();
      const theirs = await create(r, {}, OTHER, otherAdmin);
      const ping = (await call('POST', `/tenants/${OTHER}/webhooks/${theirs.id}/test`, otherAdmin)).json<{
        deliveryId: string;
      }>();
      // Naming the other tenant: forbidden, as on every tenant route. Its webhook under one's own
      // tenant: not found, with no hint that it exists.
      expectError(await call('GET', `/tenants/${OTHER}/webhooks`), 403, 'forbidden');
      expectError(
        await call('POST', `/tenants/${OTHER}/webhooks`, admin, { url: 'https://example.org/x' }),
        403,
        'forbidden',
      );
      for (const [tenant, status, code] of [
        [OTHER, 403, 'forbidden'],
        [OWN, 404, 'not_found'],
      ] as const) {
        const base = `/tenants/${tenant}/webhooks/${theirs.id}`;
        expectError(await call('GET', base), status, code);
        expectError(await call('PATCH', base, admin, { enabled: false }), status, code);
        expectError(await call('DELETE', base), status, code);
        expectError(await call('POST', `${base}/rotate-secret`), status, code);
        expectError(await call('POST', `${base}/test`), status, code);
        expectError(await call('GET', `${base}/deliveries`), status, code);
        expectError(await call('POST', `${base}/deliveries/${ping.deliveryId}/redeliver`), status, code);
      }
      // Untouched: still enabled, one ping, same secret.
      expect(r.received).toHaveLength(1);
      const mine = await call('GET', `/tenants/${OTHER}/webhooks/${theirs.id}`, otherAdmin);
      expect(mine.json()).toMatchObject({ enabled: true, secretHint: theirs.secretHint });
      // A platform admin reaches every tenant.
      expect((await call('GET', `/tenants/${OTHER}/webhooks/${theirs.id}`, platform)).statusCode).toBe(200);
      expect(
        (await call('GET', `/tenants/${OTHER}/webhooks`, platform)).json<{ webhooks: WebhookBody[] }>()
          .webhooks,
      ).toHaveLength(1);
    });

    it('are in the OpenAPI document; only creation and rotation answer with the secret', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json<{
        paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
      }>();
      const base = '/api/v1/tenants/{tenantId}/webhooks';
      const routes: [string, string, string][] = [
        ['get', base, '200'],
        ['post', base, '201'],
        ['get', `${base}/{webhookId}`, '200'],
        ['patch', `${base}/{webhookId}`, '200'],
        ['delete', `${base}/{webhookId}`, '204'],
        ['post', `${base}/{webhookId}/rotate-secret`, '200'],
        ['post', `${base}/{webhookId}/test`, '200'],
        ['get', `${base}/{webhookId}/deliveries`, '200'],
        ['post', `${base}/{webhookId}/deliveries/{deliveryId}/redeliver`, '202'],
      ];
      const answersWithSecret = routes.filter(([method, url, status]) => {
        const response = doc.paths[url]?.[method]?.responses[status];
        expect(response, `${method} ${url}`).toBeDefined();
        return JSON.stringify(response).includes('"secret"');
      });
      expect(answersWithSecret.map(([method, url]) => `${method} ${url}`)).toEqual([
        `post ${base}`,
        `post ${base}/{webhookId}/rotate-secret`,
      ]);
    });

    it('needs a token', async () => {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/tenants/${OWN}/webhooks` });
      expect(res.statusCode).toBe(401);
    });
  });
});
