import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { auditLog, sisProviders } from '../../src/db/schema/index.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { providerBody, validConfig } from '../support/factories.js';
import { TEST_SECRETS } from '../support/secrets.js';

let t: TestApp;
let admin: string;
const importDir = mkdtempSync(path.join(tmpdir(), 'sis-sync-import-'));

beforeAll(async () => {
  t = await createTestApp({ importDir });
  admin = await t.token('DISTRICT_ADMIN', 'lincoln');
});
afterAll(async () => t.close());

const auth = (token: string) => ({ authorization: `Bearer ${token}` });
const create = (body: object, token = admin) =>
  t.app.inject({ method: 'POST', url: '/api/v1/providers', headers: auth(token), payload: body });
const patch = (id: string, body: object, token = admin) =>
  t.app.inject({ method: 'PATCH', url: `/api/v1/providers/${id}`, headers: auth(token), payload: body });

/** The stored config, decrypted the way the engine will read it. */
async function storedConfig(id: string): Promise<Record<string, unknown>> {
  const loaded = await t.deps.providers.loadConfig(id);
  if (loaded === undefined) throw new Error('provider not found');
  return loaded.config;
}

describe(`provider secrets on ${driver}`, () => {
  it('stores no plaintext secret in the sis_providers row', async () => {
    for (const type of ['ONEROSTER_API', 'CLEVER', 'CLASSLINK', 'ONEROSTER_CSV'] as const) {
      const res = await create(providerBody('lincoln', type));
      expect(res.statusCode).toBe(201);
      const rows = await t.handle.withSession((s) =>
        s.query('SELECT * FROM sis_providers WHERE id = $1', [res.json().id]),
      );
      const raw = JSON.stringify(rows);
      for (const secret of Object.values(TEST_SECRETS)) expect(raw).not.toContain(secret);
      // ...and not the non-secret settings either: the whole config is sealed.
      expect(raw).not.toContain('sis.example.org');
      expect(raw).toContain('v1.');
    }
  });

  it('decrypts to exactly what was sent', async () => {
    const body = providerBody('lincoln', 'ONEROSTER_CSV');
    const id = (await create(body)).json().id as string;
    expect(await storedConfig(id)).toEqual(body.config);
  });

  it('keeps stored secrets when a PATCH omits them or sends the placeholder', async () => {
    const id = (await create(providerBody('lincoln', 'ONEROSTER_API'))).json().id as string;
    const omitted: Record<string, unknown> = { ...validConfig('ONEROSTER_API'), clientId: 'new-key' };
    delete omitted.clientSecret;
    expect((await patch(id, { config: omitted })).statusCode).toBe(200);
    let stored = await storedConfig(id);
    expect(stored.clientSecret).toBe(TEST_SECRETS.oneRosterClientSecret);
    expect(stored.clientId).toBe('new-key');

    // Sending back what GET shows (secrets redacted) changes nothing secret.
    const shown = (
      await t.app.inject({ method: 'GET', url: `/api/v1/providers/${id}`, headers: auth(admin) })
    ).json();
    expect(shown.config.clientSecret).toBe('********');
    expect((await patch(id, { config: { ...shown.config, signatureMethod: 'HMAC-SHA1' } })).statusCode).toBe(
      200,
    );
    stored = await storedConfig(id);
    expect(stored.clientSecret).toBe(TEST_SECRETS.oneRosterClientSecret);
    expect(stored.signatureMethod).toBe('HMAC-SHA1');
  });

  it('replaces a secret that is retyped, and removes one sent as null', async () => {
    const id = (await create(providerBody('lincoln', 'ONEROSTER_API'))).json().id as string;
    const res = await patch(id, {
      config: { ...validConfig('ONEROSTER_API'), clientSecret: TEST_SECRETS.oneRosterClientSecretRotated },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(TEST_SECRETS.oneRosterClientSecretRotated);
    expect((await storedConfig(id)).clientSecret).toBe(TEST_SECRETS.oneRosterClientSecretRotated);

    const csv = (await create(providerBody('lincoln', 'ONEROSTER_CSV'))).json();
    const sftp = {
      ...(validConfig('ONEROSTER_CSV').sftp as object),
      privateKey: TEST_SECRETS.sftpPrivateKey,
      password: null,
    };
    expect(
      (await patch(csv.id as string, { config: { ...validConfig('ONEROSTER_CSV'), sftp } })).statusCode,
    ).toBe(200);
    const stored = (await storedConfig(csv.id as string)).sftp as Record<string, unknown>;
    expect(stored.password).toBeUndefined();
    expect(stored.privateKey).toBe(TEST_SECRETS.sftpPrivateKey);
  });

  it('refuses to remove the only credential', async () => {
    const id = (await create(providerBody('lincoln', 'ONEROSTER_API'))).json().id as string;
    const res = await patch(id, { config: { ...validConfig('ONEROSTER_API'), clientSecret: null } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('config.clientSecret');
    expect((await storedConfig(id)).clientSecret).toBe(TEST_SECRETS.oneRosterClientSecret);
  });

  it('binds a ciphertext to its row: copied onto another provider, it does not decrypt', async () => {
    const a = (await create(providerBody('lincoln', 'CLEVER'))).json().id as string;
    const b = (await create(providerBody('lincoln', 'CLEVER'))).json().id as string;
    const [rowA] = await t.handle.db.select().from(sisProviders).where(eq(sisProviders.id, a));
    await t.handle.db
      .update(sisProviders)
      .set({ configCiphertext: rowA?.configCiphertext ?? '' })
      .where(eq(sisProviders.id, b));
    await expect(t.deps.providers.loadConfig(b)).rejects.toThrow(/failed authentication/);
  });

  it('audits create, update and delete with actor and changed field names, never secret values', async () => {
    const id = (await create(providerBody('lincoln', 'ONEROSTER_API'))).json().id as string;
    await patch(id, {
      name: 'Audited',
      config: { ...validConfig('ONEROSTER_API'), clientSecret: TEST_SECRETS.oneRosterClientSecretRotated },
    });
    await t.app.inject({ method: 'DELETE', url: `/api/v1/providers/${id}`, headers: auth(admin) });
    const entries = await t.handle.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, id))
      .orderBy(auditLog.id);
    expect(entries.map((e) => e.action)).toEqual(['provider.create', 'provider.update', 'provider.delete']);
    for (const entry of entries) {
      expect(entry.actor).toBe('district_admin@lincoln');
      expect(entry.actorRoles).toEqual(['DISTRICT_ADMIN']);
      expect(entry.tenantId).toBe('lincoln');
      expect(entry.requestId).toBeTruthy();
      expect(entry.createdAt).toBeInstanceOf(Date);
    }
    expect(entries[1]?.details).toEqual({
      changed: ['name', 'config.clientSecret'],
      secretsChanged: ['clientSecret'],
    });
    const all = JSON.stringify(await t.handle.db.select().from(auditLog));
    for (const secret of Object.values(TEST_SECRETS)) expect(all).not.toContain(secret);
  });

  it('writes no audit entry for an update that changes nothing', async () => {
    const body = providerBody('lincoln', 'CLEVER');
    const id = (await create(body)).json().id as string;
    expect((await patch(id, { name: body.name as string })).statusCode).toBe(200);
    const entries = await t.handle.db.select().from(auditLog).where(eq(auditLog.targetId, id));
    expect(entries.map((e) => e.action)).toEqual(['provider.create']);
  });
});

describe(`server paths in CSV configs on ${driver}`, () => {
  const local = (localPath: string) => providerBody('lincoln', 'ONEROSTER_CSV', { config: { localPath } });

  it('lets a platform admin name any local path', async () => {
    const platform = await t.token('PLATFORM_ADMIN');
    expect((await create(local('/srv/exports/district.zip'), platform)).statusCode).toBe(201);
  });

  it('refuses a district admin a path outside SIS_SYNC_IMPORT_DIR, naming the rule', async () => {
    const res = await create(local('/etc'));
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('server_path_not_allowed');
    expect(res.json().error.message).toContain('config.localPath');
    expect(res.json().error.message).toContain('SIS_SYNC_IMPORT_DIR');
  });

  it('lets a district admin name a path inside SIS_SYNC_IMPORT_DIR', async () => {
    mkdirSync(path.join(importDir, 'lincoln'), { recursive: true });
    expect((await create(local(path.join(importDir, 'lincoln')))).statusCode).toBe(201);
  });

  it('sees through ../ and symlinks that leave the import folder', async () => {
    expect((await create(local(path.join(importDir, '..', 'elsewhere')))).statusCode).toBe(403);
    const link = path.join(importDir, 'escape');
    symlinkSync('/etc', link);
    expect((await create(local(link))).statusCode).toBe(403);
  });

  it('applies the same rule to an SFTP private key path', async () => {
    const sftp = {
      ...(validConfig('ONEROSTER_CSV').sftp as object),
      password: undefined,
      privateKeyPath: '/root/.ssh/id_ed25519',
    };
    const res = await create(
      providerBody('lincoln', 'ONEROSTER_CSV', { config: { ...validConfig('ONEROSTER_CSV'), sftp } }),
    );
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toContain('config.sftp.privateKeyPath');
  });

  it('refuses every district admin when no import folder is configured', async () => {
    const closed = await createTestApp();
    try {
      const token = await closed.token('DISTRICT_ADMIN', 'lincoln');
      const res = await closed.app.inject({
        method: 'POST',
        url: '/api/v1/providers',
        headers: auth(token),
        payload: local(path.join(importDir, 'lincoln')),
      });
      expect(res.statusCode).toBe(403);
    } finally {
      await closed.close();
    }
  });

  it('lets a district admin edit other fields of a provider whose path a platform admin set', async () => {
    const platform = await t.token('PLATFORM_ADMIN');
    const id = (await create(local('/srv/exports/other.zip'), platform)).json().id as string;
    expect(
      (await patch(id, { name: 'Renamed by district', config: { localPath: '/srv/exports/other.zip' } }))
        .statusCode,
    ).toBe(200);
    expect((await patch(id, { config: { localPath: '/srv/exports/changed.zip' } })).statusCode).toBe(403);
  });
});
