import { ENTITY_TYPES, type EntityType } from '../../../domain/entity.js';
import type { RosterService } from '../../../services/roster-service.js';
import { errorResponses } from '../../contracts/errors.js';
import { TenantParamsSchema } from '../../contracts/providers.js';
import { ChangePageSchema, ChangesQuerySchema } from '../../contracts/roster.js';
import type { ApiInstance } from '../../types.js';
import { toChangePage } from './roster-response.js';

/** The entities of a comma list the query schema already checked, each once. */
function entitiesOf(list: string | undefined): EntityType[] | undefined {
  if (list === undefined) return undefined;
  const named = new Set(list.split(','));
  return ENTITY_TYPES.filter((entity) => named.has(entity));
}

/** GET /api/v1/tenants/:tenantId/changes */
export function changeFeedRoutes(app: ApiInstance, roster: RosterService): void {
  app.get(
    '/tenants/:tenantId/changes',
    {
      schema: {
        tags: ['roster'],
        summary: 'The change feed: every change a run applied to the roster, in order',
        description:
          'Events in the order their runs committed them: created, updated, deactivated, reactivated, with the ' +
          'fields an update changed and the run that applied it. Each carries `record`, the CURRENT state of the ' +
          'record (not its state at the event), exactly as GET <entity>/:id gives it, so a reader that applies ' +
          'the events in order, upserting each record by entity and id, ends with a copy equal to the roster. ' +
          'Store nextCursor and poll with after=<it>; hasMore says whether to ask again at once.',
        security: [{ bearerAuth: [] }],
        params: TenantParamsSchema,
        querystring: ChangesQuerySchema,
        response: { 200: ChangePageSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) =>
      toChangePage(
        await roster.changes({ principal: request.principal }, request.params.tenantId, {
          after: request.query.after,
          limit: request.query.limit ?? 100,
          entities: entitiesOf(request.query.entity),
        }),
      ),
  );
}
