import { errorResponses } from '../contracts/errors.js';
import { MeSchema } from '../contracts/session.js';
import type { ApiInstance } from '../types.js';

/** GET /api/v1/me: who the bearer token speaks for, so a UI can show it and pick its tenant. */
export function meRoutes(app: ApiInstance): void {
  app.get(
    '/me',
    {
      schema: {
        tags: ['session'],
        summary: 'Who the bearer token speaks for',
        security: [{ bearerAuth: [] }],
        response: { 200: MeSchema, ...errorResponses(401, 403) },
      },
    },
    (request) => ({
      subject: request.principal.subject,
      roles: request.principal.roles,
      tenantId: request.principal.tenantId ?? null,
    }),
  );
}
