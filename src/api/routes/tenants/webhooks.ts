import Type from 'typebox';

import type { DeliveryView, WebhookService, WebhookView } from '../../../services/webhook-service.js';
import { errorResponses } from '../../contracts/errors.js';
import { TenantParamsSchema } from '../../contracts/providers.js';
import {
  CreateWebhookBodySchema,
  DeliveryParamsSchema,
  UpdateWebhookBodySchema,
  WebhookDeliveryListSchema,
  WebhookDeliverySchema,
  WebhookListSchema,
  WebhookParamsSchema,
  WebhookSchema,
  WebhookTestResultSchema,
  WebhookWithSecretSchema,
  type Webhook,
  type WebhookDelivery,
} from '../../contracts/webhooks.js';
import type { ApiInstance } from '../../types.js';

const security = [{ bearerAuth: [] }];
const tags = ['webhooks'];
const iso = (d: Date | null) => d?.toISOString() ?? null;

function toWebhookResponse(view: WebhookView): Webhook {
  return { ...view, createdAt: view.createdAt.toISOString(), updatedAt: view.updatedAt.toISOString() };
}

function toDeliveryResponse(view: DeliveryView): WebhookDelivery {
  return {
    ...view,
    nextAttemptAt: iso(view.nextAttemptAt),
    lastAttemptAt: iso(view.lastAttemptAt),
    createdAt: view.createdAt.toISOString(),
    deliveredAt: iso(view.deliveredAt),
    attempts: view.attempts.map((a) => ({ ...a, at: a.at.toISOString() })),
  };
}

/** /api/v1/tenants/:tenantId/webhooks: subscriptions, their test button and their delivery log. */
export function tenantWebhookRoutes(app: ApiInstance, webhooks: WebhookService): void {
  app.get(
    '/tenants/:tenantId/webhooks',
    {
      schema: {
        tags,
        summary: "A tenant's webhooks (secrets are never shown)",
        security,
        params: TenantParamsSchema,
        response: { 200: WebhookListSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => ({
      webhooks: (await webhooks.list({ principal: request.principal }, request.params.tenantId)).map(
        toWebhookResponse,
      ),
    }),
  );

  app.post(
    '/tenants/:tenantId/webhooks',
    {
      schema: {
        tags,
        summary: 'Subscribe a receiver; the answer holds its signing secret, shown this once',
        security,
        params: TenantParamsSchema,
        body: CreateWebhookBodySchema,
        response: { 201: WebhookWithSecretSchema, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { webhook, secret } = await webhooks.create(
        { principal: request.principal, requestId: request.id },
        request.params.tenantId,
        request.body,
      );
      return reply.status(201).send({ ...toWebhookResponse(webhook), secret });
    },
  );

  app.get(
    '/tenants/:tenantId/webhooks/:webhookId',
    {
      schema: {
        tags,
        summary: 'One webhook',
        security,
        params: WebhookParamsSchema,
        response: { 200: WebhookSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      toWebhookResponse(
        await webhooks.get(
          { principal: request.principal },
          request.params.tenantId,
          request.params.webhookId,
        ),
      ),
  );

  app.patch(
    '/tenants/:tenantId/webhooks/:webhookId',
    {
      schema: {
        tags,
        summary: 'Change a webhook: its URL, description, events, or whether it is enabled',
        security,
        params: WebhookParamsSchema,
        body: UpdateWebhookBodySchema,
        response: { 200: WebhookSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      toWebhookResponse(
        await webhooks.update(
          { principal: request.principal, requestId: request.id },
          request.params.tenantId,
          request.params.webhookId,
          request.body,
        ),
      ),
  );

  app.delete(
    '/tenants/:tenantId/webhooks/:webhookId',
    {
      schema: {
        tags,
        summary: 'Remove a webhook; its delivery log stays',
        security,
        params: WebhookParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted.' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.remove(
        { principal: request.principal, requestId: request.id },
        request.params.tenantId,
        request.params.webhookId,
      );
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/tenants/:tenantId/webhooks/:webhookId/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Replace the signing secret; the answer holds the new one, shown this once',
        security,
        params: WebhookParamsSchema,
        response: { 200: WebhookWithSecretSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { webhook, secret } = await webhooks.rotateSecret(
        { principal: request.principal, requestId: request.id },
        request.params.tenantId,
        request.params.webhookId,
      );
      return { ...toWebhookResponse(webhook), secret };
    },
  );

  app.post(
    '/tenants/:tenantId/webhooks/:webhookId/test',
    {
      schema: {
        tags,
        summary: "Send a signed ping now and report the receiver's answer (also in the delivery log)",
        security,
        params: WebhookParamsSchema,
        response: { 200: WebhookTestResultSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      webhooks.ping(
        { principal: request.principal, requestId: request.id },
        request.params.tenantId,
        request.params.webhookId,
      ),
  );

  app.get(
    '/tenants/:tenantId/webhooks/:webhookId/deliveries',
    {
      schema: {
        tags,
        summary: "A webhook's delivery log, newest first, each delivery with its attempts",
        security,
        params: WebhookParamsSchema,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
        }),
        response: { 200: WebhookDeliveryListSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const page = { limit: request.query.limit ?? 50, offset: request.query.offset ?? 0 };
      const { deliveries, total } = await webhooks.listDeliveries(
        { principal: request.principal },
        request.params.tenantId,
        request.params.webhookId,
        page,
      );
      return { deliveries: deliveries.map(toDeliveryResponse), total, ...page };
    },
  );

  app.post(
    '/tenants/:tenantId/webhooks/:webhookId/deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags,
        summary: 'Send a finished delivery again (same id and payload), with a fresh round of attempts',
        security,
        params: DeliveryParamsSchema,
        response: { 202: WebhookDeliverySchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const delivery = await webhooks.redeliver(
        { principal: request.principal, requestId: request.id },
        request.params.tenantId,
        request.params.webhookId,
        request.params.deliveryId,
      );
      return reply.status(202).send(toDeliveryResponse(delivery));
    },
  );
}
