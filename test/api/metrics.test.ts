import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { QUEUE_NAMES } from '../../src/jobs/queue.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { RUN_DURATION_BUCKETS } from '../../src/metrics/database-figures.js';
import type { RunRow } from '../../src/repositories/runs-repository.js';
import {
  generateDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import {
  startOneRosterServer,
  type RunningOneRosterServer,
} from '../../src/simulators/oneroster/oneroster-server.js';
import { VERSION } from '../../src/version.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { createTestLogger } from '../support/logger.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, syncNow } from '../support/sync.js';

/*
 * GET /metrics: scraped before and after real runs through the test app (a CSV package, and a
 * OneRoster REST simulator that answers 429 once), read with a small parser of the text format,
 * and compared by difference, so the figures of the file's other tests do not matter.
 */

const METRICS_TOKEN = 'metrics-token-0123456789';
const CSV_TENANT = 'metrics-csv-district';
const API_TENANT = 'metrics-api-district';
const CLIENT_KEY = 'metrics-client-key';
const CLIENT_SECRET = 'metrics-client-S3CRET';

let t: TestApp;
let district: GeneratedDistrictSource;
let server: RunningOneRosterServer;

beforeAll(async () => {
  t = await createTestApp({ metricsToken: METRICS_TOKEN });
  district = await generateDistrictSource({ students: 40, seed: 8 });
  server = await startOneRosterServer({
    source: district.source,
    clients: new Map([[CLIENT_KEY, CLIENT_SECRET]]),
    signatureMethods: ['HMAC-SHA256'],
    retryAfterSeconds: 1,
  });
});
afterAll(async () => {
  await server.close();
  await t.close();
  await district.cleanup();
});

// --- The text format, read: `# TYPE` lines and samples; label values unescaped. ---

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  text: string;
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the one sample with exactly these labels; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

function parseExposition(text: string): Scrape {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const [, keyword, name, ...rest] = line.split(' ');
      if (keyword === 'TYPE' && name !== undefined) types.set(name, rest.join(' '));
      continue;
    }
    samples.push(parseSample(line));
  }
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = samples.filter(
      (s) =>
        s.name === name &&
        Object.keys(s.labels).length === Object.keys(labels).length &&
        Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
    return found[0]?.value;
  };
  return { text, types, samples, value };
}

/** `name{a="x",b="y \"q\""} 12` -> its parts; throws on anything else. */
function parseSample(line: string): Sample {
  const fail = () => new Error(`not a sample line: ${line}`);
  let i = 0;
  while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++;
  const name = line.slice(0, i);
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const eq = line.indexOf('="', i);
      if (eq < 0) throw fail();
      const key = line.slice(i, eq);
      i = eq + 2;
      let value = '';
      while (line[i] !== '"') {
        if (i >= line.length) throw fail();
        if (line[i] === '\\') {
          value += line[i + 1] === 'n' ? '\n' : line[i + 1];
          i += 2;
        } else {
          value += line[i];
          i++;
        }
      }
      labels[key] = value;
      i++;
      if (line[i] === ',') i++;
      if (i >= line.length) throw fail();
    }
    i++;
  }
  const [valueText, ...rest] = line.slice(i).trim().split(' ');
  if (name === '' || valueText === undefined || rest.length > 1) throw fail();
  const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
  // Any case, as Prometheus reads it (prom-client writes `Nan`).
  if (valueText.toLowerCase() !== 'nan' && Number.isNaN(value)) throw fail();
  return { name, labels, value };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function scrape(): Promise<Scrape> {
  const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(res.body);
}

/** How much a sample grew between two scrapes (absent before: from 0). */
const grew = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}) =>
  (after.value(name, labels) ?? Number.NaN) - (before.value(name, labels) ?? 0);

const APPLIED_KINDS = ['created', 'updated', 'deactivated', 'reactivated', 'unchanged'] as const;

