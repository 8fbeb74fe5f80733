/*
 * The load of `npm run bench:api` (bench/api.ts): route groups of the admin and roster APIs, each
 * driven by an autocannon instance of its own so that each has its own latency histogram, all at
 * once for the same duration, as one district admin.
 */
import autocannon from 'autocannon';

import { ENTITY_TYPES, type EntityType } from '../src/domain/entity.js';

/** What the requests of the groups need to know of the tenant, sampled before the load starts. */
export interface LoadTargets {
  tenantId: string;
  providerId: string;
  /** The provider's finished first run, with its changes and errors. */
  appliedRunId: string;
  /** The run in progress while the load runs. */
  runningRunId: string;
  /** Record ids per entity, from the first pages of the roster lists. */
  ids: Record<EntityType, string[]>;
  /** About how many change events the tenant's feed holds, to spread the readers' start points. */
  feedEvents: number;
}

/** The first page of each of a tenant's roster lists: ids for the requests of the load. */
export async function sampleIds(
  get: (route: string) => Promise<unknown>,
  tenantId: string,
): Promise<Record<EntityType, string[]>> {
  const ids = {} as Record<EntityType, string[]>;
  for (const entity of ENTITY_TYPES) {
    const page = (await get(`/tenants/${tenantId}/${entity}?active=true&limit=100`)) as {
      data: { id: string }[];
    };
    if (page.data.length === 0) throw new Error(`tenant ${tenantId} has no ${entity} to read`);
    ids[entity] = page.data.map((record) => record.id);
  }
  return ids;
}

/** A request that failed, kept to say which and why. */
export interface FailedRequest {
  path: string;
  status: number;
  body: string;
}

export interface GroupResult {
  name: string;
  connections: number;
  result: autocannon.Result;
  /** The first failed responses (non-2xx), at most FAILURES_KEPT. */
  failures: FailedRequest[];
}

const FAILURES_KEPT = 5;

/** Pages a reader follows by cursor before it starts over with the next filter. */
const PAGES_PER_WALK = 5;

/** A request of a group; `next` pages follow a cursor the previous response gave. */
type Step =
  | { kind: 'fixed'; paths: string[] }
  | {
      kind: 'walk';
      first: string[];
      cursorParam: 'cursor' | 'after';
      cursorOf: (body: unknown) => string | null;
    };

interface Group {
  name: string;
  step: Step;
}

/** Picks the items of a list in turn, across every connection of a group. */
function rotation(items: string[]): () => string {
  if (items.length === 0) throw new Error('a route group has no requests');
  let i = 0;
  return () => items[i++ % items.length]!;
}

const sample = (ids: string[], n: number) => ids.slice(0, n);

