import Type, { type Static } from 'typebox';

import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_EVENTS } from '../../db/schema/index.js';
import { nullable } from './nullable.js';
import { TenantIdSchema } from './providers.js';

const dateTime = Type.String({ format: 'date-time' });

export const WebhookEventSchema = Type.Enum(WEBHOOK_EVENTS, {
  description:
    'run.applied: a run applied its changes (SUCCESS or PARTIAL); run.held: a run is held for review; ' +
    'run.failed: a run failed, nothing applied.',
});

const urlSchema = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'Where notices are POSTed: http or https (https only in production), without credentials.',
});
const descriptionSchema = nullable(
  Type.String({ maxLength: 500, description: 'What the receiver is, for admins. Empty or null: none.' }),
);
const eventsSchema = Type.Array(WebhookEventSchema, {
  minItems: 1,
  maxItems: WEBHOOK_EVENTS.length,
  uniqueItems: true,
  description: 'The events this webhook is told of; default ["run.applied"].',
});

const webhookFields = {
  id: Type.String({ format: 'uuid' }),
  tenantId: Type.String(),
  url: Type.String(),
  description: nullable(Type.String()),
  events: Type.Array(WebhookEventSchema),
  enabled: Type.Boolean({ description: 'A disabled webhook is sent nothing (the test button still works).' }),
  secretHint: Type.String({
    description: 'The last 4 characters of the signing secret, to tell which secret a receiver holds.',
  }),
  createdAt: dateTime,
  updatedAt: dateTime,
};

export const WebhookSchema = Type.Object(webhookFields, { $id: 'Webhook' });
export type Webhook = Static<typeof WebhookSchema>;

export const WebhookWithSecretSchema = Type.Object({
  ...webhookFields,
  secret: Type.String({
    description:
      'The signing secret (whsec_...). Returned only here, at creation and at rotation: store it with the receiver.',
  }),
});
export type WebhookWithSecret = Static<typeof WebhookWithSecretSchema>;

export const WebhookListSchema = Type.Object({ webhooks: Type.Array(WebhookSchema) });

export const CreateWebhookBodySchema = Type.Object(
  {
    url: urlSchema,
    description: Type.Optional(descriptionSchema),
    events: Type.Optional(eventsSchema),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const UpdateWebhookBodySchema = Type.Object(
  {
    url: Type.Optional(urlSchema),
    description: Type.Optional(descriptionSchema),
    events: Type.Optional(eventsSchema),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookParamsSchema = Type.Object({
  tenantId: TenantIdSchema,
  webhookId: Type.String({ format: 'uuid' }),
});
export const DeliveryParamsSchema = Type.Object({
  tenantId: TenantIdSchema,
  webhookId: Type.String({ format: 'uuid' }),
  deliveryId: Type.String({ format: 'uuid' }),
});

export const WebhookTestResultSchema = Type.Object({
  deliveryId: Type.String({ format: 'uuid', description: 'The ping, in the delivery log.' }),
  delivered: Type.Boolean({ description: 'The receiver answered 2xx.' }),
  responseStatus: nullable(Type.Integer({ description: "The receiver's HTTP status; null: no answer." })),
  durationMs: Type.Integer(),
  error: nullable(Type.String({ description: 'Why it was not delivered.' })),
});
export type WebhookTestResult = Static<typeof WebhookTestResultSchema>;

export const WebhookAttemptSchema = Type.Object({
  attempt: Type.Integer({ description: '1 for the first attempt; a redelivery continues the count.' }),
  responseStatus: nullable(Type.Integer()),
  error: nullable(Type.String()),
  durationMs: Type.Integer(),
  at: dateTime,
});

export const WebhookDeliverySchema = Type.Object({
  id: Type.String({
    format: 'uuid',
    description: 'Sent as the webhook-id header, the same on every attempt.',
  }),
  webhookId: Type.String({ format: 'uuid' }),
  event: Type.String({ description: 'A webhook event, or ping (the test button).' }),
  runId: nullable(Type.String({ format: 'uuid' })),
  status: Type.Enum(WEBHOOK_DELIVERY_STATUSES),
  payload: Type.Record(Type.String(), Type.Unknown(), { description: 'The JSON body sent.' }),
  nextAttemptAt: nullable(
    Type.String({ format: 'date-time', description: 'While pending: when it is tried next.' }),
  ),
  lastAttemptAt: nullable(dateTime),
  responseStatus: nullable(
    Type.Integer({ description: 'HTTP status of the last attempt; null: no answer.' }),
  ),
  lastError: nullable(Type.String()),
  createdAt: dateTime,
  deliveredAt: nullable(dateTime),
  attempts: Type.Array(WebhookAttemptSchema, { description: 'Every attempt, oldest first.' }),
});
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;

export const WebhookDeliveryListSchema = Type.Object({
  deliveries: Type.Array(WebhookDeliverySchema),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