/** Labels a sis_sync_ family may carry: never a tenant, provider, URL or person. */
const ALLOWED_LABELS = ['provider_type', 'status', 'entity', 'kind', 'queue', 'outcome', 'le', 'version'];

describe(`GET /metrics on ${driver}`, () => {
  it('demands the metrics token when one is set, with the error envelope, and is open without one', async () => {
    for (const headers of [
      {},
      bearer('wrong-token'),
      bearer(`${METRICS_TOKEN}x`),
      { authorization: METRICS_TOKEN },
    ]) {
      const res = await t.app.inject({ method: 'GET', url: '/metrics', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({
        error: {
          code: 'unauthorized',
          message: 'send the metrics token: Authorization: Bearer <METRICS_TOKEN>',
          requestId: res.headers['x-request-id'],
        },
      });
    }
    // A user's bearer token for the API is not the metrics token.
    const apiToken = await t.token('PLATFORM_ADMIN');
    expect(
      (await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(apiToken) })).statusCode,
    ).toBe(401);
    expect((await scrape()).value('sis_sync_database_up')).toBe(1);

    const open = await createTestApp({ metricsToken: undefined }, { worker: 'none' });
    try {
      const res = await open.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(parseExposition(res.body).value('sis_sync_database_up')).toBe(1);
    } finally {
      await open.close();
    }
  });

  it('after CSV runs: the runs under their status and provider type, their durations, their records by entity and kind, and nothing left waiting', async () => {
    const before = await scrape();
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, CSV_TENANT, dir);
    const first = await syncNow(t, providerId);
    // A renamed user: the second run updates one record and finds the rest unchanged.
    const edited = smallDistrict();
    edited.users[0]!.givenName = `${edited.users[0]!.givenName}-renamed`;
    writePackage(edited, { dir });
    const second = await syncNow(t, providerId);
    // A dry run is a run, but applies nothing.
    const dry = await syncNow(t, providerId, { dryRun: true });
    expect([first.status, second.status, dry.status]).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
    expect(second.stats.users).toMatchObject({ updated: 1 });
    expect(dry.dryRun).toBe(true);
    const after = await scrape();

    const csvSuccess = { provider_type: 'ONEROSTER_CSV', status: 'SUCCESS' };
    expect(grew(before, after, 'sis_sync_runs_total', csvSuccess)).toBe(3);
    expect(grew(before, after, 'sis_sync_runs_total', { ...csvSuccess, status: 'FAILURE' })).toBe(0);
    expect(grew(before, after, 'sis_sync_runs_total', { ...csvSuccess, provider_type: 'CLEVER' })).toBe(0);

    expect(grew(before, after, 'sis_sync_run_duration_seconds_count', csvSuccess)).toBe(3);
    expect(grew(before, after, 'sis_sync_run_duration_seconds_bucket', { ...csvSuccess, le: '+Inf' })).toBe(
      3,
    );
    expect(grew(before, after, 'sis_sync_run_duration_seconds_sum', csvSuccess)).toBeGreaterThanOrEqual(0);
    const buckets = RUN_DURATION_BUCKETS.map((le) =>
      after.value('sis_sync_run_duration_seconds_bucket', { ...csvSuccess, le: String(le) }),
    );
    expect(buckets.every((n) => n !== undefined)).toBe(true);
    // Cumulative: never fewer runs under a larger bound, and none over the count.
    const count = after.value('sis_sync_run_duration_seconds_count', csvSuccess)!;
    buckets.forEach((n, i) => expect(n!).toBeGreaterThanOrEqual(i === 0 ? 0 : buckets[i - 1]!));
    expect(buckets.at(-1)!).toBeLessThanOrEqual(count);
    expect(after.types.get('sis_sync_run_duration_seconds')).toBe('histogram');

    for (const entity of ['schools', 'terms', 'courses', 'classes', 'users', 'enrollments'] as const) {
      for (const kind of APPLIED_KINDS) {
        const applied = [first, second].reduce((n, run: RunRow) => n + (run.stats[entity]?.[kind] ?? 0), 0);
        expect(
          grew(before, after, 'sis_sync_records_applied_total', { entity, kind }),
          `${entity} ${kind}`,
        ).toBe(applied);
      }
    }
    expect(grew(before, after, 'sis_sync_records_applied_total', { entity: 'users', kind: 'created' })).toBe(
      5,
    );

    for (const status of ['PENDING', 'IN_PROGRESS', 'HELD']) {
      expect(after.value('sis_sync_runs_unfinished', { provider_type: 'ONEROSTER_CSV', status })).toBe(0);
    }
    expect(after.value('sis_sync_queue_jobs', { queue: 'sis-sync-run' })).toBe(0);
    expect(after.value('sis_sync_queue_jobs', { queue: 'sis-sync-schedule' })).toBe(0);
    for (const queue of QUEUE_NAMES) {
      expect(after.value('sis_sync_queue_jobs', { queue })).toEqual(expect.any(Number));
    }
    expect(after.value('sis_sync_database_up')).toBe(1);
  });

  it('counts a held run as unfinished until it is discarded, then as DISCARDED', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, `${CSV_TENANT}-held`, dir);
    expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
    const shrunk = smallDistrict();
    shrunk.users = shrunk.users.slice(0, 3);
    shrunk.enrollments = shrunk.enrollments.filter((e) =>
      shrunk.users.some((u) => u.sourcedId === e.userSourcedId),
    );
    writePackage(shrunk, { dir });
    const before = await scrape();
    const held = await syncNow(t, providerId);
    expect(held.status).toBe('HELD');
    const whileHeld = await scrape();
    const csvHeld = { provider_type: 'ONEROSTER_CSV', status: 'HELD' };
    expect(whileHeld.value('sis_sync_runs_unfinished', csvHeld)).toBe(1);
    // A held run applied nothing: its would-be deactivations are not counted.
    expect(
      grew(before, whileHeld, 'sis_sync_records_applied_total', { entity: 'users', kind: 'deactivated' }),
    ).toBe(0);

    await t.deps.runs.discard({ principal: platformAdmin }, held.id);
    const after = await scrape();
    expect(after.value('sis_sync_runs_unfinished', csvHeld)).toBe(0);
    expect(grew(whileHeld, after, 'sis_sync_runs_total', { ...csvHeld, status: 'DISCARDED' })).toBe(1);
  });

  it('counts a provider 429 with Retry-After, its retry and every request under the provider type', async () => {
    const providerId = (
      await t.deps.providers.create(
        { principal: platformAdmin },
        {
          tenantId: API_TENANT,
          providerType: 'ONEROSTER_API',
          name: 'Metrics OneRoster API',
          config: {
            baseUrl: server.baseUrl,
            clientId: CLIENT_KEY,
            clientSecret: CLIENT_SECRET,
            pageSize: 50,
            // Retry-After: 1 is capped to 10 ms here, as an admin may cap it.
            http: { timeoutMs: 5000, maxRetries: 3, retryBaseMs: 1, retryMaxMs: 5, maxRetryAfterMs: 10 },
          },
        },
      )
    ).id;
    const served = () => [...server.requests.values()].reduce((a, b) => a + b, 0);
    const servedBefore = served();
    const before = await scrape();
    // The first users request answers 429 with Retry-After; the retry succeeds.
    server.setFaults('429@users+0');
    const run = await syncNow(t, providerId);
    expect(server.firedFaults()).toEqual([{ kind: '429', path: 'users' }]);
    server.setFaults('');
    expect(run.status).toBe('SUCCESS');
    const after = await scrape();
    const requests = served() - servedBefore;
    expect(requests).toBeGreaterThan(5);

    const api = { provider_type: 'ONEROSTER_API' };
    expect(grew(before, after, 'sis_sync_http_rate_limited_total', api)).toBe(1);
    expect(grew(before, after, 'sis_sync_http_retries_total', api)).toBe(1);
    expect(grew(before, after, 'sis_sync_http_requests_total', { ...api, outcome: '4xx' })).toBe(1);
    expect(grew(before, after, 'sis_sync_http_requests_total', { ...api, outcome: '2xx' })).toBe(
      requests - 1,
    );
    expect(grew(before, after, 'sis_sync_http_request_duration_seconds_count', api)).toBe(requests);
    expect(after.types.get('sis_sync_http_request_duration_seconds')).toBe('histogram');
    // Other provider types saw none of it.
    for (const providerType of ['CLEVER', 'CLASSLINK', 'ONEROSTER_CSV']) {
      const other = { provider_type: providerType };
      expect(grew(before, after, 'sis_sync_http_rate_limited_total', other)).toBe(0);
      expect(grew(before, after, 'sis_sync_http_retries_total', other)).toBe(0);
    }
    expect(grew(before, after, 'sis_sync_runs_total', { ...api, status: 'SUCCESS' })).toBe(1);
  });

  it('shows no tenant, provider, person or secret, and labels only types, statuses, entities, kinds and queues', async () => {
    const body = (await scrape()).text;
    const identifying = [
      CSV_TENANT,
      API_TENANT,
      CLIENT_KEY,
      CLIENT_SECRET,
      METRICS_TOKEN,
      server.baseUrl,
      'Metrics OneRoster API',
      'Lincoln',
      '@lincoln',
    ];
    for (const value of identifying) expect(body).not.toContain(value);
    const scraped = parseExposition(body);
    const { samples } = scraped;
    for (const sample of samples.filter((s) => s.name.startsWith('sis_sync_'))) {
      for (const label of Object.keys(sample.labels)) expect(ALLOWED_LABELS).toContain(label);
    }
    expect(scraped.value('sis_sync_build_info', { version: VERSION })).toBe(1);
    // Node's own figures, from this app's registry.
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
  });

  it('reports the database down (and stays a 200) when the queue does not answer within the scrape timeout', async () => {
    const metrics = createMetrics({
      db: t.handle.db,
      queue: { size: () => new Promise<number>(() => undefined) },
      queueNames: QUEUE_NAMES,
      version: 'test',
      logger: createTestLogger(),
      databaseTimeoutMs: 50,
    });
    const scraped = parseExposition((await metrics.scrape()).body);
    expect(scraped.value('sis_sync_database_up')).toBe(0);
    expect(scraped.value('sis_sync_runs_total', { provider_type: 'ONEROSTER_CSV', status: 'SUCCESS' })).toBe(
      undefined,
    );
    expect(scraped.value('sis_sync_http_retries_total', { provider_type: 'CLEVER' })).toBe(0);
  });
});

describe(`GET /metrics with the database gone, on ${driver}`, () => {
  it('answers 200 with sis_sync_database_up 0 and the in-process families, while /readyz fails', async () => {
    const down = await createTestApp({}, { worker: 'none' });
    try {
      const up = parseExposition((await down.app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(up.value('sis_sync_database_up')).toBe(1);
      await down.handle.close();
      const res = await down.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      const scraped = parseExposition(res.body);
      expect(scraped.value('sis_sync_database_up')).toBe(0);
      expect(scraped.types.has('sis_sync_runs_total')).toBe(false);
      expect(scraped.types.has('sis_sync_queue_jobs')).toBe(false);
      expect(scraped.value('sis_sync_http_rate_limited_total', { provider_type: 'ONEROSTER_API' })).toBe(0);
      expect(scraped.types.get('sis_sync_http_requests_total')).toBe('counter');
      expect(res.body).not.toContain('    at ');
      expect((await down.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    } finally {
      await down.app.close();
      await down.deps.stop().catch(() => undefined);
    }
  });
});
