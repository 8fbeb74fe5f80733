/*
 * `npm run bench`: how a sync compares with the fastest way PostgreSQL can take the same files.
 *
 * Per district size it generates (or reuses, from bench/.cache/) a day-0 OneRoster package and a
 * day-1 export of it, creates a fresh database, and measures in one run on the same files:
 *   (a) psql `\copy` of every CSV into bare text tables, the reference;
 *   (b) `sis-sync sync --csv` of day 0 into the empty database;
 *   (c) the same package again (nothing changed);
 *   (d) the day-1 export (about 5% of users and enrollments changed, 1% of users gone);
 *   (e) the sync process's peak RSS;
 *   (f) a full pull of the same district through the Clever simulator: (f1) a bare fetch loop over
 *       its pages against (f2) the Clever connector's extraction (bench/clever-extraction.ts);
 *   (g) with 100k among the sizes, (b) on the embedded PGlite database.
 * It prints a table with the goals of issue 7, and where each sync's time went when the sync
 * reports it (`timings` in its JSON), and writes both to docs/performance.md.
 *
 * Usage: npm run bench [-- --sizes 10k,100k,1M] [--no-doc]
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) names a server where
 * the bench may create and drop databases.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { ONEROSTER_HEADERS } from '../src/generator/write-oneroster-package.js';
import type { CleverExtraction } from './clever-extraction.js';
import { cachedPackage, label, parseSize, sizeDir, stagePackage, type CachedPackage } from './packages.js';
import { newestMtime, psql, ROOT, run, withDatabase, type Spawned } from './processes.js';
import { machineRows, markdownTable, plainTable, seconds } from './tables.js';

const DOC = path.join(ROOT, 'docs', 'performance.md');
const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];

interface Timed {
  /** Process wall time, ms. */
  wallMs: number;
}

/** Where a run's time went, from the sync JSON's `timings` (CLIs that predate it print none). */
interface SyncTimings {
  extractMs: number;
  prepareMs: number;
  loadMs: number;
  entities: Record<string, EntityTimings>;
}

interface EntityTimings {
  extractMs?: number;
  loadMs?: number;
  skipped?: boolean;
}

interface SyncResult extends Timed {
  /** The run's own duration from the JSON (started to finished), ms. */
  runMs: number | null;
  status: string;
  exitCode: number | null;
  /** Peak resident set of the sync process, KiB (from /usr/bin/time), or null. */
  maxRssKb: number | null;
  stats: unknown;
  timings: SyncTimings | null;
}

/** (f): the pull's figures, or why there are none. */
type CleverResult = { ok: true; extraction: CleverExtraction } | { ok: false; message: string };

interface SizeResult {
  students: number;
  rows: number;
  day1Rows: number;
  copy: Timed;
  initial: SyncResult;
  unchanged: SyncResult;
  changed: SyncResult;
  clever: CleverResult;
  pglite: SyncResult | null;
}

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv: string[]): { sizes: number[]; writeDoc: boolean } {
  let sizes = DEFAULT_SIZES;
  let writeDoc = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--sizes') {
      const value = argv[++i];
      if (value === undefined) throw new Error('--sizes needs a list, e.g. --sizes 10k,100k');
      sizes = value.split(',').map((size) => parseSize(size, '--sizes'));
    } else if (arg.startsWith('--sizes=')) {
      sizes = arg
        .slice('--sizes='.length)
        .split(',')
        .map((size) => parseSize(size, '--sizes'));
    } else if (arg === '--no-doc') {
      writeDoc = false;
    } else {
      throw new Error(`unknown argument ${arg} (usage: npm run bench -- [--sizes 10k,100k,1M] [--no-doc])`);
    }
  }
  return { sizes, writeDoc };
}

// ---------------------------------------------------------------------------------------------
// Processes

/** A Node process under /usr/bin/time, when there is one, for its peak RSS (KiB). */
async function runNode(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Spawned & { maxRssKb: number | null }> {
  const node = process.execPath;
  if (!existsSync('/usr/bin/time')) return { ...(await run(node, args, env)), maxRssKb: null };
  const rssFile = path.join(os.tmpdir(), `sis-sync-bench-rss-${process.pid}.txt`);
  const result = await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, node, ...args], env);
  const text = await readFile(rssFile, 'utf8').catch(() => '');
  await rm(rssFile, { force: true });
  const kb = Number(text.trim().split('\n').at(-1));
  return { ...result, maxRssKb: Number.isFinite(kb) && kb > 0 ? kb : null };
}

