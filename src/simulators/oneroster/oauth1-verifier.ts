import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * The simulator's side of OAuth 1.0a (RFC 5849 section 3.2): it checks a request the way a
 * OneRoster server does. Deliberately written apart from the connector's signer (it shares no
 * code with src/connectors/http/oauth1.ts): parsing the raw query, encoding and sorting are done
 * again here, byte by byte, so a mistake in the signer cannot be mirrored by the verifier and pass.
 */

export type VerifyFailure =
  | 'missing_credentials'
  | 'unknown_consumer'
  | 'unsupported_signature_method'
  | 'stale_timestamp'
  | 'reused_nonce'
  | 'bad_signature';

export type VerifyResult =
  { ok: true; consumerKey: string } | { ok: false; failure: VerifyFailure; message: string };

export interface OAuth1VerifierOptions {
  /** consumer key -> consumer secret */
  consumers: ReadonlyMap<string, string>;
  /** Accepted `oauth_signature_method` values (ClassLink: HMAC-SHA256 only). */
  signatureMethods: readonly string[];
  /** How far a timestamp may be from the server's clock; MS's demo allows 45 min, 5 min is common. */
  maxSkewSeconds?: number;
  now?: () => number;
}

export interface IncomingSignedRequest {
  method: string;
  /** `http` or `https`, as the server sees itself. */
  scheme: string;
  /** The Host header. */
  host: string;
  /** The request target as received: path and raw query. */
  target: string;
  authorization: string | undefined;
}

const HASHES: Record<string, string> = { 'HMAC-SHA1': 'sha1', 'HMAC-SHA256': 'sha256' };

export function createOAuth1Verifier(options: OAuth1VerifierOptions) {
  const maxSkew = options.maxSkewSeconds ?? 300;
  const now = options.now ?? Date.now;
  /** consumer + nonce + timestamp -> when it may be forgotten (once its timestamp is stale anyway). */
  const seen = new Map<string, number>();

  const fail = (failure: VerifyFailure, message: string): VerifyResult => ({ ok: false, failure, message });

  function verify(request: IncomingSignedRequest): VerifyResult {
    const header = parseAuthorization(request.authorization);
    if (header === null) return fail('missing_credentials', 'Authorization: OAuth ... header is missing');
    const key = header.get('oauth_consumer_key');
    const signature = header.get('oauth_signature');
    const method = header.get('oauth_signature_method');
    const timestamp = header.get('oauth_timestamp');
    const nonce = header.get('oauth_nonce');
    if (
      key === undefined ||
      signature === undefined ||
      method === undefined ||
      timestamp === undefined ||
      nonce === undefined
    ) {
      return fail('missing_credentials', 'the OAuth header lacks a required oauth_ parameter');
    }
    const secret = options.consumers.get(key);
    if (secret === undefined) return fail('unknown_consumer', 'unknown oauth_consumer_key');
    const hash = HASHES[method];
    if (hash === undefined || !options.signatureMethods.includes(method)) {
      return fail('unsupported_signature_method', `signature method ${method} is not accepted here`);
    }
    const nowSeconds = Math.floor(now() / 1000);
    if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > maxSkew) {
      return fail('stale_timestamp', 'oauth_timestamp is outside the accepted window');
    }

    const questionMark = request.target.indexOf('?');
    const path = questionMark === -1 ? request.target : request.target.slice(0, questionMark);
    const rawQuery = questionMark === -1 ? '' : request.target.slice(questionMark + 1);
    const params: [string, string][] = [...parseRawQuery(rawQuery)];
    for (const [name, value] of header) {
      if (name !== 'oauth_signature' && name !== 'realm') params.push([name, value]);
    }
    const normalized = params
      .map(([n, v]) => [rfc3986(n), rfc3986(v)] as [string, string])
      .sort(
        (a, b) =>
          Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])) ||
          Buffer.compare(Buffer.from(a[1]), Buffer.from(b[1])),
      )
      .map(([n, v]) => `${n}=${v}`)
      .join('&');
    const base = `${request.method.toUpperCase()}&${rfc3986(baseUri(request.scheme, request.host, path))}&${rfc3986(normalized)}`;
    const expected = createHmac(hash, `${rfc3986(secret)}&`)
      .update(base, 'utf8')
      .digest();
    const given = Buffer.from(signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return fail('bad_signature', 'oauth_signature does not match the request');
    }
    // Only a correctly signed request spends its nonce: a forger cannot burn someone else's.
    const nonceKey = `${key}\u0000${timestamp}\u0000${nonce}`;
    for (const [k, expiry] of seen) if (expiry < nowSeconds) seen.delete(k);
    if (seen.has(nonceKey)) return fail('reused_nonce', 'this oauth_nonce was already used');
    seen.set(nonceKey, Number(timestamp) + maxSkew);
    return { ok: true, consumerKey: key };
  }

  return { verify };
}

/** `OAuth k="v", k2="v2"` into decoded pairs; null when not an OAuth header. */
function parseAuthorization(value: string | undefined): Map<string, string> | null {
  if (value === undefined || !/^OAuth\s/i.test(value)) return null;
  const pairs = new Map<string, string>();
  for (const match of value.slice(6).matchAll(/([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"/g)) {
    pairs.set(decodePercent(match[1]!), decodePercent(match[2]!));
  }
  return pairs;
}

/** The raw query as form-urlencoded pairs: split at `&`, then at the first `=`, `+` is a space. */
function parseRawQuery(raw: string): [string, string][] {
  if (raw === '') return [];
  return raw
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq === -1 ? part : part.slice(0, eq);
      const value = eq === -1 ? '' : part.slice(eq + 1);
      return [decodePercent(name.replaceAll('+', ' ')), decodePercent(value.replaceAll('+', ' '))];
    });
}

function decodePercent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** RFC 3986 section 2.1 over UTF-8 bytes; only ALPHA / DIGIT / - . _ ~ stay as they are. */
function rfc3986(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const unreserved =
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x2d ||
      byte === 0x2e ||
      byte === 0x5f ||
      byte === 0x7e;
    out += unreserved ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function baseUri(scheme: string, host: string, path: string): string {
  const s = scheme.toLowerCase();
  let h = host.toLowerCase();
  if ((s === 'http' && h.endsWith(':80')) || (s === 'https' && h.endsWith(':443'))) {
    h = h.slice(0, h.lastIndexOf(':'));
  }
  return `${s}://${h}${path}`;
}
