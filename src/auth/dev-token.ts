import { SignJWT } from 'jose';

import type { Role } from '../domain/roles.js';

export interface DevTokenRequest {
  secret: string;
  role: Role;
  tenantId: string | undefined;
  subject: string;
  /** Lifetime in seconds. */
  ttlSeconds: number;
  issuer?: string | undefined;
  audience?: string | undefined;
}

/** An HS256 token for development and trials; the CLI refuses to mint one in production. */
export async function mintDevToken(request: DevTokenRequest): Promise<string> {
  let jwt = new SignJWT({
    roles: [request.role],
    ...(request.tenantId !== undefined ? { tenantId: request.tenantId } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + request.ttlSeconds);
  if (request.issuer !== undefined) jwt = jwt.setIssuer(request.issuer);
  if (request.audience !== undefined) jwt = jwt.setAudience(request.audience);
  return jwt.sign(new TextEncoder().encode(request.secret));
}