/** The built CLI when it is newer than every source file, else the sources through tsx. */
async function cliCommand(): Promise<{ args: string[]; what: string }> {
  const dist = path.join(ROOT, 'dist', 'main.js');
  if (existsSync(dist)) {
    const built = (await stat(dist)).mtimeMs;
    if ((await newestMtime(path.join(ROOT, 'src'))) <= built) {
      return { args: [dist], what: 'dist/main.js (built, newer than src/)' };
    }
  }
  return { args: ['--import', 'tsx', path.join(ROOT, 'src', 'main.ts')], what: 'src/main.ts through tsx' };
}

// ---------------------------------------------------------------------------------------------
// Measurements

/** (a) Bare text tables, no indexes, one `\copy` per file, all in one psql process. */
async function measureCopy(url: string, pkg: CachedPackage): Promise<Timed> {
  const files = Object.keys(ONEROSTER_HEADERS) as (keyof typeof ONEROSTER_HEADERS)[];
  const create = ['DROP SCHEMA IF EXISTS bench_raw CASCADE', 'CREATE SCHEMA bench_raw'];
  for (const file of files) {
    const columns = ONEROSTER_HEADERS[file].map((column) => `"${column}" text`).join(', ');
    create.push(`CREATE TABLE bench_raw."${file}" (${columns})`);
  }
  await psql(url, create.join(';\n'));
  const script = files
    .map(
      (file) =>
        `\\copy bench_raw."${file}" from '${path.join(pkg.dir, `${file}.csv`)}' with (format csv, header true)`,
    )
    .join('\n');
  const scriptFile = path.join(pkg.dir, '..', 'bench-copy.sql');
  await writeFile(scriptFile, `${script}\n`);
  const result = await run('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', scriptFile]);
  if (result.code !== 0) throw new Error(`\\copy failed: ${result.stderr.trim()}`);
  const counts = files.map((file) => `(select count(*) from bench_raw."${file}")`);
  const counted = Number(await psql(url, `select ${counts.join(' + ')}`));
  if (counted !== pkg.rows) throw new Error(`\\copy loaded ${counted} rows, the package has ${pkg.rows}`);
  await psql(url, 'DROP SCHEMA bench_raw CASCADE');
  return { wallMs: result.wallMs };
}

/** (b), (c), (d), (g): one `sis-sync sync --csv <live> --json`, under /usr/bin/time for its peak RSS. */
async function measureSync(
  cli: string[],
  live: string,
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<SyncResult> {
  const result = await runNode([...cli, 'sync', '--csv', live, '--json'], env);
  const { maxRssKb } = result;
  let parsed: {
    status?: string;
    durationMs?: number | null;
    stats?: unknown;
    timings?: unknown;
    errorMessage?: string | null;
  };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    throw new Error(
      `${what}: sync printed no JSON (exit ${result.code})\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-4000)}`,
    );
  }
  const status = parsed.status ?? 'UNKNOWN';
  process.stderr.write(
    `  ${what}: ${status}, run ${((parsed.durationMs ?? NaN) / 1000).toFixed(2)} s, process ${(result.wallMs / 1000).toFixed(2)} s` +
      `${maxRssKb === null ? '' : `, peak RSS ${(maxRssKb / 1024).toFixed(0)} MB`}\n`,
  );
  process.stderr.write(`    stats: ${JSON.stringify(parsed.stats)}\n`);
  const timings = timingsOf(parsed.timings);
  if (timings !== null) process.stderr.write(describeTimings(timings));
  if (status !== 'SUCCESS') {
    process.stderr.write(`    ${what} did not succeed: ${parsed.errorMessage ?? ''}\n`);
  }
  return {
    wallMs: result.wallMs,
    runMs: parsed.durationMs ?? null,
    status,
    exitCode: result.code,
    maxRssKb,
    stats: parsed.stats,
    timings,
  };
}

