import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { ConnectorError } from '../connector.js';
import { bearerAuth, type AuthStrategy } from './auth.js';
import { createHttpClient, type HttpObserver, type HttpOutcome, type HttpSettings } from './http-client.js';
import { oauth2ClientCredentials } from './oauth2.js';

/** One scripted answer per request, in order; the last one repeats. */
type Answer = (req: IncomingMessage, res: ServerResponse) => void;
let script: Answer[] = [];
let hits: { url: string; authorization: string | undefined; body: string }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      hits.push({ url: req.url ?? '', authorization: req.headers.authorization, body });
      const answer = script[Math.min(hits.length - 1, script.length - 1)]!;
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  script = [];
  hits = [];
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

/** A fake clock that only moves when the client sleeps; every sleep is recorded. */
function fakeTime(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  const clock = { now: start, sleeps: [] as number[] };
  return {
    clock,
    now: () => clock.now,
    sleep: (ms: number) => {
      clock.sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  };
}

function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

/** What an observer was told, in order. */
function recordingObserver() {
  const told = { outcomes: [] as HttpOutcome[], seconds: [] as number[], retries: 0, rateLimited: 0 };
  const observer: HttpObserver = {
    request(outcome, seconds) {
      told.outcomes.push(outcome);
      told.seconds.push(seconds);
    },
    retry: () => (told.retries += 1),
    rateLimited: () => (told.rateLimited += 1),
  };
  return { told, observer };
}

function client(
  settings: Partial<HttpSettings>,
  auth: AuthStrategy = bearerAuth('t0ken-secret'),
  observer?: HttpObserver,
) {
  const time = fakeTime();
  const log = memoryLogger();
  const http = createHttpClient(
    { provider: 'Test', auth, settings },
    {
      logger: log.logger,
      now: time.now,
      sleep: time.sleep,
      random: () => 0.5,
      ...(observer === undefined ? {} : { observer }),
    },
  );
  return { http, time, log };
}

const signal = () => new AbortController().signal;
const get = (path: string) => ({ url: new URL(`${base}${path}`), signal: signal() });

describe('HTTP client retries', () => {
  it('retries 5xx with exponential backoff and full jitter, then succeeds', async () => {
    script = [json(503, {}), json(502, {}), json(200, { ok: 1 })];
    const { http, time } = client({ retryBaseMs: 100, retryMaxMs: 150 });
    const response = await http.requestJson(get('/a'));
    expect(response.body).toEqual({ ok: 1 });
    expect(response.attempts).toBe(3);
    // random() = 0.5: half of min(max, base * 2^n) -> 50, then 75 (capped at 150).
    expect(time.clock.sleeps).toEqual([50, 75]);
  });

  it('honours Retry-After in seconds and as an HTTP date, capped by maxRetryAfterMs', async () => {
    const { http, time } = client({ maxRetryAfterMs: 60_000 });
    // Answered after the first 7 s wait: the date is 30 s after that moment.
    const in30s = new Date(time.clock.now + 7000 + 30_000).toUTCString();
    script = [
      json(429, {}, { 'retry-after': '7' }),
      json(429, {}, { 'retry-after': in30s }),
      json(429, {}, { 'retry-after': '3600' }),
      json(200, { ok: 1 }),
    ];
    await http.requestJson(get('/a'));
    expect(time.clock.sleeps).toEqual([7000, 30_000, 60_000]);
  });

  it("waits for Clever's X-RateLimit-Reset on 429, and holds later requests while none remain", async () => {
    const { http, time } = client({});
    const resetIn = (s: number) => String(Math.floor(time.clock.now / 1000) + s);
    script = [
      json(429, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetIn(4) }),
      json(200, { ok: 1 }, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': resetIn(6) }),
      json(200, { ok: 2 }),
    ];
    await http.requestJson(get('/a'));
    expect(time.clock.sleeps).toEqual([4000]);
    await http.requestJson(get('/b'));
    expect(time.clock.sleeps).toEqual([4000, 2000]);
  });

  it('paces requests to requestsPerSecond', async () => {
    script = [json(200, {})];
    const { http, time } = client({ requestsPerSecond: 10 });
    for (let i = 0; i < 3; i++) await http.requestJson(get('/a'));
    expect(time.clock.sleeps).toEqual([100, 100]);
  });

  it('gives up after maxRetries with a retryable provider_unavailable naming the path', async () => {
    script = [json(500, {})];
    const { http } = client({ maxRetries: 3 });
    const error = (await http
      .requestJson(get('/ims/x?secret=s3cr3t'))
      .catch((e: unknown) => e)) as ConnectorError;
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.code).toBe('provider_unavailable');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('Test: GET /ims/x answered 500; gave up after 4 attempts');
    expect(hits).toHaveLength(4);
  });

  it('retries connection resets and truncated JSON bodies', async () => {
    script = [
      (req) => req.socket.destroy(),
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"users":[{"sourcedId":"u1"');
      },
      json(200, { users: [] }),
    ];
    const { http } = client({});
    const response = await http.requestJson(get('/a'));
    expect(response.body).toEqual({ users: [] });
    expect(hits).toHaveLength(3);
  });

  it('times out a silent server, retries, then reports timeout', async () => {
    script = [() => undefined];
    const { http } = client({ timeoutMs: 50, maxRetries: 1 });
    const error = (await http.requestJson(get('/slow')).catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('timeout');
    expect(hits).toHaveLength(2);
  });

  it('maps a final 404 to not_found and other 4xx through describeFailure, without retrying', async () => {
    script = [json(404, {})];
    const { http } = client({});
    await expect(http.requestJson(get('/nope'))).rejects.toMatchObject({ code: 'not_found' });
    expect(hits).toHaveLength(1);
  });
});

describe('HTTP client credentials', () => {
  it('on 401 refreshes credentials once and retries', async () => {
    let generation = 0;
    const auth: AuthStrategy = {
      kind: 'test',
      authorize: () => Promise.resolve({ authorization: `Bearer gen-${generation}` }),
      refresh: () => {
        generation += 1;
        return Promise.resolve();
      },
    };
    script = [(req, res) => json(req.headers.authorization === 'Bearer gen-1' ? 200 : 401, {})(req, res)];
    const { http } = client({}, auth);
    await http.requestJson(get('/a'));
    expect(generation).toBe(1);
    expect(hits.map((h) => h.authorization)).toEqual(['Bearer gen-0', 'Bearer gen-1']);
  });

  it('a second 401 is auth_failed, not retryable, after exactly one refresh', async () => {
    let refreshes = 0;
    const auth: AuthStrategy = {
      kind: 'test',
      authorize: () => Promise.resolve({ authorization: 'Bearer x' }),
      refresh: () => {
        refreshes += 1;
        return Promise.resolve();
      },
    };
    script = [json(401, {})];
    const { http } = client({ maxRetries: 5 }, auth);
    const error = (await http.requestJson(get('/a')).catch((e: unknown) => e)) as ConnectorError;
    expect(error.code).toBe('auth_failed');
    expect(error.retryable).toBe(false);
    expect(refreshes).toBe(1);
    expect(hits).toHaveLength(2);
  });

  it('OAuth 2 client credentials: caches the token, refreshes it shortly before expiry and on 401', async () => {
    let issued = 0;
    const tokenAnswer: Answer = (req, res) => {
      issued += 1;
      json(200, { access_token: `tok-${issued}`, token_type: 'bearer', expires_in: 3600 })(req, res);
    };
    const api: Answer = (req, res) =>
      json(req.headers.authorization === 'Bearer tok-1' ? 401 : 200, {})(req, res);
    const time = fakeTime();
    const log = memoryLogger();
    const auth = oauth2ClientCredentials(
      {
        tokenUrl: `${base}/token`,
        clientId: 'id:1',
        clientSecret: 's3cr3t',
        clientAuth: 'basic',
        scope: 'a b',
      },
      { logger: log.logger, now: time.now, sleep: time.sleep },
    );
    const http = createHttpClient(
      { provider: 'Test', auth },
      { logger: log.logger, now: time.now, sleep: time.sleep },
    );
    script = [tokenAnswer, api, tokenAnswer, api, api, tokenAnswer, api];
    await http.requestJson(get('/a')); // token 1, 401, token 2, 200
    await http.requestJson(get('/b')); // cached token 2
    time.clock.now += 3600_000 - 30_000; // inside the refresh margin
    await http.requestJson(get('/c')); // token 3
    expect(issued).toBe(3);
    expect(hits.map((h) => h.url)).toEqual(['/token', '/a', '/token', '/a', '/b', '/token', '/c']);
    const basic = Buffer.from(hits[0]!.authorization!.slice(6), 'base64').toString();
    expect(basic).toBe('id%3A1:s3cr3t');
    expect(hits[0]!.body).toBe('grant_type=client_credentials&scope=a+b');
    expect(log.text()).not.toContain('tok-');
    expect(log.text()).not.toContain('s3cr3t');
  });

  it('OAuth 2: a token endpoint refusing the client is auth_failed', async () => {
    script = [json(401, { error: 'invalid_client' })];
    const auth = oauth2ClientCredentials(
      { tokenUrl: `${base}/token`, clientId: 'id', clientSecret: 'bad', clientAuth: 'body' },
      { logger: pino({ level: 'silent' }) },
    );
    await expect(
      auth.authorize({ method: 'GET', url: new URL(base), signal: signal() }),
    ).rejects.toMatchObject({
      code: 'auth_failed',
    });
    expect(hits[0]!.body).toBe('grant_type=client_credentials&client_id=id&client_secret=bad');
  });
});

describe('HTTP client logging', () => {
  it('never logs a payload, a query or an Authorization header', async () => {
    script = [
      json(503, { users: [{ givenName: 'PERSONAL-NAME' }] }),
      (req) => req.socket.destroy(),
      json(429, { note: 'PERSONAL-NAME' }, { 'retry-after': '1' }),
      json(200, { users: [{ givenName: 'PERSONAL-NAME' }] }),
    ];
    const { http, log } = client({}, bearerAuth('t0ken-secret'));
    await http.requestJson(get('/users?api_key=QUERY-SECRET&filter=x'));
    const text = log.text();
    expect(text).toContain('retrying a provider request');
    expect(text).toContain('/users');
    for (const leak of ['PERSONAL-NAME', 'QUERY-SECRET', 't0ken-secret', 'Bearer', 'api_key']) {
      expect(text).not.toContain(leak);
    }
  });
});

describe('HTTP client observer', () => {
  it('is told how each attempt ended, each retry and each 429', async () => {
    script = [
      json(503, {}),
      json(429, {}, { 'retry-after': '1' }),
      (req) => req.socket.destroy(),
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"users":[');
      },
      json(200, { ok: 1 }),
    ];
    const { told, observer } = recordingObserver();
    const { http } = client({}, bearerAuth('t0ken-secret'), observer);
    await http.requestJson(get('/a'));
    // A truncated 2xx is still a 2xx answer; the retry it causes is counted as a retry.
    expect(told.outcomes).toEqual(['5xx', '4xx', 'error', '2xx', '2xx']);
    expect(told.retries).toBe(4);
    expect(told.rateLimited).toBe(1);
    expect(told.seconds).toHaveLength(5);
    for (const seconds of told.seconds) expect(seconds).toBeGreaterThanOrEqual(0);
  });

  it('counts timeouts, and a final failure without a retry after the last attempt', async () => {
    script = [() => undefined];
    const { told, observer } = recordingObserver();
    const { http } = client({ timeoutMs: 50, maxRetries: 1 }, bearerAuth('t0ken-secret'), observer);
    await expect(http.requestJson(get('/slow'))).rejects.toMatchObject({ code: 'timeout' });
    expect(told.outcomes).toEqual(['timeout', 'timeout']);
    expect(told.retries).toBe(1);
  });

  it('does not count the re-send after refreshing credentials as a retry', async () => {
    let generation = 0;
    const auth: AuthStrategy = {
      kind: 'test',
      authorize: () => Promise.resolve({ authorization: `Bearer gen-${generation}` }),
      refresh: () => {
        generation += 1;
        return Promise.resolve();
      },
    };
    script = [(req, res) => json(req.headers.authorization === 'Bearer gen-1' ? 200 : 401, {})(req, res)];
    const { told, observer } = recordingObserver();
    const { http } = client({}, auth, observer);
    await http.requestJson(get('/a'));
    expect(told).toMatchObject({ outcomes: ['4xx', '2xx'], retries: 0, rateLimited: 0 });
  });

  it('counts a request cancelled while in flight as cancelled, once', async () => {
    const controller = new AbortController();
    script = [() => controller.abort()];
    const { told, observer } = recordingObserver();
    const { http } = client({}, bearerAuth('t0ken-secret'), observer);
    await expect(
      http.requestJson({ url: new URL(`${base}/a`), signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(told).toMatchObject({ outcomes: ['cancelled'], retries: 0 });
  });

  it('passes to the OAuth 2 token endpoint the observer its deps carry', async () => {
    script = [
      (req, res) =>
        req.url === '/token'
          ? json(200, { access_token: 'tok', token_type: 'bearer', expires_in: 3600 })(req, res)
          : json(200, { ok: 1 })(req, res),
    ];
    const { told, observer } = recordingObserver();
    const log = memoryLogger();
    const deps = { logger: log.logger, observer };
    const auth = oauth2ClientCredentials(
      { tokenUrl: `${base}/token`, clientId: 'id', clientSecret: 'secret', clientAuth: 'basic' },
      deps,
    );
    const http = createHttpClient({ provider: 'Test', auth }, deps);
    await http.requestJson(get('/a'));
    expect(hits.map((h) => h.url)).toEqual(['/token', '/a']);
    expect(told.outcomes).toEqual(['2xx', '2xx']);
  });
});
