import type { ProviderService } from '../../../services/provider-service.js';
import { errorResponses } from '../../contracts/errors.js';
import { ProviderListSchema, TenantParamsSchema } from '../../contracts/providers.js';
import type { ApiInstance } from '../../types.js';
import { toProviderResponse } from '../providers/provider-response.js';

/** GET /api/v1/tenants/:tenantId/providers */
export function tenantProviderRoutes(app: ApiInstance, providers: ProviderService): void {
  app.get(
    '/tenants/:tenantId/providers',
    {
      schema: {
        tags: ['providers'],
        summary: "A tenant's providers",
        security: [{ bearerAuth: [] }],
        params: TenantParamsSchema,
        response: { 200: ProviderListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ({
      providers: (await providers.list({ principal: request.principal }, request.params.tenantId)).map(
        toProviderResponse,
      ),
    }),
  );
}
