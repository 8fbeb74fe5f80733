import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

import { ErrorEnvelopeSchema } from '../contracts/errors.js';

/** The OpenAPI document, generated from the route schemas, at /openapi.json; a docs page at /docs. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  app.addSchema(ErrorEnvelopeSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'sis-sync API',
        version,
        description:
          'Roster sync from Clever, ClassLink and OneRoster into PostgreSQL. ' +
          'Every /api/v1 route takes `Authorization: Bearer <JWT>` (but POST /api/v1/dev/token, which exists only on ' +
          'development servers and answers only their own machine); errors share one envelope with a stable `code`.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      tags: [
        { name: 'providers', description: 'SIS connections of a tenant' },
        { name: 'sync', description: 'Runs: start, watch, review, cancel' },
        { name: 'roster', description: "A tenant's synced roster, and the feed of its changes" },
        {
          name: 'webhooks',
          description: "Signed notices of runs to a tenant's endpoints; test and delivery log",
        },
        { name: 'session', description: 'Who the token speaks for; development sign-in' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