/** The sync JSON's `timings`, or null when it has none (or not in the expected shape). */
function timingsOf(value: unknown): SyncTimings | null {
  if (typeof value !== 'object' || value === null) return null;
  const { extractMs, prepareMs, loadMs, entities } = value as Record<string, unknown>;
  if (typeof extractMs !== 'number' || typeof prepareMs !== 'number' || typeof loadMs !== 'number') {
    return null;
  }
  const perEntity: Record<string, EntityTimings> = {};
  for (const [entity, raw] of Object.entries(
    typeof entities === 'object' && entities !== null ? entities : {},
  )) {
    const e = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    perEntity[entity] = {
      ...(typeof e.extractMs === 'number' ? { extractMs: e.extractMs } : {}),
      ...(typeof e.loadMs === 'number' ? { loadMs: e.loadMs } : {}),
      ...(e.skipped === true ? { skipped: true } : {}),
    };
  }
  return { extractMs, prepareMs, loadMs, entities: perEntity };
}

/** Two stderr lines under a sync's: the phases, then each entity's share. */
function describeTimings(t: SyncTimings): string {
  const entities = Object.entries(t.entities).map(([entity, e]) => {
    if (e.skipped === true) return `${entity} skipped`;
    const parts = [
      ...(e.extractMs === undefined ? [] : [`extract ${seconds(e.extractMs)}`]),
      ...(e.loadMs === undefined ? [] : [`load ${seconds(e.loadMs)}`]),
    ];
    return `${entity} ${parts.length === 0 ? '-' : parts.join(' ')}`;
  });
  return (
    `    timings: extract ${seconds(t.extractMs)} s, prepare ${seconds(t.prepareMs)} s, load ${seconds(t.loadMs)} s\n` +
    (entities.length === 0 ? '' : `    per entity (s): ${entities.join(', ')}\n`)
  );
}

/**
 * Heap for (f): at its peak, while the simulator's dataset is built from them, the OneRoster
 * objects and the dataset take about 8 KB a student (measured at 10k); half as much again to
 * collect in, and never less than Node's usual 4 GB.
 */
const cleverHeapMb = (students: number) => Math.max(4096, Math.ceil(students * 0.012));

/** (f): bench/clever-extraction.ts over the day-0 package, in a process of its own. */
async function measureClever(students: number, pkg: CachedPackage): Promise<CleverResult> {
  const heapMb = cleverHeapMb(students);
  process.stderr.write(`  (f) Clever extraction through the simulator (heap up to ${heapMb} MB) ...\n`);
  const result = await runNode([
    '--expose-gc',
    `--max-old-space-size=${heapMb}`,
    '--import',
    'tsx',
    path.join(ROOT, 'bench', 'clever-extraction.ts'),
    pkg.dir,
  ]);
  let extraction: CleverExtraction;
  try {
    extraction = JSON.parse(result.stdout) as CleverExtraction;
  } catch {
    process.stderr.write(`    failed (exit ${result.code}):\n${result.stderr.trim().slice(-4000)}\n`);
    // For the page, one line: the thrown error, or V8's "FATAL ERROR" when the heap ran out.
    const lines = result.stderr.trim().split('\n');
    return {
      ok: false,
      message: `exit ${result.code}: ${lines.find((l) => /error/i.test(l)) ?? lines.at(-1)}`,
    };
  }
  const { bare, connector } = cleverBest(extraction);
  process.stderr.write(
    `    dataset built in ${seconds(extraction.setupMs)} s; ${extraction.requests} requests, ${extraction.objects} objects a pull` +
      `${result.maxRssKb === null ? '' : `, process peak RSS ${(result.maxRssKb / 1024).toFixed(0)} MB`}\n` +
      `    (f1) bare fetch loop: ${extraction.bareMs.map(seconds).join(', ')} s\n` +
      `    (f2) connector: ${extraction.connectorMs.map(seconds).join(', ')} s, ${extraction.records} records, ${extraction.recordErrors} record errors\n` +
      `    connector at ${percent(bare / connector)} of the bare loop's throughput (faster runs)\n`,
  );
  return { ok: true, extraction };
}

/** The faster run of each (the first also warms the JIT up). */
function cleverBest(e: CleverExtraction): { bare: number; connector: number } {
  return { bare: Math.min(...e.bareMs), connector: Math.min(...e.connectorMs) };
}

