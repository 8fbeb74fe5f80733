import { createHmac, timingSafeEqual } from 'node:crypto';

import { err, ok, type Result } from './result.js';

/**
 * Webhook signatures, Stripe style: `X-SisSync-Signature: t=<unix seconds>,v1=<hex>` where the hex
 * is HMAC-SHA256 keyed with the subscription's whole secret (`whsec_...`, as UTF-8) over
 * `"<t>.<raw body>"`. The timestamp is inside what is signed, so a captured notice cannot be
 * replayed later than the receiver's tolerance.
 */
export const SIGNATURE_HEADER = 'x-sissync-signature';

/** Hex HMAC-SHA256 of `<timestamp>.<body>`. */
export function computeWebhookSignature(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The value of `X-SisSync-Signature` for a body sent at `timestamp` (unix seconds). */
export function webhookSignatureHeader(secret: string, timestamp: number, body: string | Buffer): string {
  return `t=${timestamp},v1=${computeWebhookSignature(secret, timestamp, body)}`;
}

export type SignatureFailure =
  /** No header, or not `t=...,v1=...`. */
  | 'malformed_header'
  /** The timestamp is further from `now` than the tolerance: a replay, or a badly wrong clock. */
  | 'timestamp_out_of_tolerance'
  /** No `v1` matches the body under this secret. */
  | 'signature_mismatch';

export interface VerifyOptions {
  /** How far the signed timestamp may be from `now`, either way; default 300 s. */
  toleranceSeconds?: number;
  /** The receiver's clock; default the system clock. */
  now?: Date;
}

/**
 * Checks a received notice: `body` must be the raw request body, byte for byte, not a re-serialised
 * parse of it. Several `v1` entries are allowed (any one may match). Compares in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  body: string | Buffer,
  options: VerifyOptions = {},
): Result<{ timestamp: number }, SignatureFailure> {
  if (header === undefined) return err('malformed_header');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,15}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0) return err('malformed_header');
  const tolerance = options.toleranceSeconds ?? 300;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) return err('timestamp_out_of_tolerance');
  const expected = Buffer.from(computeWebhookSignature(secret, timestamp, body), 'hex');
  // Every candidate is compared (no early exit), each in constant time.
  let matched = false;
  for (const candidate of signatures) {
    if (timingSafeEqual(expected, Buffer.from(candidate, 'hex'))) matched = true;
  }
  return matched ? ok({ timestamp }) : err('signature_mismatch');
}
