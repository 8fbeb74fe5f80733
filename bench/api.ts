/*
 * `npm run bench:api`: the admin and roster APIs under concurrent load while a large sync runs.
 *
 * It builds the product when dist/ is older than src/, starts `node dist/main.js serve` (API and
 * worker in one process, as a single instance is deployed) on a fresh database (a PostgreSQL
 * database created for the run and dropped after it, or with --embedded a PGlite data folder),
 * and as district admins over the API:
 *   1. creates two tenants' OneRoster CSV providers over the same generated district (day 0) and
 *      syncs both once, so each roster holds the district;
 *   2. syncs the second tenant's provider to the day-1 export (about 5% of users edited, 5% of
 *      enrollments moved, 1% of users gone) with no API load: the baseline;
 *   3. starts the same day-1 sync for the first tenant and, while it runs, drives autocannon
 *      against five route groups (bench/api-load.ts) for --duration seconds over --connections
 *      connections in all (10 by default), as that tenant's district admin.
 * It prints per group the requests, req/s, p50/p90/p99/max latency, non-2xx responses and errors;
 * whether the sync ran throughout the load; and the loaded sync's time against the baseline's.
 * It exits non-zero on any non-2xx response or error, a sync that did not succeed, or a sync that
 * ended before the load did. With --doc it writes its section of docs/performance.md.
 *
 * Usage: npm run bench:api [-- --students 100k] [--duration <seconds>] [--connections 10] [--embedded] [--doc]
 * --duration defaults to 60% of the baseline sync's time, so that the loaded sync outlasts the load.
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a server where
 * the bench may create and drop a database; when it does not answer, the bench uses PGlite.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import type { Provider } from '../src/api/contracts/providers.js';
import type { Run } from '../src/api/contracts/runs.js';
import { mintDevToken } from '../src/auth/dev-token.js';
import { loadFailures, loadTable, routeGroups, runLoad, sampleIds, type GroupResult } from './api-load.js';
import { cachedPackage, label, parseSize, sizeDir, stagePackage } from './packages.js';
import { newestMtime, psql, ROOT, run, withDatabase } from './processes.js';
import { machineRows, markdownTable, plainTable, seconds } from './tables.js';

const DOC = path.join(ROOT, 'docs', 'performance.md');
const DOC_HEADING = '## API under load (issue 9)';
const LOAD_TENANT = 'bench-load';
const BASELINE_TENANT = 'bench-baseline';
/** Without --duration the load lasts this share of the baseline sync, so the loaded sync outlasts it. */
const DEFAULT_LOAD_SHARE = 0.6;

interface Options {
  students: number;
  /** Undefined: DEFAULT_LOAD_SHARE of the baseline sync's time. */
  durationSeconds: number | undefined;
  connections: number;
  embedded: boolean;
  writeDoc: boolean;
}

// ---------------------------------------------------------------------------------------------
// Arguments

const USAGE =
  'usage: npm run bench:api -- [--students 100k] [--duration <seconds>] [--connections 10] [--embedded] [--doc]';

function positive(raw: string | undefined, flag: string, max: number): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isInteger(n) || n < 1 || n > max) {
    throw new Error(`${flag} needs a whole number from 1 to ${max}, got ${raw ?? 'nothing'}`);
  }
  return n;
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    students: 100_000,
    durationSeconds: undefined,
    connections: 10,
    embedded: false,
    writeDoc: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--students') {
      const raw = value();
      if (raw === undefined) throw new Error('--students needs a size, e.g. --students 100k');
      options.students = parseSize(raw, '--students');
    } else if (flag === '--duration') {
      options.durationSeconds = positive(value(), '--duration', 3600);
    } else if (flag === '--connections') {
      options.connections = positive(value(), '--connections', 1000);
    } else if (flag === '--embedded' && inline === undefined) {
      options.embedded = true;
    } else if (flag === '--doc' && inline === undefined) {
      options.writeDoc = true;
    } else {
      throw new Error(`unknown argument ${argv[i]!} (${USAGE})`);
    }
  }
  return options;
}

// ---------------------------------------------------------------------------------------------
// Clean-up: whatever was started is stopped, even when the bench fails or is interrupted.

const cleanups: { what: string; undo: () => Promise<void> }[] = [];

