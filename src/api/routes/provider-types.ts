import { secretPaths } from '../../connectors/config-secrets.js';
import { PROVIDER_REGISTRY } from '../../connectors/registry.js';
import { PROVIDER_TYPES } from '../../domain/provider-type.js';
import { errorResponses } from '../contracts/errors.js';
import { ProviderTypeListSchema, type ProviderTypeInfo } from '../contracts/providers.js';
import type { ApiInstance } from '../types.js';

/** GET /api/v1/provider-types: each type's config schema, for forms and inline validation. */
export function providerTypeRoutes(app: ApiInstance): void {
  const providerTypes: ProviderTypeInfo[] = PROVIDER_TYPES.map((type) => {
    const definition = PROVIDER_REGISTRY[type];
    return {
      type,
      displayName: definition.displayName,
      description: definition.description,
      configSchema: definition.configSchema as Record<string, unknown>,
      secretFields: secretPaths(definition.configSchema).map((p) => p.join('.')),
    };
  });
  app.get(
    '/provider-types',
    {
      schema: {
        tags: ['providers'],
        summary: 'Provider types and their config schemas',
        security: [{ bearerAuth: [] }],
        response: { 200: ProviderTypeListSchema, ...errorResponses(401, 403) },
      },
    },
    () => ({ providerTypes }),
  );
}