async function benchSize(
  students: number,
  baseUrl: string,
  cli: string[],
  withPglite: boolean,
): Promise<SizeResult> {
  process.stderr.write(`\n== ${label(students)} students ==\n`);
  const day0 = await cachedPackage(students, 0);
  const day1 = await cachedPackage(students, 1);
  const live = path.join(sizeDir(students), 'live');
  const database = `sis_sync_bench_${label(students).toLowerCase()}_${process.pid}`;
  const url = withDatabase(baseUrl, database);
  await psql(baseUrl, `CREATE DATABASE ${database}`);
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' };
  delete env.SIS_SYNC_DATA_DIR;
  try {
    const copy = await measureCopy(url, day0);
    process.stderr.write(`  (a) \\copy: ${(copy.wallMs / 1000).toFixed(2)} s for ${day0.rows} rows\n`);
    await stagePackage(day0.dir, live);
    const initial = await measureSync(cli, live, env, '(b) initial sync');
    const unchanged = await measureSync(cli, live, env, '(c) unchanged re-sync');
    await stagePackage(day1.dir, live);
    const changed = await measureSync(cli, live, env, '(d) day-1 re-sync');
    const clever = await measureClever(students, day0);
    let pglite: SyncResult | null = null;
    if (withPglite) {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sis-sync-bench-pglite-'));
      try {
        await stagePackage(day0.dir, live);
        const pgEnv: NodeJS.ProcessEnv = { ...process.env, SIS_SYNC_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
        delete pgEnv.DATABASE_URL;
        pglite = await measureSync(cli, live, pgEnv, '(g) initial sync on PGlite');
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }
    return {
      students,
      rows: day0.rows,
      day1Rows: day1.rows,
      copy,
      initial,
      unchanged,
      changed,
      clever,
      pglite,
    };
  } finally {
    await psql(baseUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((error: unknown) => {
      process.stderr.write(`could not drop ${database}: ${(error as Error).message}\n`);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Report

const perSecond = (rows: number, ms: number | null) =>
  ms === null || ms <= 0 ? 'n/a' : Math.round(rows / (ms / 1000)).toLocaleString('en-US');
const ratio = (ms: number | null, copyMs: number) => (ms === null ? 'n/a' : `${(ms / copyMs).toFixed(2)}x`);
const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

function verdict(ok: boolean | null): string {
  if (ok === null) return 'n/a';
  return ok ? 'met' : 'NOT met';
}

function syncVerdict(result: SyncResult, goal: boolean): boolean | null {
  if (result.runMs === null) return null;
  return result.status === 'SUCCESS' && goal;
}

function sizeTable(r: SizeResult): string[][] {
  const copyMs = r.copy.wallMs;
  const header = ['figure', 'run (s)', 'process (s)', 'rows/s', 'vs copy', 'goal', 'verdict'];
  const row = (name: string, result: SyncResult, rows: number, goalText: string, goal: number): string[] => [
    `${name} (${result.status})`,
    seconds(result.runMs),
    seconds(result.wallMs),
    perSecond(rows, result.runMs),
    ratio(result.runMs, copyMs),
    goalText,
    verdict(syncVerdict(result, result.runMs !== null && result.runMs / copyMs <= goal)),
  ];
  const peak = Math.max(
    ...[r.initial, r.unchanged, r.changed].map((s) => s.maxRssKb ?? Number.NEGATIVE_INFINITY),
  );
  const peakMb = Number.isFinite(peak) ? peak / 1024 : null;
  const rows: string[][] = [
    header,
    [
      '(a) psql \\copy, bare tables',
      '-',
      seconds(copyMs),
      perSecond(r.rows, copyMs),
      '1.00x',
      'reference',
      '-',
    ],
    row('(b) initial sync', r.initial, r.rows, '<= 3x', 3),
    row('(c) unchanged re-sync', r.unchanged, r.rows, '<= 1.5x', 1.5),
    row('(d) day-1 re-sync', r.changed, r.day1Rows, '<= 2x', 2),
    [
      '(e) peak RSS of the sync process',
      '-',
      '-',
      '-',
      '-',
      '<= 256 MB at 1M',
      peakMb === null
        ? 'n/a'
        : `${peakMb.toFixed(0)} MB, ${r.students >= 1_000_000 ? verdict(peakMb <= 256) : 'goal is for 1M'}`,
    ],
    ...cleverRows(r.clever),
  ];
  if (r.pglite !== null) {
    const p = r.pglite;
    rows.push([
      `(g) initial sync on PGlite (${p.status})`,
      seconds(p.runMs),
      seconds(p.wallMs),
      perSecond(r.rows, p.runMs),
      ratio(p.runMs, copyMs),
      r.students === 100_000 ? '< 60 s at 100k' : '-',
      r.students === 100_000 && p.runMs !== null
        ? verdict(p.status === 'SUCCESS' && p.runMs < 60_000)
        : 'n/a',
    ]);
  }
  return rows;
}

/** (f1) and (f2) in the columns of sizeTable; rows/s counts the objects on the pages for both. */
function cleverRows(clever: CleverResult): string[][] {
  const goal = '>= 50% of (f1)';
  if (!clever.ok) {
    return [
      ['(f1) bare fetch loop, Clever simulator', 'failed', '-', '-', '-', 'reference', '-'],
      ['(f2) Clever connector extraction', 'failed', '-', '-', '-', goal, 'NOT met (failed)'],
    ];
  }
  const e = clever.extraction;
  const { bare, connector } = cleverBest(e);
  const share = bare / connector;
  return [
    [
      '(f1) bare fetch loop, Clever simulator',
      seconds(bare),
      '-',
      perSecond(e.objects, bare),
      '-',
      'reference',
      '-',
    ],
    [
      '(f2) Clever connector extraction',
      seconds(connector),
      '-',
      perSecond(e.objects, connector),
      '-',
      goal,
      // Rounded down, so a share just under the goal never reads as 50%.
      `${(Math.floor(share * 1000) / 10).toFixed(1)}%, ${verdict(share >= 0.5)}`,
    ],
  ];
}

/** "Where the time goes": the phases of each sync that reported them, null when none did. */
function timingsTable(r: SizeResult): string[][] | null {
  const syncs: [string, SyncResult | null][] = [
    ['(b) initial sync', r.initial],
    ['(c) unchanged re-sync', r.unchanged],
    ['(d) day-1 re-sync', r.changed],
    ['(g) initial sync on PGlite', r.pglite],
  ];
  const rows: string[][] = [];
  for (const [name, result] of syncs) {
    const t = result?.timings ?? null;
    if (result === null || t === null) continue;
    const share = (ms: number) =>
      result.runMs === null || result.runMs <= 0 ? '' : ` (${percent(ms / result.runMs)})`;
    const phases = t.extractMs + t.prepareMs + t.loadMs;
    rows.push([
      name,
      seconds(result.runMs),
      `${seconds(t.extractMs)}${share(t.extractMs)}`,
      `${seconds(t.prepareMs)}${share(t.prepareMs)}`,
      `${seconds(t.loadMs)}${share(t.loadMs)}`,
      result.runMs === null ? 'n/a' : seconds(result.runMs - phases),
    ]);
  }
  if (rows.length === 0) return null;
  return [['figure', 'run (s)', 'extract (s)', 'prepare (s)', 'load (s)', 'rest of the run (s)'], ...rows];
}

function doc(
  results: SizeResult[],
  machine: string[][],
  sizes: number[],
  cliWhat: string,
  notRun: number[],
): string {
  const parts = [
    '# Performance',
    '',
    'Written by `npm run bench` (bench/run.ts); rerun it to refresh this page. Each size is a district',
    'from the project generator (seed 1) synced with `sis-sync sync --csv <dir> --json` into a fresh',
    'PostgreSQL database, against psql `\\copy` of the same CSV files into bare text tables with no',
    'indexes. "run" is the run\'s own duration from the JSON (`durationMs`: started to finished, time in the queue not',
    'counted); "process" is the wall time of the whole command (start-up, migrations, the run, exit).',
    'Ratios and rows/s use the run time; rows are all CSV data rows of the package synced. The day-1',
    'export has about 5% of users edited, 5% of enrollments moved and 1% of users gone (under the 10%',
    'hold threshold). Peak RSS is the largest of (b), (c) and (d), from `/usr/bin/time -f %M`.',
    '',
    '(f) serves the day-0 package through the Clever simulator (src/simulators/clever) in one Node',
    'process with the client, its rate limit lifted, and times a full pull over loopback two ways:',
    '(f1) a bare loop of `fetch` and `res.json()` over every page the connector reads (the events',
    'on open, then districts, schools, terms, courses, sections, contacts, users and sections again),',
    "with the connector's page size and bearer token, following the `rel=next` links as given; (f2)",
    'the Clever connector from the registry, `open()` and `extract()` of every entity as the extract',
    'phase of a sync does, records counted and dropped, no database. Both must send the same',
    'requests. Each runs twice, in turn, and the faster run of each counts (the first warms the JIT',
    "up). Their rows/s both count the objects on the pages read; the verdict is the connector's",
    "throughput as a share of the loop's. The simulator answers in the same process, so its own",
    'work (serializing each page) is in both times. (f) runs the sources through tsx.',
    '',
    `Sizes run: ${sizes.map(label).join(', ')}.` +
      (notRun.length > 0 ? ` Not run this time: ${notRun.map(label).join(', ')}.` : ''),
    `The CLI ran as ${cliWhat}.`,
    '',
    '## Machine',
    '',
    markdownTable(machine),
    '',
  ];
  for (const r of results) {
    parts.push(
      `## ${label(r.students)} students`,
      '',
      `${r.rows.toLocaleString('en-US')} CSV rows on day 0, ${r.day1Rows.toLocaleString('en-US')} on day 1.`,
      '',
      markdownTable(sizeTable(r)),
      '',
    );
    if (r.clever.ok) {
      const e = r.clever.extraction;
      parts.push(
        `(f) reads ${e.objects.toLocaleString('en-US')} objects in ${e.requests} requests of up to ` +
          `${e.pageLimit.toLocaleString('en-US')} a pull;`,
        `the connector yields ${e.records.toLocaleString('en-US')} records and ${e.recordErrors} record errors from them.`,
        '',
      );
    } else {
      parts.push(`(f) failed, ${r.clever.message}.`, '');
    }
    const timings = timingsTable(r);
    parts.push(
      '### Where the time goes',
      '',
      ...(timings === null
        ? ['The syncs reported no `timings` (a CLI from before they were added).']
        : [
            "From the `timings` of the sync JSON, with each phase's share of the run; the rest of the run is",
            'what none of the three phases covers.',
            '',
            markdownTable(timings),
          ]),
      '',
    );
  }
  if (!sizes.includes(100_000)) {
    parts.push(
      '## Not measured',
      '',
      '(g) PGlite runs only when 100k is among the sizes, and it was not.',
      '',
    );
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { sizes, writeDoc } = parseArgs(process.argv.slice(2));
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const cli = await cliCommand();
  process.stderr.write(`sizes ${sizes.map(label).join(', ')}; database ${baseUrl}; CLI ${cli.what}\n`);
  const machine = machineRows({ name: 'PostgreSQL', version: await psql(baseUrl, 'show server_version') });
  const results: SizeResult[] = [];
  for (const students of sizes) {
    results.push(await benchSize(students, baseUrl, cli.args, students === 100_000));
  }
  console.log('');
  console.log(plainTable(machine.slice(1)));
  for (const r of results) {
    console.log(`\n${label(r.students)} students: ${r.rows} rows on day 0, ${r.day1Rows} on day 1`);
    console.log(plainTable(sizeTable(r)));
    const timings = timingsTable(r);
    if (timings !== null) console.log(`\nwhere the time goes\n${plainTable(timings)}`);
  }
  if (writeDoc) {
    const notRun = DEFAULT_SIZES.filter((size) => !sizes.includes(size));
    await writeFile(DOC, doc(results, machine, sizes, cli.what, notRun));
    console.log(`\nwrote ${path.relative(ROOT, DOC)}`);
  }
  const failed = results.some(
    (r) =>
      !r.clever.ok ||
      [r.initial, r.unchanged, r.changed, ...(r.pglite === null ? [] : [r.pglite])].some(
        (s) => s.status !== 'SUCCESS',
      ),
  );
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