/** The route groups over a tenant: admin reads as the UI makes them, roster reads as apps do. */
export function routeGroups(t: LoadTargets): Group[] {
  const api = '/api/v1';
  const tenant = `${api}/tenants/${encodeURIComponent(t.tenantId)}`;
  const first = (entity: EntityType) => t.ids[entity][0]!;
  const admin = [
    `${tenant}/providers`,
    `${api}/providers/${t.providerId}`,
    `${api}/providers/${t.providerId}/sync/status`,
    `${api}/providers/${t.providerId}/runs?limit=20`,
  ];
  const runs = [
    `${api}/runs/${t.runningRunId}`,
    `${api}/runs/${t.runningRunId}/changes?limit=100`,
    `${api}/runs/${t.appliedRunId}?errorsLimit=100`,
    `${api}/runs/${t.appliedRunId}?severity=warning&errorsLimit=100&errorsOffset=100`,
    ...[0, 1_000, 10_000].flatMap((offset) => [
      `${api}/runs/${t.appliedRunId}/changes?limit=100&offset=${offset}`,
      `${api}/runs/${t.appliedRunId}/changes?entity=users&kind=created&limit=100&offset=${offset}`,
      `${api}/runs/${t.appliedRunId}/changes?entity=enrollments&limit=100&offset=${offset}`,
    ]),
  ];
  const lists = [
    `${tenant}/users?role=student&active=true&limit=100`,
    `${tenant}/users?schoolId=${first('schools')}&limit=100`,
    `${tenant}/users?classId=${first('classes')}&limit=100`,
    `${tenant}/enrollments?classId=${first('classes')}&limit=100`,
    `${tenant}/enrollments?userId=${first('users')}&limit=100`,
    `${tenant}/enrollments?schoolId=${first('schools')}&role=student&limit=100`,
    `${tenant}/classes?schoolId=${first('schools')}&limit=100`,
    `${tenant}/classes?termId=${first('terms')}&limit=100`,
    `${tenant}/courses?schoolId=${first('schools')}&limit=100`,
    `${tenant}/schools?limit=100`,
    `${tenant}/terms?limit=100`,
    `${tenant}/users?limit=500`,
  ];
  const records = (Object.keys(t.ids) as EntityType[]).flatMap((entity) =>
    sample(t.ids[entity], 50).map((id) => `${tenant}/${entity}/${id}`),
  );
  const feedStarts = [0, 0.25, 0.5, 0.9].map((share) => Math.round(share * t.feedEvents));
  const feed = feedStarts.flatMap((after) => [
    `${tenant}/changes?after=${after}&limit=100`,
    `${tenant}/changes?after=${after}&entity=users&limit=100`,
    `${tenant}/changes?after=${after}&entity=classes,enrollments&limit=100`,
  ]);
  return [
    { name: 'admin: providers', step: { kind: 'fixed', paths: admin } },
    { name: 'admin: runs, changes, errors', step: { kind: 'fixed', paths: runs } },
    {
      name: 'roster: lists (cursor paging)',
      step: { kind: 'walk', first: lists, cursorParam: 'cursor', cursorOf: listCursor },
    },
    { name: 'roster: records by id', step: { kind: 'fixed', paths: records } },
    {
      name: 'roster: change feed',
      step: { kind: 'walk', first: feed, cursorParam: 'after', cursorOf: feedCursor },
    },
  ];
}

function listCursor(body: unknown): string | null {
  const cursor = (body as { nextCursor?: unknown }).nextCursor;
  return typeof cursor === 'string' ? cursor : null;
}

function feedCursor(body: unknown): string | null {
  const page = body as { nextCursor?: unknown; hasMore?: unknown };
  return page.hasMore === true && typeof page.nextCursor === 'string' ? page.nextCursor : null;
}

/** Per connection, for one pass over a group's requests. */
interface PassContext {
  /** The path last sent. */
  sent?: string;
  /** Of a walk: its first page's path, and the cursor its last page gave (null: the walk is over). */
  first?: string;
  cursor?: string | null;
}

/** `path` with its query parameter `name` set to `value` (a first page may already carry one). */
function withParam(path: string, name: string, value: string): string {
  const url = new URL(path, 'http://bench.invalid');
  url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}

/** The autocannon requests of one group, and the failures they saw. */
function groupRequests(step: Step, failures: FailedRequest[]): autocannon.Request[] {
  const record = (pass: PassContext, status: number, body: string) => {
    if (status >= 200 && status < 300) return true;
    if (failures.length < FAILURES_KEPT) {
      failures.push({ path: pass.sent ?? '?', status, body: body.slice(0, 300) });
    }
    return false;
  };
  const send = (request: autocannon.Request, pass: PassContext, path: string) => {
    pass.sent = path;
    return { ...request, path };
  };
  if (step.kind === 'fixed') {
    const next = rotation(step.paths);
    return [
      {
        setupRequest: (request, context) => send(request, context, next()),
        onResponse: (status, body, context) => void record(context, status, body),
      },
    ];
  }
  const nextFirst = rotation(step.first);
  const onResponse = (status: number, body: string, context: object) => {
    const walk = context as PassContext;
    walk.cursor = record(walk, status, body) ? step.cursorOf(JSON.parse(body)) : null;
  };
  // The context lives for one pass over these requests: the first page, then the next ones
  // while there is a cursor.
  return [
    {
      setupRequest: (request, context) => {
        const walk = context as PassContext;
        walk.first = nextFirst();
        walk.cursor = null;
        return send(request, walk, walk.first);
      },
      onResponse,
    },
    ...Array.from({ length: PAGES_PER_WALK - 1 }, (): autocannon.Request => ({
      setupRequest: (request, context) => {
        const walk = context as PassContext;
        if (walk.first === undefined || walk.cursor === undefined || walk.cursor === null) {
          // Nothing returned starts the pass over (autocannon's types leave this case out).
          return undefined as unknown as autocannon.Request;
        }
        return send(request, walk, withParam(walk.first, step.cursorParam, walk.cursor));
      },
      onResponse,
    })),
  ];
}

