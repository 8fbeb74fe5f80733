import { existsSync, mkdtempSync } from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, inject, it } from 'vitest';

import { runCli, startCli, waitForOutput } from '../support/cli.js';
import { providerBody } from '../support/factories.js';

/*
 * The quick start, as a newcomer runs it: `sis-sync serve` on the embedded database in a fresh
 * data folder, a token from `sis-sync token`, then the API. And the embedded database belongs to
 * one process: a second one is refused plainly, never left hanging.
 */
const dataDir = mkdtempSync(path.join(inject('workDir'), 'serve-'));
const env = { SIS_SYNC_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' };
const server = startCli(['serve'], env);
afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
});

const urlOf = () => /listening on (http:\/\/\S+?)[\s"(]/.exec(server.output().stdout)?.[1];

describe('sis-sync serve on the embedded database', () => {
  it('comes up with a generated development key and says how to get a token', async () => {
    await waitForOutput(server, () => urlOf() !== undefined);
    const out = server.output().stdout;
    expect(out).toContain('DEVELOPMENT key');
    expect(out).toMatch(/SIS_SYNC_DATA_DIR=\S+ node bin\/sis-sync.js token --tenant demo/);
    expect(existsSync(path.join(dataDir, 'dev-secrets.json'))).toBe(true);
    // A first start creates the embedded database, migrates it and transpiles the sources: on a
    // busy 2-core CI machine that has taken over 30 s.
  }, 120_000);

  it('answers /healthz, /readyz, /docs and /openapi.json', async () => {
    const url = urlOf()!;
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready' });
    const docs = await fetch(`${url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
    const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/tenants/{tenantId}/providers',
        '/api/v1/providers',
        '/api/v1/providers/{providerId}',
        '/healthz',
        '/readyz',
      ]),
    );
  });

  it('accepts a token minted by `sis-sync token` for the same data folder', async () => {
    const minted = await runCli(['token', '--tenant', 'demo', '--role', 'district_admin'], env);
    expect(minted.code).toBe(0);
    const token = minted.stdout.trim();
    const res = await fetch(`${urlOf()!}/api/v1/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(providerBody('demo', 'CLEVER')),
    });
    expect(res.status).toBe(201);
  });

  it('refuses a second process on the same data folder with a plain message', async () => {
    const second = await runCli(['migrate'], env, 30_000);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('in use by another sis-sync process');
    expect(second.stderr).toContain(`pid ${server.pid}`);
    expect(second.stderr).toContain('DATABASE_URL');
  });

  it('shuts down on SIGTERM, releasing the data folder', async () => {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.on('close', resolve));
    expect(server.exitCode).toBe(0);
    expect(existsSync(path.join(dataDir, 'sis-sync.lock'))).toBe(false);
    const migrate = await runCli(['migrate'], env);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain('up to date');
  });
});

describe('sis-sync token', () => {
  it('is refused in production', async () => {
    const result = await runCli(['token', '--tenant', 'demo'], {
      NODE_ENV: 'production',
      SIS_SYNC_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
      JWT_SECRET: 'p'.repeat(40),
      SIS_SYNC_DATA_DIR: dataDir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('refused when NODE_ENV=production');
    expect(result.stdout).toBe('');
  });

  it('needs a tenant for a district admin', async () => {
    const result = await runCli(['token', '--role', 'DISTRICT_ADMIN'], { SIS_SYNC_DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--tenant');
  });
});

describe('sis-sync migrate', () => {
  it('exits non-zero when the database cannot be reached', async () => {
    const result = await runCli(['migrate'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ECONNREFUSED|connect/);
  });
});