async function cleanUp(): Promise<void> {
  for (const { what, undo } of cleanups.splice(0).reverse()) {
    await undo().catch((error: unknown) => {
      process.stderr.write(`clean-up: could not ${what}: ${(error as Error).message}\n`);
    });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// The product

/** Builds dist/ (server and UI) when dist/main.js is missing or older than a source file. */
async function ensureBuilt(): Promise<void> {
  const main = path.join(ROOT, 'dist', 'main.js');
  if (existsSync(main) && (await stat(main)).mtimeMs >= (await newestMtime(path.join(ROOT, 'src')))) return;
  process.stderr.write('building dist/ (npm run build) ...\n');
  const built = await run('npm', ['run', 'build', '--silent']);
  if (built.code !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

interface Database {
  /** For the server's environment: DATABASE_URL, or nothing for PGlite in the data folder. */
  env: NodeJS.ProcessEnv;
  name: string;
  version: string;
}

/** A fresh PostgreSQL database, dropped at clean-up; PGlite when asked for or none answers. */
async function freshDatabase(embedded: boolean): Promise<Database> {
  const pglite = { env: {}, name: 'database', version: 'PGlite (embedded, --embedded)' };
  if (embedded) return pglite;
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  let version: string;
  try {
    version = await psql(baseUrl, 'show server_version');
  } catch (error) {
    process.stderr.write(
      `PostgreSQL at ${baseUrl} does not answer (${(error as Error).message}); using PGlite\n`,
    );
    return { ...pglite, version: 'PGlite (embedded: no PostgreSQL answered)' };
  }
  const database = `sis_sync_bench_api_${process.pid}`;
  await psql(baseUrl, `CREATE DATABASE ${database}`);
  cleanups.push({
    what: `drop database ${database}`,
    undo: async () => void (await psql(baseUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)),
  });
  return { env: { DATABASE_URL: withDatabase(baseUrl, database) }, name: 'PostgreSQL', version };
}

interface Server {
  url: string;
  jwtSecret: string;
}

/** `node dist/main.js serve` on a free loopback port, ready once /readyz answers 200. */
async function startServer(database: Database, importDir: string, workDir: string): Promise<Server> {
  const port = await freePort();
  const jwtSecret = randomBytes(32).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...database.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    JWT_SECRET: jwtSecret,
    SIS_SYNC_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    SIS_SYNC_DATA_DIR: path.join(workDir, 'data'),
    SIS_SYNC_IMPORT_DIR: importDir,
    // The bench is one caller making thousands of requests a minute.
    API_RATE_LIMIT: '0',
  };
  if (database.env.DATABASE_URL === undefined) delete env.DATABASE_URL;
  const logFile = path.join(workDir, 'server.log');
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js'), 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  cleanups.push({
    what: 'stop the server',
    undo: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 250) {
    if (child.exitCode !== null) {
      throw new Error(`the server exited (${child.exitCode}):\n${await tail(logFile)}`);
    }
    const ready = await fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (waited > 120_000) throw new Error(`the server was not ready in 120 s:\n${await tail(logFile)}`);
    await sleep(250);
  }
  return { url, jwtSecret };
}

async function tail(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-40).join('\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The API, as a district admin

class Client {
  constructor(
    private readonly base: string,
    readonly token: string,
  ) {}

  async request<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}/api/v1${route}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /api/v1${route} answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
}

async function adminOf(server: Server, tenantId: string): Promise<Client> {
  const token = await mintDevToken({
    secret: server.jwtSecret,
    role: 'DISTRICT_ADMIN',
    tenantId,
    subject: `bench-api-${tenantId}`,
    ttlSeconds: 6 * 3600,
  });
  return new Client(server.url, token);
}

async function createProvider(admin: Client, tenantId: string, localPath: string): Promise<string> {
  const provider = await admin.request<Provider>('POST', '/providers', {
    tenantId,
    providerType: 'ONEROSTER_CSV',
    name: 'Bench district',
    config: { localPath },
  });
  return provider.id;
}

async function triggerSync(admin: Client, providerId: string): Promise<string> {
  return (await admin.request<{ runId: string }>('POST', `/providers/${providerId}/sync`)).runId;
}

async function getRun(admin: Client, runId: string): Promise<Run> {
  return (await admin.request<{ run: Run }>('GET', `/runs/${runId}?errorsLimit=1`)).run;
}

const ENDED = new Set(['SUCCESS', 'FAILURE', 'PARTIAL', 'HELD', 'CANCELLED', 'DISCARDED', 'SKIPPED']);

/** Polls a run once a second until it ends; `onPoll` sees each state. */
async function waitForRun(admin: Client, runId: string, onPoll?: (run: Run) => void): Promise<Run> {
  for (;;) {
    const current = await getRun(admin, runId);
    onPoll?.(current);
    if (ENDED.has(current.status)) return current;
    await sleep(1000);
  }
}

function expectSuccess(run: Run, what: string): void {
  if (run.status !== 'SUCCESS') {
    throw new Error(`${what}: run ${run.id} ended ${run.status}: ${run.errorMessage ?? ''}`);
  }
  process.stderr.write(`  ${what}: ${run.status} in ${seconds(run.durationMs)} s\n`);
}

// ---------------------------------------------------------------------------------------------
// The bench

interface LoadedSync {
  run: Run;
  loadStart: Date;
  loadEnd: Date;
  /** The run's phases seen while the load ran, in order. */
  phases: string[];
}

interface BenchResult {
  options: Options;
  /** How long the load ran: --duration, or DEFAULT_LOAD_SHARE of the baseline. */
  durationSeconds: number;
  rows: number;
  baseline: Run;
  loaded: LoadedSync;
  groups: GroupResult[];
  machine: string[][];
  database: string;
}

async function bench(options: Options): Promise<BenchResult> {
  await ensureBuilt();
  const day0 = await cachedPackage(options.students, 0);
  const day1 = await cachedPackage(options.students, 1);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sis-sync-bench-api-'));
  cleanups.push({ what: `remove ${workDir}`, undo: () => rm(workDir, { recursive: true, force: true }) });
  // The providers read the package from here; the server may read only inside SIS_SYNC_IMPORT_DIR.
  const live = path.join(sizeDir(options.students), `live-api-${process.pid}`);
  cleanups.push({ what: `remove ${live}`, undo: () => rm(live, { recursive: true, force: true }) });
  await stagePackage(day0.dir, live);

  const database = await freshDatabase(options.embedded);
  const machine = machineRows(database);
  const server = await startServer(database, sizeDir(options.students), workDir);
  process.stderr.write(
    `server on ${server.url} (${database.version}); ${label(options.students)} students, ${day0.rows.toLocaleString('en-US')} rows\n`,
  );
  const loadAdmin = await adminOf(server, LOAD_TENANT);
  const baselineAdmin = await adminOf(server, BASELINE_TENANT);
  const loadProvider = await createProvider(loadAdmin, LOAD_TENANT, live);
  const baselineProvider = await createProvider(baselineAdmin, BASELINE_TENANT, live);

  process.stderr.write('day 0: both tenants sync the district ...\n');
  const firstRuns = await Promise.all([
    triggerSync(loadAdmin, loadProvider).then((id) => waitForRun(loadAdmin, id)),
    triggerSync(baselineAdmin, baselineProvider).then((id) => waitForRun(baselineAdmin, id)),
  ]);
  expectSuccess(firstRuns[0], `${LOAD_TENANT} day 0`);
  expectSuccess(firstRuns[1], `${BASELINE_TENANT} day 0`);

  await stagePackage(day1.dir, live);
  process.stderr.write('day 1 without API load (baseline) ...\n');
  const baseline = await waitForRun(baselineAdmin, await triggerSync(baselineAdmin, baselineProvider));
  expectSuccess(baseline, `${BASELINE_TENANT} day 1`);

  const ids = await sampleIds((route) => loadAdmin.request('GET', route), LOAD_TENANT);
  const durationSeconds =
    options.durationSeconds ??
    Math.max(5, Math.floor(((baseline.durationMs ?? 0) / 1000) * DEFAULT_LOAD_SHARE));
  process.stderr.write(
    `day 1 under API load: ${options.connections} connections for ${durationSeconds} s ...\n`,
  );
  const runningRunId = await triggerSync(loadAdmin, loadProvider);
  // The load starts once a worker has the run, not while it waits in the queue.
  await waitUntil(async () => (await getRun(loadAdmin, runningRunId)).status === 'IN_PROGRESS');
  const phases: string[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const current = await getRun(loadAdmin, runningRunId);
      const phase = ENDED.has(current.status) ? `ended ${current.status}` : (current.phase ?? 'queued');
      if (phases.at(-1) !== phase) phases.push(phase);
      await sleep(1000);
    }
  })().catch((error: unknown) => {
    phases.push(`(watching the run failed: ${(error as Error).message})`);
  });
  const loadStart = new Date();
  const groups = await runLoad(
    server.url,
    loadAdmin.token,
    routeGroups({
      tenantId: LOAD_TENANT,
      providerId: loadProvider,
      appliedRunId: firstRuns[0].id,
      runningRunId,
      ids,
      feedEvents: day0.rows,
    }),
    { connections: options.connections, until: { seconds: durationSeconds } },
  );
  const loadEnd = new Date();
  watching = false;
  await watcher;
  const loadedRun = await waitForRun(loadAdmin, runningRunId);
  expectSuccess(loadedRun, `${LOAD_TENANT} day 1 under load`);
  return {
    options,
    durationSeconds,
    rows: day1.rows,
    baseline,
    loaded: { run: loadedRun, loadStart, loadEnd, phases },
    groups,
    machine,
    database: database.name,
  };
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; !(await check()); waited += 100) {
    if (waited > 120_000) throw new Error('the run was not taken by a worker within 120 s');
    await sleep(100);
  }
}

