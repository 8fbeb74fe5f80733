import { createHash, timingSafeEqual } from 'node:crypto';

import Type from 'typebox';

import { errorResponses } from '../contracts/errors.js';
import { HttpError } from '../plugins/error-handler.js';
import type { ApiInstance } from '../types.js';

/** What GET /metrics sends (src/metrics builds it). */
export interface MetricsSource {
  scrape(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsSettings {
  source: MetricsSource;
  /** METRICS_TOKEN: when set, the scrape must send `Authorization: Bearer <token>`; unset, /metrics is open. */
  token: string | undefined;
}

/**
 * GET /metrics, Prometheus text format. Outside /api/v1 beside /healthz and /readyz: Prometheus
 * holds a static token, not a user's JWT. Without METRICS_TOKEN it is open, and the operator
 * keeps it off the public network (docs/operations.md); it shows no tenant, provider or person.
 */
export function metricsRoute(app: ApiInstance, settings: MetricsSettings): void {
  // Digests of equal length, so the comparison takes the same time whatever was sent.
  const expected = settings.token === undefined ? undefined : digest(settings.token);
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics',
        description:
          'Runs, durations, records applied, queue depth, outbound provider requests and process figures, ' +
          'in the Prometheus text format. Needs `Authorization: Bearer <METRICS_TOKEN>` when that is set.',
        response: {
          200: Type.String({ description: 'text/plain; version=0.0.4' }),
          ...errorResponses(401),
        },
      },
    },
    async (request, reply) => {
      if (expected !== undefined) {
        const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
        if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
          throw new HttpError(
            401,
            'unauthorized',
            'send the metrics token: Authorization: Bearer <METRICS_TOKEN>',
          );
        }
      }
      const { contentType, body } = await settings.source.scrape();
      return reply.type(contentType).send(body);
    },
  );
}

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();
