/*
 * How long to wait before the next attempt. Exponential backoff with "full jitter" (a random
 * delay between zero and the exponential cap) spreads the retries of many workers apart, which is
 * what ClassLink asks for; a provider's own word (Retry-After, Clever's reset time) wins over it.
 */

/** Full jitter: uniformly random in [0, min(maxMs, baseMs * 2^attempt)). `attempt` starts at 0. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.floor(random() * cap);
}

/**
 * `Retry-After` (RFC 9110 section 10.2.3): delay-seconds or an HTTP date. Null when absent or
 * unreadable; a date in the past is zero.
 */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/**
 * Clever's `X-RateLimit-Reset` (unix seconds at which the bucket refills) when
 * `X-RateLimit-Remaining` says nothing is left: how long every request should wait. Null when
 * the headers are absent or requests remain.
 */
export function rateLimitResetMs(headers: Headers, now: number, exhaustedOnly: boolean): number | null {
  const reset = headers.get('x-ratelimit-reset');
  if (reset === null || !/^\d+(\.\d+)?$/.test(reset.trim())) return null;
  if (exhaustedOnly) {
    const remaining = headers.get('x-ratelimit-remaining');
    if (remaining === null || Number(remaining.trim()) > 0) return null;
  }
  return Math.max(0, Number(reset.trim()) * 1000 - now);
}