/** Whether the sync ran from before the load started until after it ended. */
function ranThroughout(loaded: LoadedSync): boolean {
  const { startedAt, finishedAt } = loaded.run;
  return (
    startedAt !== null &&
    finishedAt !== null &&
    new Date(startedAt) <= loaded.loadStart &&
    new Date(finishedAt) >= loaded.loadEnd
  );
}

/** The sync lines under the table. */
function syncRows(r: BenchResult): string[][] {
  const base = r.baseline.durationMs;
  const loaded = r.loaded.run.durationMs;
  return [
    ['day-1 sync', 'run (s)', 'vs no load'],
    ['no API load (baseline tenant)', seconds(base), '1.00x'],
    [
      'under the API load',
      seconds(loaded),
      base === null || loaded === null || base <= 0 ? 'n/a' : `${(loaded / base).toFixed(2)}x`,
    ],
  ];
}

function throughoutLine(r: BenchResult): string {
  const { run: loadedRun, loadStart, loadEnd, phases } = r.loaded;
  const startedBefore =
    loadedRun.startedAt === null ? 'n/a' : seconds(loadStart.getTime() - Date.parse(loadedRun.startedAt));
  const endedAfter =
    loadedRun.finishedAt === null ? 'n/a' : seconds(Date.parse(loadedRun.finishedAt) - loadEnd.getTime());
  return (
    `The sync ran throughout the load: ${ranThroughout(r.loaded) ? 'yes' : 'NO'} (it started ${startedBefore} s ` +
    `before the load and ended ${endedAfter} s after it; phases seen during the load: ${phases.join(', ')}).`
  );
}

