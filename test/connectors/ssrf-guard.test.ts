import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { loadConfig } from '../../src/config/config.js';
import { validateProviderConfig } from '../../src/connectors/config-validation.js';
import { ConnectorError } from '../../src/connectors/connector.js';
import { createConnectorFor } from '../../src/connectors/create-connector.js';
import { listSftp, type SftpSettings } from '../../src/connectors/oneroster-csv/sftp-fetch.js';
import { ValidationError } from '../../src/domain/errors.js';
import { egressPolicy, refusalOf, type EgressPolicy } from '../../src/lib/network-guard.js';
import { sendWebhook, webhookSettings } from '../../src/services/webhook-delivery.js';
import {
  generateDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import {
  startOneRosterServer,
  type RunningOneRosterServer,
} from '../../src/simulators/oneroster/oneroster-server.js';
import { startSftpServer, type RunningSftpServer } from '../../src/simulators/sftp-server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { createTestLogger } from '../support/logger.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, syncNow } from '../support/sync.js';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../support/webhook-receiver.js';
import { FAST_HTTP, apiProvider } from './oneroster-api-helpers.js';

/*
 * The outbound guard end to end: every simulator here listens on 127.0.0.1, which the app under
 * test (SIS_SYNC_OUTBOUND_ALLOW=none) may not reach, by literal address or by a name resolving there.
 */

const NONE = egressPolicy('none');
const LOOPBACK = egressPolicy('loopback');
const LOOPBACK_REFUSED = 'is a loopback address; set SIS_SYNC_OUTBOUND_ALLOW=loopback to allow it';
const clients = new Map([['district-key', 'district-secret']]);

let t: TestApp;
let district: GeneratedDistrictSource;
let server: RunningOneRosterServer;
let receiver: WebhookReceiver;
let sftp: RunningSftpServer;
let port: number;

beforeAll(async () => {
  t = await createTestApp(
    { outboundAllow: NONE },
    { webhooks: { backoffMs: [40], jitter: 0, maxAttempts: 4, timeoutMs: 3000 } },
  );
  district = await generateDistrictSource({ students: 20, seed: 9 });
  server = await startOneRosterServer({
    source: district.source,
    clients,
    signatureMethods: ['HMAC-SHA256'],
  });
  port = Number(new URL(server.baseUrl).port);
  receiver = await startWebhookReceiver([200]);
  const root = mkdtempSync(path.join(inject('workDir'), 'ssrf-sftp-'));
  mkdirSync(path.join(root, 'export'));
  writeFileSync(path.join(root, 'export', 'manifest.csv'), 'propertyName,value\nmanifest.version,1.0\n');
  sftp = await startSftpServer({
    root,
    host: '127.0.0.1',
    users: [{ username: 'district', password: TEST_SECRETS.sftpPassword }],
  });
});
afterAll(async () => {
  await Promise.all([server.close(), receiver.close(), sftp.close()]);
  await t.close();
  await district.cleanup();
});

const apiConfig = (baseUrl: string, extra: Record<string, unknown> = {}) => ({
  baseUrl,
  authMethod: 'oauth1',
  signatureMethod: 'HMAC-SHA256',
  clientId: 'district-key',
  clientSecret: 'district-secret',
  http: FAST_HTTP,
  ...extra,
});

function connectorFor(baseUrl: string, egress: EgressPolicy) {
  const validated = validateProviderConfig('ONEROSTER_API', apiConfig(baseUrl), { production: false });
  if (!validated.ok) throw new Error(JSON.stringify(validated.error));
  return createConnectorFor(
    { providerType: 'ONEROSTER_API' },
    validated.value,
    createTestLogger(),
    undefined,
    egress,
  );
}

/** Data requests the simulator answered so far. */
const served = () => [...server.requests.values()].reduce((a, b) => a + b, 0);

const ctx = () => ({ signal: new AbortController().signal, logger: createTestLogger() });

describe('provider HTTP connections', () => {
  it('refuses a base URL on 127.0.0.1 when loopback is not allowed, and reaches it when it is', async () => {
    const error = await connectorFor(server.baseUrl, NONE)
      .testConnection(ctx())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('config_invalid');
    expect((error as ConnectorError).retryable).toBe(false);
    expect((error as ConnectorError).message).toBe(
      `OneRoster API: provider address 127.0.0.1 ${LOOPBACK_REFUSED}`,
    );
    expect(served()).toBe(0);

    const report = await connectorFor(server.baseUrl, LOOPBACK).testConnection(ctx());
    expect(report.summary).toMatch(/OneRoster/);
    expect(served()).toBeGreaterThan(0);
  });

  it('checks the resolved address: a host name resolving to loopback is refused the same way', async () => {
    const error = await connectorFor(`http://localhost:${port}/ims/oneroster/v1p1`, NONE)
      .testConnection(ctx())
      .catch((e: unknown) => e);
    expect((error as ConnectorError).code).toBe('config_invalid');
    expect((error as ConnectorError).message).toMatch(
      /^OneRoster API: provider address (127\.0\.0\.1|::1) \(host localhost\) is a loopback address/,
    );
  });
});

