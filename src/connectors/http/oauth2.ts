import type { Logger } from '../../lib/logger.js';
import { ConnectorError } from '../connector.js';
import type { AuthStrategy } from './auth.js';
import { noAuth } from './auth.js';
import { createHttpClient, type HttpClientDeps, type HttpSettings } from './http-client.js';

/*
 * OAuth 2.0 client credentials (RFC 6749 section 4.4), as OneRoster 1.2 and many 1.1 servers
 * use. The token is fetched on first use, kept until shortly before `expires_in` runs out, and
 * fetched again when a provider refuses it (401) before then: servers revoke tokens early.
 */

export interface OAuth2Credentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** `basic`: HTTP Basic of the form-encoded id and secret (RFC 6749 2.3.1). `body`: form fields. */
  clientAuth: 'basic' | 'body';
}

export interface OAuth2Dependencies extends HttpClientDeps {
  logger: Logger;
  settings?: Partial<HttpSettings>;
}

/** Refresh this long before expiry (or a tenth of a short lifetime), so no request carries a dying token. */
const EXPIRY_MARGIN_MS = 60_000;

/** RFC 6749 appendix B: the form encoding, with a space as `+`. */
const formEncode = (value: string) => new URLSearchParams([['v', value]]).toString().slice(2);

export function oauth2ClientCredentials(
  credentials: OAuth2Credentials,
  deps: OAuth2Dependencies,
): AuthStrategy {
  const now = deps.now ?? Date.now;
  // The token endpoint gets the same timeouts and retries as the API, without API auth.
  const http = createHttpClient(
    {
      provider: 'OAuth 2 token endpoint',
      auth: noAuth,
      ...(deps.settings === undefined ? {} : { settings: deps.settings }),
      describeFailure: (_status, body) => {
        const detail = tokenErrorOf(body);
        return detail === undefined ? undefined : { detail };
      },
    },
    deps,
  );
  let cached: { token: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;

  const fetchToken = async (signal: AbortSignal): Promise<string> => {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.scope !== undefined) form.set('scope', credentials.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (credentials.clientAuth === 'basic') {
      const pair = `${formEncode(credentials.clientId)}:${formEncode(credentials.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', credentials.clientId);
      form.set('client_secret', credentials.clientSecret);
    }
    let response;
    try {
      response = await http.requestJson({
        method: 'POST',
        url: new URL(credentials.tokenUrl),
        headers,
        body: form.toString(),
        signal,
      });
    } catch (error) {
      // A token endpoint refusing the client (400 invalid_client, 401) is a credential problem.
      if (
        error instanceof ConnectorError &&
        (error.code === 'invalid_payload' || error.code === 'not_found')
      ) {
        throw new ConnectorError('auth_failed', error.message);
      }
      throw error;
    }
    const body = response.body as {
      access_token?: unknown;
      expires_in?: unknown;
      token_type?: unknown;
    } | null;
    const token = body?.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new ConnectorError('auth_failed', 'OAuth 2 token endpoint: the response carries no access_token');
    }
    const lifetimeMs =
      typeof body?.expires_in === 'number' || typeof body?.expires_in === 'string'
        ? Number(body.expires_in) * 1000
        : Number.NaN;
    const expiresAt = Number.isFinite(lifetimeMs)
      ? now() + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10)
      : Number.POSITIVE_INFINITY;
    cached = { token, expiresAt };
    deps.logger.debug(
      { expiresInSeconds: Number.isFinite(lifetimeMs) ? lifetimeMs / 1000 : null },
      'obtained an OAuth 2 access token',
    );
    return token;
  };

  /** One token request at a time, however many requests want one. */
  const token = (signal: AbortSignal): Promise<string> => {
    if (cached !== null && now() < cached.expiresAt) return Promise.resolve(cached.token);
    pending ??= fetchToken(signal).finally(() => {
      pending = null;
    });
    return pending;
  };

  return {
    kind: 'OAuth 2 client credentials',
    async authorize({ signal }) {
      return { authorization: `Bearer ${await token(signal)}` };
    },
    async refresh(signal) {
      cached = null;
      await token(signal);
    },
  };
}

/** `error` and `error_description` of an RFC 6749 error response; nothing else of the body. */
function tokenErrorOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    const code = typeof parsed.error === 'string' ? parsed.error : undefined;
    if (code === undefined) return undefined;
    const description =
      typeof parsed.error_description === 'string' ? ` (${parsed.error_description.slice(0, 200)})` : '';
    return `${code}${description}`;
  } catch {
    return undefined;
  }
}