function docSection(r: BenchResult): string {
  const o = r.options;
  const command =
    `npm run bench:api -- --students ${label(o.students)}` +
    `${o.durationSeconds === undefined ? '' : ` --duration ${o.durationSeconds}`}` +
    ` --connections ${o.connections}${o.embedded ? ' --embedded' : ''} --doc`;
  const duration =
    o.durationSeconds === undefined
      ? `${r.durationSeconds} s (${DEFAULT_LOAD_SHARE * 100}% of the baseline sync)`
      : `${r.durationSeconds} s`;
  return [
    DOC_HEADING,
    '',
    'Written by `npm run bench:api -- --doc` (bench/api.ts); rerun it to refresh this section. The built',
    'server (`node dist/main.js serve`, API and worker in one process, `API_RATE_LIMIT=0`) runs on a fresh',
    `database (${r.database}). Two tenants sync the same generated district; one then syncs the day-1`,
    'export alone (the baseline), and the other syncs it while autocannon, in the bench process on the same',
    "machine, drives the route groups of `bench/api-load.ts` as that tenant's district admin: provider",
    'list, detail, sync status and run history; run detail, run errors and run changes (offsets 0 to',
    '10,000, the cap of stored changes) of the running run and of the first one; roster lists with filters, five pages deep by',
    'cursor; records by id; the change feed, five pages deep from four starting points. Latencies are of',
    '2xx responses; any non-2xx response or connection error fails the bench.',
    '',
    `Command: \`${command}\`; ${r.rows.toLocaleString('en-US')} CSV rows in the day-1 export; the load`,
    `ran ${duration}.`,
    '',
    markdownTable(r.machine),
    '',
    markdownTable(loadTable(r.groups)),
    '',
    markdownTable(syncRows(r)),
    '',
    throughoutLine(r),
    '',
  ].join('\n');
}

/** Replaces the section in docs/performance.md (from its heading to the next `## `), or appends it. */
async function writeDoc(section: string): Promise<void> {
  const text = await readFile(DOC, 'utf8');
  const start = text.indexOf(`${DOC_HEADING}\n`);
  if (start === -1) {
    await writeFile(DOC, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + DOC_HEADING.length);
  await writeFile(DOC, `${text.slice(0, start)}${section}${next === -1 ? '' : text.slice(next + 1)}`);
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  try {
    const result = await bench(options);
    console.log('');
    console.log(plainTable(result.machine.slice(1)));
    console.log('');
    console.log(plainTable(loadTable(result.groups)));
    console.log('');
    console.log(plainTable(syncRows(result)));
    console.log(throughoutLine(result));
    if (options.writeDoc) {
      await writeDoc(docSection(result));
      console.log(`\nwrote the section "${DOC_HEADING.slice(3)}" of ${path.relative(ROOT, DOC)}`);
    }
    const failures = loadFailures(result.groups);
    if (!ranThroughout(result.loaded)) {
      failures.push('the sync did not run throughout the load: give more --students or a shorter --duration');
    }
    for (const failure of failures) console.error(`FAILED: ${failure}`);
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
