import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { TokenFailure, TokenVerifier } from '../../auth/token-verifier.js';
import type { Principal } from '../../domain/roles.js';
import type { Result } from '../../lib/result.js';
import { HttpError } from './error-handler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every /api/v1 route. */
    principal: Principal;
  }
}

/** What the Authorization header says, verified once per request (the rate limit reads it first). */
const verified = new WeakMap<FastifyRequest, Promise<Result<Principal, TokenFailure>> | undefined>();

/** The request's bearer token, verified; undefined when it sent none. */
export function verifiedBearer(
  request: FastifyRequest,
  verify: TokenVerifier,
): Promise<Result<Principal, TokenFailure>> | undefined {
  if (verified.has(request)) return verified.get(request);
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  const result = match?.[1] === undefined ? undefined : verify(match[1]);
  verified.set(request, result);
  return result;
}

/**
 * Bearer authentication for the routes registered in `app`: no or bad token is 401, a token
 * without a sis-sync role (or a district admin without a tenant) is 403.
 */
export function requireBearer(app: FastifyInstance, verify: TokenVerifier): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const pending = verifiedBearer(request, verify);
    if (pending === undefined) {
      throw new HttpError(401, 'unauthorized', 'send a bearer token: Authorization: Bearer <token>');
    }
    const result = await pending;
    if (!result.ok) throw new HttpError(401, result.error.code, result.error.message);
    const principal = result.value;
    if (principal.roles.length === 0) {
      throw new HttpError(
        403,
        'forbidden',
        'the token carries no sis-sync role (DISTRICT_ADMIN or PLATFORM_ADMIN)',
      );
    }
    if (!principal.roles.includes('PLATFORM_ADMIN') && principal.tenantId === undefined) {
      throw new HttpError(403, 'forbidden', 'a DISTRICT_ADMIN token must carry a tenantId claim');
    }
    request.principal = principal;
  });
}
