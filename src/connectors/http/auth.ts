/**
 * How a request proves who sends it. The HTTP client asks the strategy for headers on every
 * attempt (an OAuth 1.0a signature covers one URL, timestamp and nonce, so a retry is signed
 * afresh), and calls `refresh` once when the provider answers 401, before one more try.
 */
export interface AuthStrategy {
  /** A name for logs and messages ("OAuth 1.0a HMAC-SHA256"); never a credential. */
  readonly kind: string;
  /** Headers that authorize this request. */
  authorize(request: AuthRequest): Promise<Record<string, string>>;
  /** Forget cached credentials and obtain new ones; absent when nothing can be refreshed. */
  refresh?(signal: AbortSignal): Promise<void>;
}

export interface AuthRequest {
  method: string;
  url: URL;
  signal: AbortSignal;
}

/** No credentials: token endpoints (they authenticate in the body or with Basic) and simulators. */
export const noAuth: AuthStrategy = {
  kind: 'none',
  authorize: () => Promise.resolve({}),
};

/**
 * A fixed bearer token (the ClassLink proxy's developer-console token, a Clever district token).
 * Nothing to refresh: a 401 means the token was revoked, which only an admin can fix.
 */
export function bearerAuth(token: string): AuthStrategy {
  return {
    kind: 'bearer token',
    authorize: () => Promise.resolve({ authorization: `Bearer ${token}` }),
  };
}
