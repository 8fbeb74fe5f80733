import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';

import { inject } from 'vitest';

import type { Config } from '../../src/config/config.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { buildDependencies, type Dependencies } from '../../src/dependencies.js';
import { districtOnDay, type DistrictOnDayOptions } from '../../src/generator/district-on-day.js';
import { writeOneRosterPackage } from '../../src/generator/write-oneroster-package.js';
import { testConfig } from './app.js';
import { startCli } from './cli.js';
import { createTestDatabase } from './database.js';
import { createTestLogger } from './logger.js';
import { TEST_SECRETS } from './secrets.js';

/*
 * Several sis-sync processes on one PostgreSQL, as a deployment runs them: `sis-sync worker` and
 * `sis-sync serve --no-worker` spawned from the sources, beside an in-process instance without a
 * worker that the test uses to create providers and trigger runs. They share the database and the
 * keys (provider configs are encrypted: every process must hold the key that wrote them).
 */

export type CliProcess = ReturnType<typeof startCli>;

/** A running `sis-sync worker`: its process and the id it writes into the runs it takes. */
export interface WorkerProcess {
  child: CliProcess;
  pid: number;
  /** `${hostname}:${pid}:xxxx`, as in sis_sync_runs.worker_id. */
  id: string;
}

/** A test database shared by spawned processes, and an in-process instance that only queues work. */
export interface SharedDeployment {
  handle: DatabaseHandle;
  url: string;
  config: Config;
  deps: Dependencies;
  /** The environment every spawned process of this deployment gets; `extra` overrides it. */
  env(extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

/** Every process spawned here, so that `killLeftovers` can end them whatever happened. */
const spawned = new Set<CliProcess>();

export async function createSharedDeployment(
  settings: { maxConcurrentSyncs: number; lockTimeoutMs: number; pollIntervalMs: number },
  overrides: Partial<Config> = {},
): Promise<SharedDeployment> {
  const handle = await createTestDatabase();
  const url = handle.url;
  if (url === undefined) throw new Error('spawned processes need PostgreSQL (TEST_DATABASE_URL)');
  const encryptionKey = randomBytes(32);
  const config = testConfig({
    databaseUrl: url,
    encryptionKey,
    maxConcurrentSyncs: settings.maxConcurrentSyncs,
    syncLockTimeoutMs: settings.lockTimeoutMs,
    workerPollIntervalMs: settings.pollIntervalMs,
    ...overrides,
  });
  const deps = buildDependencies(config, handle, createTestLogger(), { worker: 'none' });
  await deps.start();
  const dataDir = mkdtempSync(path.join(inject('workDir'), 'deployment-'));
  return {
    handle,
    url,
    config,
    deps,
    env: (extra = {}) => ({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: url,
      SIS_SYNC_DATA_DIR: dataDir,
      SIS_SYNC_ENCRYPTION_KEY: encryptionKey.toString('base64'),
      JWT_SECRET: TEST_SECRETS.jwtSecret,
      MAX_CONCURRENT_SYNCS: String(settings.maxConcurrentSyncs),
      SYNC_LOCK_TIMEOUT: String(settings.lockTimeoutMs),
      WORKER_POLL_INTERVAL: String(settings.pollIntervalMs),
      ...extra,
    }),
    async close() {
      await deps.stop();
      await handle.close();
    },
  };
}

/** Starts `sis-sync <args>`, remembered for `killLeftovers`. */
export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const child = startCli(args, env);
  spawned.add(child);
  child.on('close', () => spawned.delete(child));
  return child;
}

/** The JSON log lines a process wrote so far (pino on a pipe writes one object per line). */
export function logLines(child: CliProcess): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const line of child.output().stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line still being written
    }
  }
  return lines;
}

/** Starts `sis-sync worker` and resolves once it takes work, with the id it claims runs under. */
export async function startWorker(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> {
  const child = spawnCli(['worker'], env);
  const started = () => logLines(child).find((l) => l.msg === 'worker started');
  await waitFor(() => started() !== undefined || child.exitCode !== null, {
    timeoutMs,
    what: 'a worker to start',
  });
  const line = started();
  if (line === undefined || typeof line.worker !== 'string' || child.pid === undefined) {
    const out = child.output();
    throw new Error(`the worker did not start (exit ${out.code}):\n${out.stderr}${out.stdout}`);
  }
  return { child, pid: child.pid, id: line.worker };
}

/** Sends `signal` and resolves to the exit code (null: ended by a signal) once the process is gone. */
export async function stopProcess(
  child: CliProcess,
  signal: NodeJS.Signals,
  timeoutMs = 30_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const closed = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('close', () => resolve());
  });
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([closed, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    throw new Error(`the process ${child.pid} did not end within ${timeoutMs} ms of ${signal}`);
  }
  return { code: child.exitCode, signal: child.signalCode };
}

/** Kills every process this file spawned that is still running (for afterAll, whatever failed). */
export async function killLeftovers(): Promise<void> {
  const alive = [...spawned].filter((child) => child.exitCode === null && child.signalCode === null);
  await Promise.all(alive.map((child) => stopProcess(child, 'SIGKILL', 10_000).catch(() => undefined)));
}

/** Polls `condition` every `intervalMs` until it holds; fails after `timeoutMs`. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<NonNullable<T>> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** Writes the generator's district as its SIS exports it on `day` into `dir` (a OneRoster CSV folder). */
export async function writeDistrict(dir: string, options: DistrictOnDayOptions): Promise<void> {
  await writeOneRosterPackage(districtOnDay(options).district, dir);
}

export async function query<T = Record<string, unknown>>(
  handle: DatabaseHandle,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  return ((await handle.executeSql(text, values)) as { rows: T[] }).rows;
}

/** The canonical roster tables, and the links that tie them to providers. */
export const ROSTER_TABLES = [
  'schools',
  'terms',
  'courses',
  'classes',
  'users',
  'enrollments',
  'user_relationships',
  'sis_external_links',
] as const;

/**
 * A tenant's whole canonical roster, table by table: the row count and a digest of every row's
 * full contents (timestamps, `active` and all), so two snapshots are equal exactly when no row was
 * added, removed or changed in any column.
 */
export async function rosterSnapshot(
  handle: DatabaseHandle,
  tenantId: string,
): Promise<Record<string, { rows: number; digest: string | null }>> {
  const snapshot: Record<string, { rows: number; digest: string | null }> = {};
  for (const table of ROSTER_TABLES) {
    const [row] = await query<{ rows: number; digest: string | null }>(
      handle,
      `SELECT count(*)::int AS rows, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS digest
       FROM ${table} t WHERE t.tenant_id = $1`,
      [tenantId],
    );
    snapshot[table] = row ?? { rows: 0, digest: null };
  }
  return snapshot;
}

/**
 * The most intervals open at one instant. An interval that ends when another starts does not
 * overlap it (a slot freed and taken again within the same millisecond).
 */
export function maxOverlap(intervals: readonly { start: Date; end: Date }[]): number {
  const events = intervals.flatMap(({ start, end }) => [
    { at: start.getTime(), delta: 1 },
    { at: end.getTime(), delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let most = 0;
  for (const event of events) {
    open += event.delta;
    most = Math.max(most, open);
  }
  return most;
}
