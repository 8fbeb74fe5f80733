import { setTimeout as delay } from 'node:timers/promises';

import type { Logger } from '../../lib/logger.js';
import { type EgressPolicy, findEgressRefusal, guardedDispatcher } from '../../lib/network-guard.js';
import { err, ok, type Result } from '../../lib/result.js';
import { ConnectorError, type ConnectorErrorCode } from '../connector.js';
import type { AuthStrategy } from './auth.js';
import { RequestPacer } from './request-pacer.js';
import { backoffDelay, rateLimitResetMs, retryAfterMs } from './retry-timing.js';

/*
 * The one outbound HTTP layer of the API connectors (OneRoster REST, ClassLink, Clever).
 *
 * Built on Node's own `fetch` (undici inside Node 20) rather than the `undici` package: it gives
 * everything this layer needs (per-attempt timeouts through AbortSignal, streaming-free text
 * bodies, connection reuse), and tests run it against real `node:http` servers. The one piece
 * taken from the `undici` package is the dispatcher that checks each connection's resolved address
 * (`lib/network-guard.ts`), pinned to the version inside Node 20 so its fetch accepts it.
 *
 * What it does for every request:
 * - one timeout per attempt (`timeoutMs`, covering headers and body);
 * - retries network errors, timeouts, truncated or unparseable 2xx JSON, 408 and 5xx with
 *   exponential backoff and full jitter, and 429 after `Retry-After` (seconds or HTTP date) or
 *   Clever's `X-RateLimit-Reset`, each wait capped at `maxRetryAfterMs`; at most `maxRetries`
 *   retries, then a `ConnectorError` (`provider_unavailable`, `timeout`, `rate_limited`,
 *   `invalid_payload`) marked retryable for the next run;
 * - paces requests per provider (`requestsPerSecond`) and holds all of them while Clever's
 *   `X-RateLimit-Remaining` is 0;
 * - on 401 asks the auth strategy to refresh once and tries again; a second 401, a 401 with
 *   nothing to refresh, or a 403 is `auth_failed`, never retried;
 * - logs the method, the URL path (never the query, which may carry secrets or filters on
 *   personal data), the status and the wait; never a body, never a header;
 * - tells an optional observer (the metrics) how each attempt ended, each retry and each 429,
 *   so that counting traffic needs no second HTTP layer and connectors never import metrics.
 */

export interface HttpSettings {
  /** Per attempt, headers and body together. */
  timeoutMs: number;
  /** Retries after the first attempt; the hard cap. */
  maxRetries: number;
  /** Backoff base: the first retry waits up to this, the n-th up to base * 2^n. */
  retryBaseMs: number;
  /** Backoff ceiling. */
  retryMaxMs: number;
  /** The longest single wait a provider may ask for (Retry-After, rate-limit reset). */
  maxRetryAfterMs: number;
  /** Request starts per second for this provider; null: unpaced. */
  requestsPerSecond: number | null;
}

export const DEFAULT_HTTP_SETTINGS: HttpSettings = {
  timeoutMs: 30_000,
  maxRetries: 5,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  maxRetryAfterMs: 120_000,
  requestsPerSecond: null,
};

/** How one attempt ended: the class of the status it got, or why it got none. */
export const HTTP_OUTCOMES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'timeout', 'error', 'cancelled'] as const;
export type HttpOutcome = (typeof HTTP_OUTCOMES)[number];

/**
 * Told about the traffic of one client. It carries no URL, status line or body: whoever builds it
 * knows what it counts for (a provider type), and nothing more is needed to count.
 */
export interface HttpObserver {
  /** One attempt ended, `seconds` after it was sent (pacing and auth excluded). */
  request(outcome: HttpOutcome, seconds: number): void;
  /** A failed attempt will be tried again after a wait (not the one re-send after refreshing credentials). */
  retry(): void;
  /** The provider answered 429. */
  rateLimited(): void;
}

