import { createHmac, randomBytes } from 'node:crypto';

import type { AuthStrategy } from './auth.js';

/*
 * OAuth 1.0a two-legged signing (RFC 5849), as OneRoster 1.1 and ClassLink's Roster Servers
 * require. Written here rather than taken from npm because the popular signer builds the base
 * string from a query it splits naively and so mis-signs values holding `+` or `=`, which
 * OneRoster filters (`filter=status='active'`) are full of.
 */

export type OAuth1SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256';

const HASH_OF: Record<OAuth1SignatureMethod, 'sha1' | 'sha256'> = {
  'HMAC-SHA1': 'sha1',
  'HMAC-SHA256': 'sha256',
};

/**
 * RFC 3986 percent-encoding as RFC 5849 section 3.6 demands: everything but the unreserved
 * `A-Z a-z 0-9 - . _ ~` is encoded from its UTF-8 bytes, hex in upper case. `encodeURIComponent`
 * leaves `! * ' ( )` alone, so those are encoded on top (`'` matters: filters quote values).
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The parameters of a request's query (RFC 5849 section 3.4.1.3.1): decoded as
 * `application/x-www-form-urlencoded`, so `+` is a space and `%2B` a plus; split at the first
 * `=` only; repeated names all kept.
 */
export function queryParameters(url: URL): [string, string][] {
  return [...new URLSearchParams(url.search)];
}

/** RFC 5849 section 3.4.1.2: scheme and host in lower case, the port only when not the default. */
export function baseStringUri(url: URL): string {
  const scheme = url.protocol.slice(0, -1).toLowerCase();
  const defaultPort = (scheme === 'http' && url.port === '80') || (scheme === 'https' && url.port === '443');
  const port = url.port === '' || defaultPort ? '' : `:${url.port}`;
  return `${scheme}://${url.hostname.toLowerCase()}${port}${url.pathname}`;
}

/**
 * RFC 5849 section 3.4.1: `METHOD&enc(base URI)&enc(normalized parameters)`, where the
 * parameters are every query parameter, every form-body parameter given in `extra`, and the
 * `oauth_*` protocol parameters (without `oauth_signature` and `realm`), each name and value
 * percent-encoded, sorted by name then value, joined as `name=value` with `&`.
 */
export function signatureBaseString(method: string, url: URL, extra: readonly [string, string][]): string {
  const pairs = [...queryParameters(url), ...extra]
    .filter(([name]) => name !== 'oauth_signature' && name !== 'realm')
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const normalized = pairs.map(([name, value]) => `${name}=${value}`).join('&');
  return [method.toUpperCase(), percentEncode(baseStringUri(url)), percentEncode(normalized)].join('&');
}

export interface OAuth1Credentials {
  consumerKey: string;
  consumerSecret: string;
  signatureMethod: OAuth1SignatureMethod;
  /** Two-legged OAuth has no token; kept for completeness and the RFC example. */
  token?: { key: string; secret: string };
  /** Send `oauth_version="1.0"` (optional in RFC 5849; ClassLink's own libraries omit it). */
  includeVersion?: boolean;
}

export interface OAuth1Dependencies {
  /** Milliseconds since the epoch; tests fix it. */
  now?: () => number;
  nonce?: () => string;
}

/** The `oauth_*` parameters and the signature for one request. */
export function signRequest(
  method: string,
  url: URL,
  credentials: OAuth1Credentials,
  timestamp: number,
  nonce: string,
  formParameters: readonly [string, string][] = [],
): { parameters: [string, string][]; signature: string } {
  const parameters: [string, string][] = [
    ['oauth_consumer_key', credentials.consumerKey],
    ['oauth_nonce', nonce],
    ['oauth_signature_method', credentials.signatureMethod],
    ['oauth_timestamp', String(timestamp)],
  ];
  if (credentials.token !== undefined) parameters.push(['oauth_token', credentials.token.key]);
  if (credentials.includeVersion === true) parameters.push(['oauth_version', '1.0']);
  const base = signatureBaseString(method, url, [...parameters, ...formParameters]);
  const key = `${percentEncode(credentials.consumerSecret)}&${percentEncode(credentials.token?.secret ?? '')}`;
  const signature = createHmac(HASH_OF[credentials.signatureMethod], key).update(base).digest('base64');
  return { parameters, signature };
}

/** The `Authorization: OAuth ...` header value (RFC 5849 section 3.5.1). */
export function authorizationHeader(parameters: readonly [string, string][], signature: string): string {
  const all: [string, string][] = [...parameters, ['oauth_signature', signature]];
  return `OAuth ${all.map(([name, value]) => `${percentEncode(name)}="${percentEncode(value)}"`).join(', ')}`;
}

/** Signs every request with a fresh timestamp and nonce. OAuth 1.0a has nothing to refresh. */
export function oauth1Auth(credentials: OAuth1Credentials, deps: OAuth1Dependencies = {}): AuthStrategy {
  const now = deps.now ?? Date.now;
  const nonce = deps.nonce ?? (() => randomBytes(16).toString('hex'));
  return {
    kind: `OAuth 1.0a ${credentials.signatureMethod}`,
    authorize({ method, url }) {
      const signed = signRequest(method, url, credentials, Math.floor(now() / 1000), nonce());
      return Promise.resolve({ authorization: authorizationHeader(signed.parameters, signed.signature) });
    },
  };
}
