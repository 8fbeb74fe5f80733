import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import { afterAll, describe, expect, inject, it } from 'vitest';

import { driver } from '../support/database.js';
import {
  DEMO_INTEGRATIONS as NAMES,
  SIGN_IN,
  signInOf,
  startDemo,
  stopDemo,
  type Demo,
} from '../support/demo.js';

/*
 * `sis-sync demo` as a newcomer runs it: one command, then the printed link. Its four providers
 * sync from its four simulators, Ctrl-C (SIGTERM) stops it cleanly, and a second demo on the same
 * data folder reuses the providers, pointed at its new simulators. The spawned demo uses the
 * embedded database whatever the suite's driver, so it runs once, with PGlite.
 */

const TIMEOUT = 180_000;

interface ProviderBody {
  id: string;
  name: string;
  providerType: string;
  syncSchedule: string | null;
  syncTimezone: string;
  enabled: boolean;
  config: Record<string, unknown> & { baseUrl?: string; sftp?: Record<string, unknown> };
}

function api(url: string, token: string) {
  return async <T>(method: string, route: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as T;
    expect(res.ok, `${method} ${route}: ${JSON.stringify(body)}`).toBe(true);
    return body;
  };
}

/** Starts a sync of each provider at once, then waits for each to end. */
async function syncAll(
  call: ReturnType<typeof api>,
  providers: ProviderBody[],
): Promise<Record<string, string>> {
  for (const p of providers) await call('POST', `/providers/${p.id}/sync`);
  const outcome: Record<string, string> = {};
  const deadline = Date.now() + TIMEOUT;
  for (const p of providers) {
    for (;;) {
      const status = await call<{
        isRunning: boolean;
        latestRun: { status: string; errorMessage: string | null } | null;
      }>('GET', `/providers/${p.id}/sync/status`);
      const latest = status.latestRun;
      if (
        !status.isRunning &&
        latest !== null &&
        latest.status !== 'PENDING' &&
        latest.status !== 'IN_PROGRESS'
      ) {
        outcome[p.name] =
          latest.errorMessage === null ? latest.status : `${latest.status}: ${latest.errorMessage}`;
        break;
      }
      if (Date.now() > deadline) throw new Error(`${p.name} still running`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return outcome;
}

const allSucceeded = Object.fromEntries(NAMES.map((n) => [n, 'SUCCESS']));

const running: Demo[] = [];
afterAll(() => {
  for (const demo of running) if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
});

describe.skipIf(driver === 'postgres')('sis-sync demo', () => {
  const dataDir = mkdtempSync(path.join(inject('workDir'), 'demo-'));
  const env = { SIS_SYNC_DATA_DIR: dataDir, PORT: '0' };
  let firstIds: Record<string, string>;
  let firstConfigs: Record<string, ProviderBody['config']>;

  it(
    'sets up four providers in tenant demo and prints a sign-in link that works',
    { timeout: TIMEOUT * 2 },
    async () => {
      const demo = startDemo(['--students', '40'], env);
      running.push(demo);
      const { url, token } = await signInOf(demo);
      const call = api(url, token);

      expect(await call('GET', '/me')).toEqual({
        subject: 'demo-admin',
        roles: ['DISTRICT_ADMIN'],
        tenantId: 'demo',
      });
      const { providers } = await call<{ providers: ProviderBody[] }>('GET', '/tenants/demo/providers');
      expect(providers.map((p) => p.name).sort()).toEqual([...NAMES].sort());
      for (const p of providers) {
        expect(p).toMatchObject({ syncSchedule: 'daily', syncTimezone: 'America/Chicago', enabled: true });
      }
      const byName = Object.fromEntries(providers.map((p) => [p.name, p]));
      expect(byName['Clever (demo)']!.providerType).toBe('CLEVER');
      expect(byName['ClassLink (demo)']!.config).toMatchObject({ mode: 'direct', clientSecret: '********' });
      expect(byName['OneRoster API (demo)']!.config).toMatchObject({
        authMethod: 'oauth1',
        clientSecret: '********',
      });
      const sftp = byName['OneRoster CSV over SFTP (demo)']!.config;
      expect(sftp).toMatchObject({ remotePath: '/', sftp: { host: '127.0.0.1', password: '********' } });
      // The host key is pinned: the one the demo's SFTP server announced.
      expect(demo.stdout()).toContain(`(host key ${sftp.sftp!.hostKeyFingerprint as string})`);
      firstIds = Object.fromEntries(providers.map((p) => [p.name, p.id]));
      firstConfigs = Object.fromEntries(providers.map((p) => [p.name, p.config]));

      expect(await syncAll(call, providers)).toEqual(allSucceeded);

      // The token was printed for the person, never logged.
      const withoutSignIn = demo.stdout().replace(SIGN_IN, '');
      expect(withoutSignIn + demo.stderr()).not.toContain(token.slice(0, 40));
      expect(withoutSignIn).toContain('Ctrl-C stops everything');

      expect(await stopDemo(demo)).toBe(0);
      expect(demo.stdout()).toContain('SIGTERM: stopping');
    },
  );

  it(
    'reuses its providers on the same data folder, pointed at the new simulators',
    { timeout: TIMEOUT * 2 },
    async () => {
      const demo = startDemo(['--students', '40'], env);
      running.push(demo);
      const { url, token } = await signInOf(demo);
      const call = api(url, token);
      const { providers } = await call<{ providers: ProviderBody[] }>('GET', '/tenants/demo/providers');
      expect(Object.fromEntries(providers.map((p) => [p.name, p.id]))).toEqual(firstIds);
      for (const name of ['Clever (demo)', 'ClassLink (demo)', 'OneRoster API (demo)']) {
        const baseUrl = providers.find((p) => p.name === name)!.config.baseUrl!;
        expect(baseUrl).not.toBe(firstConfigs[name]!.baseUrl);
        expect(demo.stdout()).toContain(baseUrl);
      }
      const sftp = providers.find((p) => p.name === 'OneRoster CSV over SFTP (demo)')!.config.sftp!;
      expect(demo.stdout()).toContain(
        `sftp://127.0.0.1:${sftp.port as number}/ (host key ${sftp.hostKeyFingerprint as string})`,
      );

      expect(await syncAll(call, providers)).toEqual(allSucceeded);
      expect(await stopDemo(demo)).toBe(0);
    },
  );
});