export interface HttpClientDeps {
  logger: Logger;
  /** Counts what this client sends; absent, nothing is counted. */
  observer?: HttpObserver;
  /**
   * Which non-public addresses may be reached, checked on the resolved address of each new
   * connection. The service always passes the configured one; absent (unit tests of this layer
   * against their own servers), connections are not checked.
   */
  egress?: EgressPolicy;
  /** Waits between attempts; tests pass one that records and returns at once. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  /** In [0, 1), for the jitter. */
  random?: () => number;
}

/** A refinement of a final error status from the body (OneRoster's imsx_StatusInfo, Clever's error JSON). */
export type DescribeFailure = (
  status: number,
  body: string,
) => { code?: ConnectorErrorCode; detail?: string } | undefined;

export interface HttpClientOptions {
  /** Who is called, for messages: "OneRoster API", "ClassLink". */
  provider: string;
  auth: AuthStrategy;
  settings?: Partial<HttpSettings>;
  describeFailure?: DescribeFailure;
}

export interface HttpRequest {
  method?: 'GET' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
  /** Attempts it took, 1 when the first one succeeded. */
  attempts: number;
}

export interface HttpClient {
  readonly provider: string;
  /** A 2xx response as text. */
  request(request: HttpRequest): Promise<HttpResponse<string>>;
  /** A 2xx response parsed as JSON; a body that does not parse is retried, then `invalid_payload`. */
  requestJson(request: HttpRequest): Promise<HttpResponse<unknown>>;
}

/** Why one attempt did not succeed, when it may be worth another. */
interface RetryableFailure {
  code: ConnectorErrorCode;
  reason: string;
  /** What the provider asked for, if anything; otherwise backoff. */
  waitMs: number | null;
}

const RETRYABLE_STATUS = (status: number) => status === 408 || status >= 500;