describe(`provider configs and connection tests on ${driver}`, () => {
  it('refuses a literal loopback base URL and a private token URL up front, field by field', async () => {
    const create = (config: Record<string, unknown>) =>
      t.deps.providers
        .create(
          { principal: platformAdmin },
          { tenantId: 'ssrf', providerType: 'ONEROSTER_API', name: 'guarded', config },
        )
        .catch((e: unknown) => e);
    const loopback = await create(apiConfig(server.baseUrl));
    expect(loopback).toBeInstanceOf(ValidationError);
    expect((loopback as ValidationError).issues).toEqual([
      { path: 'config.baseUrl', message: `address 127.0.0.1 ${LOOPBACK_REFUSED}` },
    ]);

    const token = await create(
      apiConfig(`https://sis.example.org/ims/oneroster/v1p1`, {
        authMethod: 'oauth2',
        tokenUrl: 'https://10.0.0.5/token',
      }),
    );
    expect(token).toBeInstanceOf(ValidationError);
    expect((token as ValidationError).issues).toEqual([
      {
        path: 'config.tokenUrl',
        message: 'address 10.0.0.5 is in a private range; set SIS_SYNC_OUTBOUND_ALLOW=private to allow it',
      },
    ]);
  });

  it('stores a host name, then refuses it at connection time with the reason', async () => {
    const id = await apiProvider(
      t,
      'ssrf-named',
      'ONEROSTER_API',
      apiConfig(`http://localhost:${port}/ims/oneroster/v1p1`),
    );
    const before = served();
    const result = await t.deps.runs.testConnection({ principal: platformAdmin }, id);
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('config_invalid');
    expect(result.error?.message).toContain('(host localhost) is a loopback address');
    expect(served()).toBe(before);
  });
});

describe(`webhook receivers on ${driver}`, () => {
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${await t.token('DISTRICT_ADMIN', 'ssrf-hooks')}` },
      ...(payload === undefined ? {} : { payload }),
    });

  it('refuses a literal loopback receiver URL when it is registered', async () => {
    const res = await call('POST', '/tenants/ssrf-hooks/webhooks', { url: receiver.url });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.body).toContain(`address 127.0.0.1 ${LOOPBACK_REFUSED}`);
  });

  it('fails an attempt to a name resolving to loopback, recording the reason, without sending', async () => {
    const url = receiver.url.replace('127.0.0.1', 'localhost');
    const created = await call('POST', '/tenants/ssrf-hooks/webhooks', { url });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    const res = await call('POST', `/tenants/ssrf-hooks/webhooks/${id}/test`);
    expect(res.statusCode, res.body).toBe(200);
    const reason = res.json<{ delivered: boolean; error: string }>();
    expect(reason.delivered).toBe(false);
    expect(reason.error).toMatch(
      /^receiver address (127\.0\.0\.1|::1) \(host localhost\) is a loopback address/,
    );
    expect(receiver.received).toHaveLength(0);

    const log = await call('GET', `/tenants/ssrf-hooks/webhooks/${id}/deliveries`);
    const [delivery] = log.json<{ deliveries: { status: string; attempts: { error: string }[] }[] }>()
      .deliveries;
    expect(delivery!.status).toBe('failed');
    expect(delivery!.attempts.map((a) => a.error)).toEqual([reason.error]);
  });

  it("fails a run's notice to a refused receiver after one attempt, without retrying", async () => {
    const tenant = 'ssrf-run';
    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/tenants/${tenant}/webhooks`,
      headers: { authorization: `Bearer ${await t.token('DISTRICT_ADMIN', tenant)}` },
      payload: { url: receiver.url.replace('127.0.0.1', 'localhost') },
    });
    expect(created.statusCode, created.body).toBe(201);
    const run = await syncNow(t, await csvProvider(t, tenant, writePackage(smallDistrict())));
    expect(run.status).toBe('SUCCESS');
    const [delivery] = await waitFor('the settled notice', async () => {
      const all = await rows<{ status: string; attempts: number; last_error: string | null }>(
        t,
        `SELECT status, attempts, last_error FROM sis_webhook_deliveries WHERE tenant_id = '${tenant}'`,
      );
      return all.length === 1 && all[0]!.status !== 'pending' ? all : undefined;
    });
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
    expect(delivery!.last_error).toMatch(
      /^receiver address (127\.0\.0\.1|::1) \(host localhost\) is a loopback/,
    );
    expect(receiver.received).toHaveLength(0);
  });

  it('marks a refused attempt as not worth retrying, and sends when loopback is allowed', async () => {
    const delivery = { id: 'd-1', payload: { event: 'ping' } };
    const target = { url: receiver.url, secret: `whsec_${'k'.repeat(43)}` };
    receiver.secret = target.secret;
    const refused = await sendWebhook(webhookSettings({ egress: NONE }), target, delivery, new Date());
    expect(refused).toMatchObject({
      delivered: false,
      responseStatus: null,
      permanent: true,
      error: `receiver address 127.0.0.1 ${LOOPBACK_REFUSED}`,
    });
    expect(receiver.received).toHaveLength(0);
    const sent = await sendWebhook(webhookSettings({ egress: LOOPBACK }), target, delivery, new Date());
    expect(sent).toMatchObject({ delivered: true, responseStatus: 200 });
    expect(sent.permanent).toBeUndefined();
    expect(receiver.received).toHaveLength(1);
  });
});

