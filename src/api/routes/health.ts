import Type from 'typebox';

import { errorResponses } from '../contracts/errors.js';
import { sendError } from '../plugins/error-handler.js';
import type { ApiInstance } from '../types.js';

export interface Readiness {
  /** Resolves when the service can take work (database reachable and migrated); rejects with why not. */
  check(): Promise<void>;
}

/** How long /readyz waits for the database: a host that drops packets must not hang the probe. */
const READINESS_TIMEOUT_MS = 5000;

/** /healthz: the process answers. /readyz: and its database does, in time. */
export function healthRoutes(
  app: ApiInstance,
  readiness: Readiness,
  options: { timeoutMs?: number } = {},
): void {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers',
        response: { 200: Type.Object({ status: Type.Literal('ready') }), ...errorResponses(503) },
      },
    },
    async (request, reply) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          readiness.check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`the database did not answer within ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
        return { status: 'ready' as const };
      } catch (error) {
        request.log.warn({ err: error }, 'not ready');
        return sendError(reply, 503, 'not_ready', `not ready: ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    },
  );
}