export function createHttpClient(options: HttpClientOptions, deps: HttpClientDeps): HttpClient {
  const settings: HttpSettings = { ...DEFAULT_HTTP_SETTINGS, ...options.settings };
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const sleep = deps.sleep ?? ((ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }));
  const pacer = new RequestPacer(settings.requestsPerSecond, now, sleep);
  const { provider, auth } = options;
  const log = deps.logger;
  const observer = deps.observer;
  const dispatcher = deps.egress === undefined ? undefined : guardedDispatcher(deps.egress);

  const cancelled = () => new ConnectorError('cancelled', `${provider}: the request was cancelled`);

  async function send<T>(request: HttpRequest, parse: (text: string) => T): Promise<HttpResponse<T>> {
    const method = request.method ?? 'GET';
    const where = `${method} ${request.url.pathname}`;
    let retries = 0;
    let refreshed = false;
    for (;;) {
      if (request.signal.aborted) throw cancelled();
      try {
        await pacer.take(request.signal);
      } catch {
        throw cancelled();
      }
      const authHeaders = await auth.authorize({ method, url: request.url, signal: request.signal });
      const timeout = AbortSignal.timeout(settings.timeoutMs);
      let failure: RetryableFailure;
      const sentAt = performance.now();
      // Set once the attempt is counted, so an error after the answer (a failed refresh) is not counted twice.
      let counted = false;
      const count = (outcome: HttpOutcome) => {
        counted = true;
        observer?.request(outcome, (performance.now() - sentAt) / 1000);
      };
      try {
        const response = await fetch(request.url, {
          method,
          headers: { accept: 'application/json', ...request.headers, ...authHeaders },
          ...(request.body === undefined ? {} : { body: request.body }),
          signal: AbortSignal.any([request.signal, timeout]),
          // Never follow a provider's redirect with our credentials to wherever it points.
          redirect: 'manual',
          ...(dispatcher === undefined ? {} : { dispatcher }),
        });
        const text = await response.text();
        const status = response.status;
        count(statusClass(status));
        if (status === 429) observer?.rateLimited();
        const reset = rateLimitResetMs(response.headers, now(), true);
        if (reset !== null) pacer.holdUntil(now() + Math.min(reset, settings.maxRetryAfterMs));
        if (status >= 200 && status < 300) {
          const parsed = tryParse(parse, text);
          if (parsed.ok) {
            return { status, headers: response.headers, body: parsed.value, attempts: retries + 1 };
          }
          failure = {
            code: 'invalid_payload',
            reason: `answered ${status} with a body that does not parse (truncated?)`,
            waitMs: null,
          };
        } else if (status === 401 && auth.refresh !== undefined && !refreshed) {
          refreshed = true;
          log.info({ provider, request: where }, 'credentials refused (401); refreshing them once');
          await auth.refresh(request.signal);
          continue;
        } else if (status === 401 || status === 403) {
          const refined = options.describeFailure?.(status, text);
          throw new ConnectorError(
            'auth_failed',
            `${provider}: ${where} was refused (${status}${refined?.detail === undefined ? '' : `: ${refined.detail}`}); check the credentials`,
          );
        } else if (status === 429) {
          const asked =
            retryAfterMs(response.headers.get('retry-after'), now()) ??
            rateLimitResetMs(response.headers, now(), false);
          failure = { code: 'rate_limited', reason: 'answered 429 (rate limited)', waitMs: asked };
        } else if (RETRYABLE_STATUS(status)) {
          failure = {
            code: 'provider_unavailable',
            reason: `answered ${status}`,
            waitMs: retryAfterMs(response.headers.get('retry-after'), now()),
          };
        } else {
          const refined = options.describeFailure?.(status, text);
          const code = refined?.code ?? (status === 404 ? 'not_found' : 'invalid_payload');
          throw new ConnectorError(
            code,
            `${provider}: ${where} answered ${status}${refined?.detail === undefined ? '' : `: ${refined.detail}`}`,
          );
        }
      } catch (error) {
        if (error instanceof ConnectorError) throw error;
        const refused = findEgressRefusal(error);
        if (refused !== undefined) {
          // The address will not change class by the next attempt: a configuration problem.
          count('error');
          throw new ConnectorError('config_invalid', `${provider}: ${refused.describe('provider')}`);
        }
        if (!counted) count(request.signal.aborted ? 'cancelled' : timeout.aborted ? 'timeout' : 'error');
        if (request.signal.aborted) throw cancelled();
        failure = timeout.aborted
          ? { code: 'timeout', reason: `timed out after ${settings.timeoutMs} ms`, waitMs: null }
          : { code: 'provider_unavailable', reason: `failed (${networkReason(error)})`, waitMs: null };
      }
      if (retries >= settings.maxRetries) {
        throw new ConnectorError(
          failure.code,
          `${provider}: ${where} ${failure.reason}; gave up after ${retries + 1} attempts`,
          { retryable: true },
        );
      }
      const waitMs = Math.min(
        failure.waitMs ?? backoffDelay(retries, settings.retryBaseMs, settings.retryMaxMs, random),
        settings.maxRetryAfterMs,
      );
      retries += 1;
      observer?.retry();
      log.warn(
        { provider, request: where, reason: failure.reason, retry: retries, waitMs },
        'retrying a provider request',
      );
      try {
        await sleep(waitMs, request.signal);
      } catch {
        throw cancelled();
      }
    }
  }

  return {
    provider,
    request: (request) => send(request, (text) => text),
    requestJson: (request) => send(request, (text): unknown => JSON.parse(text)),
  };
}

function statusClass(status: number): HttpOutcome {
  if (status < 200) return '1xx';
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  return status < 500 ? '4xx' : '5xx';
}

function tryParse<T>(parse: (text: string) => T, text: string): Result<T, unknown> {
  try {
    return ok(parse(text));
  } catch (error) {
    return err(error);
  }
}

/** A network error's code (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET), never its full text. */
function networkReason(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && current !== undefined; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.name : 'network error';
}
