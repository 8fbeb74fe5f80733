import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, inject, it } from 'vitest';

import { driver } from '../support/database.js';
import { logFileFor } from '../support/logger.js';

/*
 * `sis-sync demo` as a newcomer runs it: one command, then the printed link. Its four providers
 * sync from its four simulators, Ctrl-C (SIGTERM) stops it cleanly, and a second demo on the same
 * data folder reuses the providers, pointed at its new simulators. The spawned demo uses the
 * embedded database whatever the suite's driver, so it runs once, with PGlite.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TIMEOUT = 180_000;
const SIGN_IN = /^Sign in: (http:\/\/localhost:\d+)\/integrations\/sis\/#token=(\S+)$/m;
const NAMES = ['Clever (demo)', 'ClassLink (demo)', 'OneRoster API (demo)', 'OneRoster CSV over SFTP (demo)'];

interface Demo {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
}

/**
 * Starts `sis-sync demo` from the sources, like test/support/cli.ts does, but its stdout goes to
 * the suite's log folder with the sign-in token cut out: the token is the command's product, and
 * the log scan rightly fails on any bearer token it finds. Everything else it prints is scanned.
 */
function startDemo(args: string[], env: Record<string, string>): Demo {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), 'demo', ...args],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'debug', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = logFileFor('cli-demo');
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) appendFileSync(log, `${line.replace(/#token=\S+/, '#token=[cut]')}\n`);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    appendFileSync(log, chunk);
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

async function signInOf(demo: Demo): Promise<{ url: string; token: string }> {
  const started = Date.now();
  for (;;) {
    const match = SIGN_IN.exec(demo.stdout());
    if (match !== null) return { url: match[1]!, token: match[2]! };
    if (demo.child.exitCode !== null) throw new Error(`demo exited early:\n${demo.stderr()}${demo.stdout()}`);
    if (Date.now() - started > TIMEOUT) throw new Error(`no sign-in line yet:\n${demo.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stop(demo: Demo): Promise<number | null> {
  demo.child.kill('SIGTERM');
  if (demo.child.exitCode === null) await new Promise((resolve) => demo.child.on('close', resolve));
  return demo.child.exitCode;
}

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

      expect(await stop(demo)).toBe(0);
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
      expect(await stop(demo)).toBe(0);
    },
  );
});
