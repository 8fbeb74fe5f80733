import Type from 'typebox';

import type { ProviderService } from '../../../services/provider-service.js';
import { errorResponses } from '../../contracts/errors.js';
import {
  CreateProviderBodySchema,
  ProviderParamsSchema,
  ProviderSchema,
  UpdateProviderBodySchema,
} from '../../contracts/providers.js';
import type { ApiInstance } from '../../types.js';
import { toProviderResponse } from './provider-response.js';

const security = [{ bearerAuth: [] }];

/** /api/v1/providers and /api/v1/providers/:providerId */
export function providerRoutes(app: ApiInstance, providers: ProviderService): void {
  app.post(
    '/providers',
    {
      schema: {
        tags: ['providers'],
        summary: 'Connect a SIS for a tenant',
        security,
        body: CreateProviderBodySchema,
        response: { 201: ProviderSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const view = await providers.create(
        { principal: request.principal, requestId: request.id },
        request.body,
      );
      return reply.status(201).send(toProviderResponse(view));
    },
  );

  app.get(
    '/providers/:providerId',
    {
      schema: {
        tags: ['providers'],
        summary: 'One provider, secrets redacted',
        security,
        params: ProviderParamsSchema,
        response: { 200: ProviderSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      toProviderResponse(await providers.get({ principal: request.principal }, request.params.providerId)),
  );

  app.patch(
    '/providers/:providerId',
    {
      schema: {
        tags: ['providers'],
        summary: 'Change a provider; omitted secrets keep their stored values',
        security,
        params: ProviderParamsSchema,
        body: UpdateProviderBodySchema,
        response: { 200: ProviderSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      toProviderResponse(
        await providers.update(
          { principal: request.principal, requestId: request.id },
          request.params.providerId,
          request.body,
        ),
      ),
  );

  app.delete(
    '/providers/:providerId',
    {
      schema: {
        tags: ['providers'],
        summary: 'Remove a provider; its runs, links and the roster it loaded stay',
        security,
        params: ProviderParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await providers.remove(
        { principal: request.principal, requestId: request.id },
        request.params.providerId,
      );
      return reply.status(204).send(null);
    },
  );
}