describe('SFTP hosts', () => {
  const settings = (host: string): SftpSettings => ({
    host,
    port: sftp.port,
    username: 'district',
    password: TEST_SECRETS.sftpPassword,
    hostKeyFingerprint: sftp.hostKeyFingerprint,
  });

  it('refuses 127.0.0.1 and a name resolving there when loopback is not allowed', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const error = await listSftp(settings(host), '/export', {
        signal: new AbortController().signal,
        egress: NONE,
      }).catch((e: unknown) => e);
      expect(error, host).toBeInstanceOf(ConnectorError);
      expect((error as ConnectorError).code).toBe('config_invalid');
      expect((error as ConnectorError).message).toMatch(/^OneRoster CSV: SFTP address (127\.0\.0\.1|::1)/);
      expect((error as ConnectorError).message).toContain(LOOPBACK_REFUSED);
    }
  });

  it('connects to the checked address when loopback is allowed, pinning the host key as before', async () => {
    const listing = await listSftp(settings('localhost'), '/export', {
      signal: new AbortController().signal,
      egress: LOOPBACK,
    });
    expect(listing.files.map((f) => f.name)).toEqual(['manifest.csv']);
  });

  it('refuses a literal private SFTP host in a provider config', () => {
    const validated = validateProviderConfig(
      'ONEROSTER_CSV',
      { sftp: { ...settings('192.168.10.20'), port: 22 }, remotePath: '/export' },
      { production: false, egress: LOOPBACK },
    );
    expect(validated.ok).toBe(false);
    if (!validated.ok) {
      expect(validated.error).toEqual([
        {
          path: 'sftp.host',
          message:
            'address 192.168.10.20 is in a private range; set SIS_SYNC_OUTBOUND_ALLOW=private to allow it',
        },
      ]);
    }
  });
});

describe('SIS_SYNC_OUTBOUND_ALLOW', () => {
  const policyOf = (env: Record<string, string>) => {
    const loaded = loadConfig({ JWT_SECRET: TEST_SECRETS.jwtSecret, ...env });
    if (!loaded.ok) throw loaded.error;
    return loaded.value.outboundAllow;
  };

  it('defaults to loopback outside production and to nothing in production', () => {
    expect(refusalOf(policyOf({ NODE_ENV: 'development' }), '127.0.0.1')).toBeNull();
    expect(refusalOf(policyOf({ NODE_ENV: 'test' }), '10.0.0.1')).not.toBeNull();
    const production = policyOf({ NODE_ENV: 'production', SIS_SYNC_ENCRYPTION_KEY: 'a'.repeat(64) });
    expect(refusalOf(production, '127.0.0.1')).not.toBeNull();
  });

  it('takes what is set, none included, and names a bad entry', () => {
    const set = policyOf({
      NODE_ENV: 'production',
      SIS_SYNC_ENCRYPTION_KEY: 'a'.repeat(64),
      SIS_SYNC_OUTBOUND_ALLOW: 'private',
    });
    expect(refusalOf(set, '10.0.0.1')).toBeNull();
    expect(refusalOf(policyOf({ SIS_SYNC_OUTBOUND_ALLOW: 'none' }), '127.0.0.1')).not.toBeNull();
    const bad = loadConfig({ SIS_SYNC_OUTBOUND_ALLOW: 'loopback,intranet' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toContain('SIS_SYNC_OUTBOUND_ALLOW entry "intranet" is neither');
  });
});
