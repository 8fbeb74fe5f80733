import { isIP } from 'node:net';

import type { FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';

import { mintDevToken } from '../../auth/dev-token.js';
import type { Config } from '../../config/config.js';
import { ValidationError } from '../../domain/errors.js';
import { errorResponses } from '../contracts/errors.js';
import { DevTokenBodySchema, DevTokenSchema, SignInOptionsSchema } from '../contracts/session.js';
import { sendError } from '../plugins/error-handler.js';
import type { ApiInstance } from '../types.js';

/** What the server signs its own HS256 tokens with. */
export interface DevTokenSettings {
  secret: string;
  issuer: string | undefined;
  audience: string | undefined;
}

const TTL_SECONDS = 8 * 3600;
const DEFAULT_SUBJECT = 'dev-admin';

/**
 * Development tokens come from the server only outside production, and only when the server
 * checks HS256 tokens against its own secret: with a JWKS, tokens belong to the identity provider.
 * `config` must already hold its keys (config/dev-secrets).
 */
export function devTokenSettings(config: Config): DevTokenSettings | undefined {
  if (config.nodeEnv === 'production') return undefined;
  if (config.jwt.secret === undefined || config.jwt.jwksUrl !== undefined) return undefined;
  return { secret: config.jwt.secret, issuer: config.jwt.issuer, audience: config.jwt.audience };
}

/** Headers a reverse proxy adds: a request that came through one is not from this machine's user. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/** From this machine (127.0.0.0/8, ::1, or IPv4-mapped 127.x), and not relayed by a proxy. */
function isLocalRequest(request: FastifyRequest): boolean {
  if (FORWARDING_HEADERS.some((h) => request.headers[h] !== undefined)) return false;
  const address = (request.socket.remoteAddress ?? '').toLowerCase();
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/**
 * POST /api/v1/dev/token: a bearer token for a trial's sign-in page, without a command line.
 * Registered only when `devTokenSettings` allows it; asked from anywhere but this machine it
 * answers exactly as a route that does not exist.
 */
export function devTokenRoutes(app: ApiInstance, settings: DevTokenSettings): void {
  app.post(
    '/dev/token',
    {
      schema: {
        tags: ['session'],
        summary: 'Development only: mint an 8-hour bearer token (from this machine, outside production)',
        body: DevTokenBodySchema,
        response: { 200: DevTokenSchema, ...errorResponses(400, 404) },
      },
      // Before the body is read or validated: nothing may tell a remote caller the route exists.
      onRequest: async (request, reply) => {
        if (!isLocalRequest(request)) {
          return sendError(reply, 404, 'not_found', `no route POST ${request.url.split('?')[0] ?? ''}`);
        }
      },
    },
    async (request, reply) => {
      const { role, tenantId, subject } = request.body;
      if (role === 'DISTRICT_ADMIN' && tenantId === undefined) {
        throw new ValidationError([{ path: 'tenantId', message: 'is required for a DISTRICT_ADMIN token' }]);
      }
      const token = await mintDevToken({
        secret: settings.secret,
        role,
        tenantId,
        subject: subject ?? DEFAULT_SUBJECT,
        ttlSeconds: TTL_SECONDS,
        issuer: settings.issuer,
        audience: settings.audience,
      });
      const expiresAt = new Date((decodeJwt(token).exp ?? 0) * 1000).toISOString();
      request.log.info({ role, tenantId: tenantId ?? null }, 'minted a development token');
      return reply.header('cache-control', 'no-store').send({ token, expiresAt });
    },
  );
}

/**
 * GET /api/v1/sign-in-options, no bearer: whether the development token route answers this
 * caller, so that a sign-in page offers it without probing (and never to another machine).
 */
export function signInOptionsRoute(app: ApiInstance, settings: DevTokenSettings | undefined): void {
  app.get(
    '/sign-in-options',
    {
      schema: {
        tags: ['session'],
        summary: 'How to sign in here: whether development tokens are offered to this caller',
        response: { 200: SignInOptionsSchema },
      },
    },
    async (request, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send({ devTokens: settings !== undefined && isLocalRequest(request) }),
  );
}
