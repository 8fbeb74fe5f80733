import type { FastifyInstance, FastifyRequest } from 'fastify';

import type { TokenVerifier } from '../../auth/token-verifier.js';
import type { Principal } from '../../domain/roles.js';
import { HttpError } from './error-handler.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every /api/v1 route. */
    principal: Principal;
  }
}

/**
 * Bearer authentication for the routes registered in `app`: no or bad token is 401, a token
 * without a sis-sync role (or a district admin without a tenant) is 403.
 */
export function requireBearer(app: FastifyInstance, verify: TokenVerifier): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) {
      throw new HttpError(401, 'unauthorized', 'send a bearer token: Authorization: Bearer <token>');
    }
    const verified = await verify(match[1]);
    if (!verified.ok) throw new HttpError(401, verified.error.code, verified.error.message);
    const principal = verified.value;
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
