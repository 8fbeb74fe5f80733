import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

import {
  objectsOf,
  RECORD_TYPES,
  type CleverDataset,
  type CleverObject,
  type RecordType,
} from './clever-dataset.js';
import { diffDatasets, type CleverEventRecord } from './clever-events.js';
import { FaultPlan, type FaultSpec } from './faults.js';

/*
 * A Clever Data API v3.0 server over node:http, faithful where a connector can tell the
 * difference: list envelopes `{data: [{data, uri}], links: [{rel, uri}]}`, ascending-id paging
 * with `limit` (max 10000, 413 above) and `starting_after` / `ending_before` through `rel=next`
 * links, district-app bearer tokens (401 otherwise), the token discovery endpoint with HTTP Basic
 * client credentials, Clever's `X-RateLimit-*` headers and 429, the Events API, and injectable
 * faults. Everything is served from memory.
 */

export interface CleverSimulatorOptions {
  dataset: CleverDataset;
  port?: number;
  host?: string;
  clientId?: string;
  clientSecret?: string;
  /** The district token; generated when absent. */
  accessToken?: string;
  faults?: readonly FaultSpec[];
  /** Requests per minute per token before 429 (Clever: 1200). */
  rateLimitPerMinute?: number;
  now?: () => number;
}

export interface RunningCleverSimulator {
  /** `http://host:port` */
  url: string;
  /** The Data API root, for a provider's `baseUrl`. */
  baseUrl: string;
  /** The token discovery endpoint, for a provider's `tokenUrl`. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  districtId: string;
  /** The district token valid now. */
  accessToken(): string;
  /** Invalidates the current token and issues a new one (what the district's re-authorization does). */
  rotateToken(): string;
  /** Invalidates every token and stops issuing them (the district unshared the app). */
  revokeAccess(): void;
  /** Replaces the served data and records the created/updated/deleted events that lead there. */
  replaceData(next: CleverDataset): CleverEventRecord[];
  /** Requests seen so far (data and token endpoints), for tests and the CLI summary. */
  requests(): { method: string; path: string; status: number }[];
  faultsFired(): { spec: FaultSpec; fired: number }[];
  /** Replaces the fault plan; counting starts again from the next request. */
  setFaults(faults: readonly FaultSpec[]): void;
  close(): Promise<void>;
}

const MAX_LIMIT = 10_000;
const DEFAULT_LIMIT = 100;
const USER_ROLES = ['student', 'teacher', 'staff', 'district_admin', 'contact'];
const HTML_404 =
  '<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>Not Found</body></html>';

interface Collection {
  sorted: CleverObject[];
  byId: Map<string, CleverObject>;
}

function index(objects: readonly CleverObject[]): Collection {
  const sorted = [...objects].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { sorted, byId: new Map(sorted.map((o) => [o.id, o])) };
}

