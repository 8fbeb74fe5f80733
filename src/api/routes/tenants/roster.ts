import { ENTITY_TYPES, type EntityType } from '../../../domain/entity.js';
import type { RosterService } from '../../../services/roster-service.js';
import { errorResponses } from '../../contracts/errors.js';
import { TenantParamsSchema } from '../../contracts/providers.js';
import {
  EnrollmentPeriodListSchema,
  ROSTER_LIST_QUERIES,
  ROSTER_SCHEMAS,
  RosterParamsSchema,
  rosterListSchema,
  type RosterListQueries,
} from '../../contracts/roster.js';
import type { ApiInstance } from '../../types.js';
import { toRosterObject } from './roster-response.js';

const security = [{ bearerAuth: [] }];

const FILTERS: Record<EntityType, string> = {
  schools: 'parentId',
  terms: 'parentId',
  courses: 'schoolId',
  classes: 'schoolId, courseId, termId',
  users: 'schoolId, classId (active enrollments), role, email',
  enrollments: 'schoolId, classId, userId, role, activeOn',
};

/** Every field any list query may hold; each entity's schema admits only its own. */
type AnyListQuery = Partial<RosterListQueries['users'] & RosterListQueries['enrollments']> &
  Partial<RosterListQueries['classes'] & RosterListQueries['schools']>;

function filterOf(query: AnyListQuery) {
  const { limit: _limit, cursor: _cursor, updatedSince, ...filter } = query;
  return { ...filter, ...(updatedSince === undefined ? {} : { updatedSince: new Date(updatedSince) }) };
}

/** GET /api/v1/tenants/:tenantId/<entity> and /<entity>/:id for each roster entity, and enrollments/:id/periods. */
export function rosterRoutes(app: ApiInstance, roster: RosterService): void {
  for (const entity of ENTITY_TYPES) entityRoutes(app, roster, entity);
  app.get(
    '/tenants/:tenantId/enrollments/:id/periods',
    {
      schema: {
        tags: ['roster'],
        summary: 'The periods in which an enrollment was active',
        description:
          'A period opens when a sync creates or reactivates the enrollment and closes when one deactivates it; ' +
          'an enrollment moved to another class or user is closed, and a new enrollment opens (decision 0009).',
        security,
        params: RosterParamsSchema,
        response: { 200: EnrollmentPeriodListSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const periods = await roster.enrollmentPeriods(
        { principal: request.principal },
        request.params.tenantId,
        request.params.id,
      );
      return {
        periods: periods.map((p) => ({
          id: p.id,
          beginDate: p.beginDate,
          endDate: p.endDate,
          openedAt: p.openedAt.toISOString(),
          closedAt: p.closedAt?.toISOString() ?? null,
          openedByRunId: p.openedByRunId,
          closedByRunId: p.closedByRunId,
        })),
      };
    },
  );
}

function entityRoutes(app: ApiInstance, roster: RosterService, entity: EntityType): void {
  const item = ROSTER_SCHEMAS[entity];
  app.get(
    `/tenants/:tenantId/${entity}`,
    {
      schema: {
        tags: ['roster'],
        summary: `A tenant's ${entity}, paged`,
        description:
          `In id order, ${'`limit`'} at a time: pass each page's nextCursor as ${'`cursor`'} for the next, with the ` +
          'same filters, until it is null. Filters (all given must hold): active, updatedSince, externalId ' +
          `(+ providerId), ${FILTERS[entity]}. Each record lists the provider records behind it (links).`,
        security,
        params: TenantParamsSchema,
        querystring: ROSTER_LIST_QUERIES[entity],
        response: { 200: rosterListSchema(item), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const query = request.query as AnyListQuery;
      const page = await roster.list({ principal: request.principal }, request.params.tenantId, entity, {
        // The query schema admitted only this entity's filters.
        filter: filterOf(query),
        limit: query.limit ?? 100,
        cursor: query.cursor,
      });
      return { data: page.records.map(toRosterObject), nextCursor: page.nextCursor };
    },
  );

  app.get(
    `/tenants/:tenantId/${entity}/:id`,
    {
      schema: {
        tags: ['roster'],
        summary: `One of a tenant's ${entity}, with its links`,
        security,
        params: RosterParamsSchema,
        response: { 200: item, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      toRosterObject(
        await roster.get(
          { principal: request.principal },
          request.params.tenantId,
          entity,
          request.params.id,
        ),
      ),
  );
}
