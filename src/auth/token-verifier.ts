import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';

import { ROLES, type Principal, type Role } from '../domain/roles.js';
import { err, ok, type Result } from '../lib/result.js';

export interface TokenSettings {
  /** HS256 shared secret. */
  secret: string | undefined;
  /** JWKS of an identity provider, for asymmetric tokens (RS256, ES256, ...). */
  jwksUrl: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
}

export type TokenFailure = { code: 'token_expired' | 'invalid_token'; message: string };

export type TokenVerifier = (token: string) => Promise<Result<Principal, TokenFailure>>;

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

/**
 * Longer tokens are refused before they are parsed. Identity providers' tokens with a few dozen
 * claims stay under 2 KB; 8 KB leaves room for large group lists and still keeps a hostile
 * header from costing a decode and a signature check.
 */
export const MAX_TOKEN_LENGTH = 8192;

/** Seconds of clock skew allowed on `exp`, `nbf` and `iat`: a little, for an identity provider's clock. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Bearer tokens carry `sub`, `exp`, `roles` (DISTRICT_ADMIN and/or PLATFORM_ADMIN) and, for a
 * district admin, `tenantId`. HS256 tokens are checked with the shared secret only, others against
 * the JWKS only: a JWKS key is never an HMAC secret (algorithm confusion), and `alg: none` and
 * algorithms that are not configured are refused. A token without `exp` never stops working,
 * so it is refused too.
 */
export function createTokenVerifier(settings: TokenSettings): TokenVerifier {
  const secret = settings.secret === undefined ? undefined : new TextEncoder().encode(settings.secret);
  const jwks = settings.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(settings.jwksUrl));
  const common: JWTVerifyOptions = {
    ...(settings.issuer !== undefined ? { issuer: settings.issuer } : {}),
    ...(settings.audience !== undefined ? { audience: settings.audience } : {}),
    requiredClaims: ['sub', 'exp'],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };

  return async (token) => {
    if (token.length > MAX_TOKEN_LENGTH) {
      return err({
        code: 'invalid_token',
        message: `the bearer token is longer than ${MAX_TOKEN_LENGTH} characters`,
      });
    }
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      return err({ code: 'invalid_token', message: 'the bearer token is not a JWT' });
    }
    try {
      let payload: JWTPayload;
      if (alg === 'HS256' && secret !== undefined) {
        ({ payload } = await jwtVerify(token, secret, { ...common, algorithms: ['HS256'] }));
      } else if (alg !== undefined && ASYMMETRIC.includes(alg) && jwks !== undefined) {
        ({ payload } = await jwtVerify(token, jwks, { ...common, algorithms: ASYMMETRIC }));
      } else {
        return err({
          code: 'invalid_token',
          message: `tokens signed with ${alg ?? 'no algorithm'} are not accepted`,
        });
      }
      return principalFrom(payload);
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        return err({ code: 'token_expired', message: 'the bearer token has expired' });
      }
      if (
        error instanceof joseErrors.JWTClaimValidationFailed &&
        error.claim === 'exp' &&
        error.reason === 'missing'
      ) {
        return err({ code: 'invalid_token', message: 'the bearer token has no expiry ("exp" claim)' });
      }
      if (
        error instanceof joseErrors.JWTClaimValidationFailed &&
        error.claim === 'nbf' &&
        error.reason === 'check_failed'
      ) {
        return err({ code: 'invalid_token', message: 'the bearer token is not valid yet ("nbf" claim)' });
      }
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        return err({
          code: 'invalid_token',
          message: `the bearer token's "${error.claim}" claim is not accepted`,
        });
      }
      return err({ code: 'invalid_token', message: 'the bearer token is not valid' });
    }
  };
}

function principalFrom(payload: JWTPayload): Result<Principal, TokenFailure> {
  const rawRoles = payload.roles ?? [];
  const listed = typeof rawRoles === 'string' ? [rawRoles] : rawRoles;
  // A claim of the wrong shape is a malformed token (401), not a token without a role (403).
  if (!Array.isArray(listed) || !listed.every((r) => typeof r === 'string')) {
    return err({ code: 'invalid_token', message: 'the roles claim must be a string or a list of strings' });
  }
  const roles = listed.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
  const tenantId = payload.tenantId;
  if (tenantId !== undefined && typeof tenantId !== 'string') {
    return err({ code: 'invalid_token', message: 'the tenantId claim must be a string' });
  }
  return ok({ subject: payload.sub ?? 'unknown', roles, tenantId });
}
