/*
 * Figure (f) of `npm run bench`: Clever extraction through the simulator against a bare fetch loop
 * over the same pages. bench/run.ts starts it as a process of its own, with a heap sized for the
 * district: while the simulator's dataset is built, the OneRoster objects it is built from are in
 * memory too, more than a default heap holds at 1M.
 *
 * It serves a OneRoster CSV package through the Clever simulator in this process and times, in
 * turn and RUNS times each:
 *   (f1) plain `fetch` over every page a full Clever pull reads, `res.json()` per page, no mapping;
 *   (f2) the Clever connector, from the registry: `open()`, then `extract()` of every entity in
 *        ENTITY_TYPES order, as a sync's extract phase does, records counted and dropped.
 * Both must send the same requests, in the same order, or it fails. It prints one
 * CleverExtraction as JSON on stdout.
 *
 * Usage: node --expose-gc --import tsx bench/clever-extraction.ts <OneRoster CSV folder>
 */
import { CLEVER_PAGE_LIMIT } from '../src/connectors/clever/clever-client.js';
import type { IncompleteEntity } from '../src/connectors/connector.js';
import { createConnectorFor } from '../src/connectors/create-connector.js';
import { ENTITY_TYPES } from '../src/domain/entity.js';
import { createLogger, type Logger } from '../src/lib/logger.js';
import { startCleverSimulator, type RunningCleverSimulator } from '../src/simulators/clever/clever-server.js';
import { datasetFromOneRoster } from '../src/simulators/clever/from-oneroster.js';
import { loadDistrictSource } from '../src/simulators/district-source.js';

/** What bench/run.ts reads from stdout. */
export interface CleverExtraction {
  /** Requests of one pull (the same for both). */
  requests: number;
  /** Objects on the pages of one pull (the same for both; sections and users are read twice). */
  objects: number;
  pageLimit: number;
  /** Records and record errors the connector yields from those objects. */
  records: number;
  recordErrors: number;
  /** Each run's wall time, in the order run, ms. */
  bareMs: number[];
  connectorMs: number[];
  /** Reading the package and building the simulator's dataset, ms. */
  setupMs: number;
}

/** Timed runs of each; the faster counts (the first one also warms the JIT up). */
const RUNS = 2;

/**
 * The lists a full Clever pull reads, in its order (src/connectors/clever/clever-connector.ts and
 * clever-full-pull.ts): the Events API when the session opens, for the next run's checkpoint;
 * then schools (the district and its schools), terms, courses, classes (sections), users
 * (contacts first, then everyone) and enrollments (the sections again, for their members).
 */
const PULL_LISTS: readonly { path: string; params?: Record<string, string> }[] = [
  { path: '/events' },
  { path: '/districts' },
  { path: '/schools' },
  { path: '/terms' },
  { path: '/courses' },
  { path: '/sections' },
  { path: '/users', params: { role: 'contact' } },
  { path: '/users' },
  { path: '/sections' },
];

interface ListPage {
  data: unknown[];
  links: { rel: string; uri: string }[];
}

/** (f1) Every page of PULL_LISTS, the way the API links them; returns the objects read. */
async function bareLoop(sim: RunningCleverSimulator): Promise<number> {
  const headers = { accept: 'application/json', authorization: `Bearer ${sim.accessToken()}` };
  let objects = 0;
  for (const list of PULL_LISTS) {
    let url: URL | null = new URL(`${sim.baseUrl}${list.path}`);
    url.searchParams.set('limit', String(CLEVER_PAGE_LIMIT));
    for (const [key, value] of Object.entries(list.params ?? {})) url.searchParams.set(key, value);
    while (url !== null) {
      const res: Response = await fetch(url, { headers });
      if (!res.ok) throw new Error(`(f1) GET ${url.pathname} answered ${res.status}`);
      const page = (await res.json()) as ListPage;
      objects += page.data.length;
      const next = page.links.find((link) => link.rel === 'next');
      url = next === undefined ? null : new URL(next.uri, sim.url);
    }
  }
  return objects;
}

/** (f2) One full pull through the connector; returns the records and record errors yielded. */
async function connectorPull(
  sim: RunningCleverSimulator,
  logger: Logger,
): Promise<{ records: number; errors: number }> {
  const config = { accessToken: sim.accessToken(), baseUrl: sim.baseUrl };
  const connector = createConnectorFor({ providerType: 'CLEVER' }, config, logger);
  const session = await connector.open({ signal: new AbortController().signal, logger });
  const problems: IncompleteEntity[] = [];
  let records = 0;
  let errors = 0;
  try {
    for (const entity of ENTITY_TYPES) {
      if (session.modes[entity] === 'absent') continue;
      for await (const batch of session.extract(entity, (problem) => problems.push(problem))) {
        records += batch.records.length;
        errors += batch.errors.length;
      }
    }
  } finally {
    await session.close();
  }
  if (problems.length > 0) {
    throw new Error(`(f2) the pull came incomplete: ${problems.map((p) => p.message).join('; ')}`);
  }
  return { records, errors };
}

/** Runs `pull` after a full collection, so neither figure pays for the other's garbage. */
async function timed<T>(
  sim: RunningCleverSimulator,
  pull: () => Promise<T>,
): Promise<{ ms: number; value: T; requests: string[] }> {
  (globalThis as { gc?: () => void }).gc?.();
  const seen = sim.requests().length;
  const started = performance.now();
  const value = await pull();
  const ms = performance.now() - started;
  const requests = sim
    .requests()
    .slice(seen)
    .map((r) => `${r.method} ${r.path} ${r.status}`);
  return { ms, value, requests };
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: clever-extraction.ts <OneRoster CSV folder>');
  const started = performance.now();
  const dataset = datasetFromOneRoster(await loadDistrictSource(dir));
  const setupMs = performance.now() - started;
  // Clever's 1200 requests a minute would pace both loops alike; the figure is what each costs.
  const sim = await startCleverSimulator({ dataset, rateLimitPerMinute: Number.MAX_SAFE_INTEGER });
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  try {
    const result: CleverExtraction = {
      requests: 0,
      objects: 0,
      pageLimit: CLEVER_PAGE_LIMIT,
      records: 0,
      recordErrors: 0,
      bareMs: [],
      connectorMs: [],
      setupMs,
    };
    let reference: string[] | null = null;
    const sameRequests = (what: string, requests: string[]) => {
      reference ??= requests;
      if (requests.join('\n') !== reference.join('\n')) {
        throw new Error(
          `${what} did not send the requests of the first (f1) run:\n${requests.join('\n')}\nagainst\n${reference.join('\n')}`,
        );
      }
    };
    for (let run = 0; run < RUNS; run++) {
      const bare = await timed(sim, () => bareLoop(sim));
      sameRequests('(f1)', bare.requests);
      result.bareMs.push(bare.ms);
      result.objects = bare.value;
      result.requests = bare.requests.length;
      const pulled = await timed(sim, () => connectorPull(sim, logger));
      sameRequests('(f2)', pulled.requests);
      result.connectorMs.push(pulled.ms);
      result.records = pulled.value.records;
      result.recordErrors = pulled.value.errors;
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await sim.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
