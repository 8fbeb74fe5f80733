import { type EgressPolicy, findEgressRefusal, guardedDispatcher } from '../lib/network-guard.js';
import { webhookSignatureHeader } from '../lib/webhook-signature.js';
import { VERSION } from '../version.js';

/** How webhook notices are sent and retried. Built once in dependencies.ts; tests shorten the waits. */
export interface WebhookSettings {
  /** One attempt's whole budget: connect, send, and the receiver's answer. */
  timeoutMs: number;
  /** Attempts before a delivery is `failed` (a `ping` from the test button gets one). */
  maxAttempts: number;
  /** The wait after attempt n is `backoffMs[n - 1]` (the last entry once past the end), with jitter. */
  backoffMs: readonly number[];
  /** Each wait is scaled by a random factor in [1 - jitter, 1 + jitter), so failed receivers are not hit in step. */
  jitter: number;
  /** A longer `Retry-After` (429, 503) is cut to this; a shorter one than the backoff is not honoured. */
  maxRetryAfterMs: number;
  /**
   * A pending delivery whose attempt was due this long ago and never recorded (its worker died
   * mid-attempt) is queued again.
   */
  requeueAfterMs: number;
  /** How often a worker looks for such deliveries. */
  sweepIntervalMs: number;
  /** Deliveries one worker attempts at once. */
  concurrency: number;
  userAgent: string;
  /**
   * Which non-public addresses receivers may resolve to (SIS_SYNC_OUTBOUND_ALLOW), checked on
   * each connection; absent: not checked. The service always sets it.
   */
  egress?: EgressPolicy;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = {
  timeoutMs: 10_000,
  maxAttempts: 8,
  // 10 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h (6 h if maxAttempts is raised): about 5 h in all.
  backoffMs: [10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000],
  jitter: 0.2,
  maxRetryAfterMs: 21_600_000,
  requeueAfterMs: 5 * 60_000,
  sweepIntervalMs: 60_000,
  concurrency: 4,
  userAgent: `sis-sync/${VERSION}`,
};

export function webhookSettings(overrides: Partial<WebhookSettings> = {}): WebhookSettings {
  return { ...DEFAULT_WEBHOOK_SETTINGS, ...overrides };
}

/** What one attempt came to. `error` never holds the URL, the secret or the receiver's body. */
export interface AttemptOutcome {
  /** The receiver answered 2xx. */
  delivered: boolean;
  /** null: no response (connection failed, timed out). */
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
  /** The receiver's `Retry-After` on a 429 or 503, in milliseconds. */
  retryAfterMs: number | undefined;
  /** Trying again cannot help (the receiver's address is refused by the egress policy). */
  permanent?: boolean;
}

/**
 * POSTs one signed notice: the body is the stored payload as JSON, signed at `now` with the
 * subscription's current secret. Redirects are not followed (a receiver that moved must be
 * re-registered, not silently chased). Never throws: failures are outcomes.
 */
export async function sendWebhook(
  settings: WebhookSettings,
  target: { url: string; secret: string },
  delivery: { id: string; payload: Record<string, unknown> },
  now: Date,
): Promise<AttemptOutcome> {
  const body = JSON.stringify(delivery.payload);
  const timestamp = Math.floor(now.getTime() / 1000);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(target.url, {
      ...(settings.egress === undefined ? {} : { dispatcher: guardedDispatcher(settings.egress) }),
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(settings.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': settings.userAgent,
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'x-sissync-signature': webhookSignatureHeader(target.secret, timestamp, body),
      },
      body,
    });
    // The answer's body is not read, only released: it is the receiver's, and may be anything.
    await response.body?.cancel().catch(() => undefined);
    const status = response.status;
    const delivered = status >= 200 && status < 300;
    return {
      delivered,
      responseStatus: status,
      error: delivered ? null : describeStatus(status),
      durationMs: elapsed(),
      retryAfterMs:
        status === 429 || status === 503
          ? parseRetryAfter(response.headers.get('retry-after'), now)
          : undefined,
    };
  } catch (error) {
    const refused = findEgressRefusal(error);
    if (refused !== undefined) {
      return {
        delivered: false,
        responseStatus: null,
        error: refused.describe('receiver'),
        durationMs: elapsed(),
        retryAfterMs: undefined,
        permanent: true,
      };
    }
    return {
      delivered: false,
      responseStatus: null,
      error: describeFailure(error, settings.timeoutMs),
      durationMs: elapsed(),
      retryAfterMs: undefined,
    };
  }
}

/** How long to wait after failed attempt `attempt` (1-based). */
export function retryDelayMs(
  settings: WebhookSettings,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const table = settings.backoffMs;
  const base = table[Math.min(attempt, table.length) - 1] ?? 0;
  const backoff = Math.round(base * (1 - settings.jitter + 2 * settings.jitter * random()));
  if (retryAfterMs === undefined) return backoff;
  return Math.max(backoff, Math.min(retryAfterMs, settings.maxRetryAfterMs));
}

function describeStatus(status: number): string {
  const redirect = status >= 300 && status < 400;
  return `the receiver answered ${status}${redirect ? ', a redirect; redirects are not followed' : ''}`;
}

function describeFailure(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  // fetch wraps socket errors: their code (ECONNREFUSED, ENOTFOUND, ...) says enough, and the
  // message could carry the URL, which may hold a token.
  const cause = (error as { cause?: { code?: unknown; errors?: { code?: unknown }[] } } | null)?.cause;
  // A host with several addresses fails with one error per address, gathered in an AggregateError.
  const raw = cause?.code ?? cause?.errors?.[0]?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  if (code !== undefined) return `could not reach the receiver (${code})`;
  return `could not reach the receiver (${typeof name === 'string' ? name : 'unknown error'})`;
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