/** Splits `total` connections over the groups, at least one each. */
export function spreadConnections(total: number, groups: number): number[] {
  return Array.from({ length: groups }, (_, i) =>
    Math.max(1, Math.floor(total / groups) + (i < total % groups ? 1 : 0)),
  );
}

/** Every group at once against `url`, as the bearer of `token`, for some seconds or requests a group. */
export async function runLoad(
  url: string,
  token: string,
  groups: Group[],
  options: { connections: number; until: { seconds: number } | { requestsPerGroup: number } },
): Promise<GroupResult[]> {
  const connections = spreadConnections(options.connections, groups.length);
  const until =
    'seconds' in options.until
      ? { duration: options.until.seconds }
      : { amount: options.until.requestsPerGroup };
  return Promise.all(
    groups.map(async (group, i) => {
      const failures: FailedRequest[] = [];
      const result = await autocannon({
        url,
        title: group.name,
        connections: connections[i]!,
        ...until,
        timeout: 10,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        requests: groupRequests(group.step, failures),
      });
      return { name: group.name, connections: connections[i]!, result, failures };
    }),
  );
}

/** One row a group, then the totals: what bench/api.ts prints and writes. */
export function loadTable(groups: GroupResult[]): string[][] {
  const header = [
    'route group',
    'conns',
    'requests',
    'req/s',
    'p50 (ms)',
    'p90 (ms)',
    'p99 (ms)',
    'max (ms)',
    'non-2xx',
    'errors',
  ];
  const ms = (value: number) => String(Math.round(value));
  const rows = groups.map(({ name, connections, result: r }) => [
    name,
    String(connections),
    r.requests.total.toLocaleString('en-US'),
    r.duration > 0 ? (r.requests.total / r.duration).toFixed(1) : 'n/a',
    ms(r.latency.p50),
    ms(r.latency.p90),
    ms(r.latency.p99),
    ms(r.latency.max),
    String(r.non2xx),
    r.timeouts > 0 ? `${r.errors} (${r.timeouts} timeouts)` : String(r.errors),
  ]);
  const total = (pick: (r: autocannon.Result) => number) =>
    groups.reduce((sum, g) => sum + pick(g.result), 0);
  const duration = Math.max(...groups.map((g) => g.result.duration));
  rows.push([
    'all',
    String(groups.reduce((sum, g) => sum + g.connections, 0)),
    total((r) => r.requests.total).toLocaleString('en-US'),
    duration > 0 ? (total((r) => r.requests.total) / duration).toFixed(1) : 'n/a',
    '-',
    '-',
    '-',
    ms(Math.max(...groups.map((g) => g.result.latency.max))),
    String(total((r) => r.non2xx)),
    String(total((r) => r.errors)),
  ]);
  return [header, ...rows];
}

/** Every failure the load saw, one line each: the bench fails on any. */
export function loadFailures(groups: GroupResult[]): string[] {
  return groups.flatMap((g) => {
    const lines: string[] = [];
    if (g.result.non2xx > 0) {
      lines.push(
        `${g.name}: ${g.result.non2xx} non-2xx responses` +
          g.failures.map((f) => `\n    ${f.status} GET ${f.path}: ${f.body}`).join(''),
      );
    }
    if (g.result.errors > 0) {
      lines.push(
        `${g.name}: ${g.result.errors} connection errors, ${g.result.timeouts} of them timeouts (no answer in 10 s)`,
      );
    }
    return lines;
  });
}
