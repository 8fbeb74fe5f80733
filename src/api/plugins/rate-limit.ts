import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { TokenVerifier } from '../../auth/token-verifier.js';
import type { ApiInstance } from '../types.js';
import { verifiedBearer } from './auth.js';
import { HttpError } from './error-handler.js';

/** The hook that counts a request against its caller's budget (429 once it is spent). */
export type RateLimitHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const WINDOW_MS = 60_000;

/**
 * The /api/v1 budget: `perMinute` requests per caller per fixed one-minute window, counted in
 * this process (each instance behind a load balancer counts its own). The caller is the subject
 * of a valid bearer token, so that colleagues behind one school NAT keep separate budgets;
 * without one (no token, a bad one, the sign-in routes) it is the client address, so that a
 * stream of forged tokens is limited too. Over budget: 429 `rate_limited` with Retry-After and
 * x-ratelimit-* headers. 0 turns it off (undefined: no hook).
 */
export async function registerApiRateLimit(
  app: ApiInstance,
  settings: { perMinute: number; verify: TokenVerifier },
): Promise<RateLimitHook | undefined> {
  if (settings.perMinute === 0) return undefined;
  await app.register(rateLimit, {
    // Only where app.ts adds the hook (the /api/v1 scopes): health, readiness, metrics, docs and
    // the UI's files are never limited.
    global: false,
    max: settings.perMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: async (request) => {
      // Verified once: the bearer hook that runs next reuses this result.
      const result = await verifiedBearer(request, settings.verify);
      return result?.ok === true ? `sub:${result.value.subject}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => {
      const after = (context as { after?: unknown }).after;
      return new HttpError(
        429,
        'rate_limited',
        `more than ${settings.perMinute} requests a minute from this caller; retry in ${String(after)}`,
      );
    },
  });
  const hook = app.rateLimit();
  return async (request, reply) => {
    await hook.call(app, request, reply);
  };
}