/** Index of the first element whose id is greater than `id` (or >= with `inclusive`). */
function firstAfter(sorted: readonly { id: string }[], id: string, inclusive: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const value = (sorted[mid] as { id: string }).id;
    if (value < id || (!inclusive && value === id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function startCleverSimulator(options: CleverSimulatorOptions): Promise<RunningCleverSimulator> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? `sim-${randomBytes(6).toString('hex')}`;
  const clientSecret = options.clientSecret ?? randomBytes(18).toString('base64url');
  const rateLimit = options.rateLimitPerMinute ?? 1200;
  let plan = new FaultPlan(options.faults ?? []);
  let dataset = options.dataset;
  let collections = indexAll(dataset);
  const events: CleverEventRecord[] = [];
  let currentToken = options.accessToken ?? randomBytes(20).toString('hex');
  let revoked = false;
  const windows = new Map<string, { start: number; used: number }>();
  const log: { method: string; path: string; status: number }[] = [];

  function indexAll(data: CleverDataset): Record<RecordType, Collection> {
    return Object.fromEntries(RECORD_TYPES.map((t) => [t, index(objectsOf(data, t))])) as Record<
      RecordType,
      Collection
    >;
  }

  const send = (
    res: ServerResponse,
    req: IncomingMessage,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) => {
    const text = typeof body === 'string' ? body : body === null ? '' : JSON.stringify(body);
    const type = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8';
    log.push({ method: req.method ?? 'GET', path: (req.url ?? '').split('?')[0] ?? '', status });
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  function rateHeaders(token: string): { headers: Record<string, string>; over: boolean } {
    const t = now();
    let window = windows.get(token);
    if (window === undefined || t - window.start >= 60_000) {
      window = { start: t - (t % 60_000), used: 0 };
      windows.set(token, window);
    }
    window.used += 1;
    const remaining = Math.max(0, rateLimit - window.used);
    const resetSeconds = Math.ceil((window.start + 60_000) / 1000);
    return {
      over: window.used > rateLimit,
      headers: {
        'x-ratelimit-limit': String(rateLimit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(resetSeconds),
        'x-ratelimit-bucket': 'district-app',
      },
    };
  }

  function rotate(): string {
    currentToken = randomBytes(20).toString('hex');
    return currentToken;
  }

  function handleTokens(req: IncomingMessage, res: ServerResponse, url: URL) {
    const header = req.headers.authorization ?? '';
    const expected = Buffer.from(`Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`);
    const given = Buffer.from(header);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      send(res, req, 401, { message: 'invalid client credentials' });
      return;
    }
    if (url.searchParams.get('owner_type') !== 'district') {
      send(res, req, 400, { message: 'owner_type must be district' });
      return;
    }
    const district = url.searchParams.get('district');
    const districtId = dataset.district.id;
    const data =
      revoked || (district !== null && district !== districtId)
        ? []
        : [
            {
              id: `tok${currentToken.slice(0, 21)}`,
              created: new Date(now()).toISOString(),
              owner: { type: 'district', id: districtId },
              access_token: currentToken,
              scopes: [
                'read:district_admins',
                'read:schools',
                'read:sections',
                'read:students',
                'read:teachers',
                'read:user_id',
              ],
            },
          ];
    send(res, req, 200, { data, links: [{ rel: 'self', uri: `/oauth/tokens${url.search}` }] });
  }

  async function handleData(req: IncomingMessage, res: ServerResponse, url: URL) {
    const match = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const token = match?.[1];
    if (token === undefined || revoked || token !== currentToken) {
      send(res, req, 401, { message: 'invalid or expired token' });
      return;
    }
    const fault = plan.next(url.pathname);
    if (fault?.kind === 'slow') await delay(fault.value ?? 500);
    if (fault?.kind === 'reset') {
      log.push({ method: req.method ?? 'GET', path: url.pathname, status: 0 });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'token-expiry') {
      rotate();
      send(res, req, 401, { message: 'token expired' });
      return;
    }
    const rate = rateHeaders(token);
    if (fault?.kind === '429' || rate.over) {
      const resetAt =
        fault?.kind === '429' ? Math.ceil(now() / 1000) + 1 : Number(rate.headers['x-ratelimit-reset']);
      send(res, req, 429, null, {
        ...rate.headers,
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(resetAt),
        'retry-after': String(Math.max(1, resetAt - Math.floor(now() / 1000))),
      });
      return;
    }
    if (fault !== null && /^5\d\d$/.test(fault.kind)) {
      send(res, req, Number(fault.kind), { message: 'Internal Server Error' }, rate.headers);
      return;
    }
    const answer = route(url, fault?.kind === 'short-page');
    if (fault?.kind === 'truncate' && answer.status === 200) {
      const text = JSON.stringify(answer.body);
      log.push({ method: req.method ?? 'GET', path: url.pathname, status: -200 });
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        ...rate.headers,
      });
      // Half the promised bytes, then the connection drops: a transfer cut short.
      res.write(text.slice(0, Math.floor(text.length / 2)), () => req.socket.destroy());
      return;
    }
    send(res, req, answer.status, answer.body, rate.headers);
  }

  function route(url: URL, shortPage: boolean): { status: number; body: unknown } {
    const parts = url.pathname.split('/').filter((p) => p !== '');
    if (parts[0] !== 'v3.0' || parts.length < 2 || parts.length > 3) return { status: 404, body: HTML_404 };
    const type = parts[1] as string;
    const id = parts[2];
    if (type === 'events') {
      if (id !== undefined) {
        const event = events.find((e) => e.id === id);
        return event === undefined ? notFound() : { status: 200, body: { data: event } };
      }
      const recordTypes = url.searchParams.getAll('record_type');
      const list =
        recordTypes.length === 0
          ? events
          : events.filter((e) => recordTypes.includes(e.type.split('.')[0] ?? ''));
      return page(url, 'events', list, shortPage);
    }
    if (!(RECORD_TYPES as readonly string[]).includes(type)) return { status: 404, body: HTML_404 };
    const collection = collections[type as RecordType];
    if (id !== undefined) {
      const object = collection.byId.get(id);
      return object === undefined ? notFound() : { status: 200, body: { data: object } };
    }
    let list: readonly CleverObject[] = collection.sorted;
    const role = url.searchParams.get('role');
    if (type === 'users' && role !== null) {
      if (!USER_ROLES.includes(role)) return { status: 400, body: { message: `invalid role ${role}` } };
      list = list.filter((u) => {
        const roles = u.roles;
        return typeof roles === 'object' && roles !== null && role in roles;
      });
    }
    return page(url, type, list, shortPage);
  }

  function notFound() {
    return { status: 404, body: { message: 'Resource not found' } };
  }

  function page(
    url: URL,
    type: string,
    list: readonly { id: string }[],
    shortPage: boolean,
  ): { status: number; body: unknown } {
    const rawLimit = url.searchParams.get('limit');
    const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1) {
      return { status: 400, body: { message: 'limit must be a positive integer' } };
    }
    if (limit > MAX_LIMIT) return { status: 413, body: { message: `limit must be at most ${MAX_LIMIT}` } };
    const after = url.searchParams.get('starting_after');
    const before = url.searchParams.get('ending_before');
    let start: number;
    let end: number;
    if (before !== null) {
      end = firstAfter(list, before, true);
      start = Math.max(0, end - limit);
    } else {
      start = after === null ? 0 : firstAfter(list, after, false);
      end = Math.min(list.length, start + limit);
    }
    const items = list.slice(start, end);
    const links: { rel: string; uri: string }[] = [{ rel: 'self', uri: `${url.pathname}${url.search}` }];
    const linkTo = (param: 'starting_after' | 'ending_before', value: string) => {
      const params = new URLSearchParams(url.searchParams);
      params.delete('starting_after');
      params.delete('ending_before');
      params.set(param, value);
      return `${url.pathname}?${params.toString()}`;
    };
    const last = items.at(-1);
    if (before === null && end < list.length && last !== undefined) {
      links.push({ rel: 'next', uri: linkTo('starting_after', last.id) });
    }
    // Like Clever, a starting_after page links back even when nothing is before it.
    const first = items[0];
    if (after !== null && first !== undefined) {
      links.push({ rel: 'prev', uri: linkTo('ending_before', first.id) });
    }
    // The short-page fault: records silently left out, the next link as if they had been sent.
    const served = shortPage && items.length > 1 ? items.slice(0, Math.ceil(items.length / 2)) : items;
    return {
      status: 200,
      body: {
        data: served.map((item) => ({ data: item, uri: `/v3.0/${type}/${item.id}` })),
        links,
        ...(url.searchParams.get('count') === 'true' ? { count: list.length } : {}),
      },
    };
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const work =
      req.method !== 'GET'
        ? Promise.resolve(send(res, req, 405, { message: 'method not allowed' }))
        : url.pathname === '/oauth/tokens'
          ? Promise.resolve(handleTokens(req, res, url))
          : handleData(req, res, url);
    work.catch(() => {
      if (!res.headersSent) send(res, req, 500, { message: 'simulator error' });
      else res.destroy();
    });
  });
  // Node closes an idle kept-alive connection after 5 s; an API behind a load balancer keeps it
  // for a minute or more. With the 5 s default, a client paused longer than that (a long garbage
  // collection in a 1M-district benchmark) reuses a socket the server is closing: ECONNRESET.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    baseUrl: `${url}/v3.0`,
    tokenUrl: `${url}/oauth/tokens`,
    clientId,
    clientSecret,
    districtId: dataset.district.id,
    accessToken: () => currentToken,
    rotateToken: rotate,
    revokeAccess() {
      revoked = true;
    },
    replaceData(next) {
      const created = diffDatasets(dataset, next, events.length, now());
      events.push(...created);
      dataset = next;
      collections = indexAll(next);
      return created;
    },
    requests: () => [...log],
    faultsFired: () => plan.fired(),
    setFaults(faults) {
      plan = new FaultPlan(faults);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
