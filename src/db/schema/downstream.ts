import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uuid,
} from 'drizzle-orm/pg-core';

import { ENTITY_TYPES } from '../../domain/entity.js';
import { createdAt, instant, sqlList, updatedAt } from './columns.js';
import { CHANGE_KINDS, type ChangeKind } from './runs.js';

/*
 * What the roster tells the applications beside it: an ordered feed of every change a run
 * applied, and signed webhook notices of applied runs.
 */

/**
 * One change a run applied to one canonical record, written in the transaction that applied it.
 * `seq` orders the feed: within a tenant, events become visible in `seq` order (the load takes a
 * per-tenant lock before writing them), so a reader that pages `after` the last seq it saw misses
 * nothing. `changed_fields` names the API fields an update or reactivation changed; a creation
 * lists none (the whole record is new).
 */
export const sisChangeEvents = pgTable(
  'sis_change_events',
  {
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    tenantId: text('tenant_id').notNull(),
    runId: uuid('run_id').notNull(),
    providerId: uuid('provider_id').notNull(),
    entity: text('entity').notNull(),
    entityId: uuid('entity_id').notNull(),
    kind: text('kind').$type<ChangeKind>().notNull(),
    changedFields: text('changed_fields')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'sis_change_events_pk', columns: [t.tenantId, t.seq] }),
    index('sis_change_events_run_idx').on(t.runId),
    check('sis_change_events_kind_check', sql`${t.kind} IN (${sqlList(CHANGE_KINDS)})`),
    check('sis_change_events_entity_check', sql`${t.entity} IN (${sqlList(ENTITY_TYPES)})`),
  ],
);

/** What a webhook subscription may be told. */
export const WEBHOOK_EVENTS = ['run.applied', 'run.held', 'run.failed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/**
 * A tenant's webhook endpoint. The signing secret is sealed like provider configs (AES-256-GCM,
 * key id beside it, rotated by `sis-sync rotate-key`).
 */
export const sisWebhookSubscriptions = pgTable(
  'sis_webhook_subscriptions',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    url: text('url').notNull(),
    description: text('description'),
    events: text('events')
      .array()
      .$type<WebhookEvent[]>()
      .notNull()
      .default(sql`'{run.applied}'::text[]`),
    secretCiphertext: text('secret_ciphertext').notNull(),
    secretKeyId: text('secret_key_id').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdBy: text('created_by').notNull(),
    updatedBy: text('updated_by').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** Deleted subscriptions keep their delivery log; they are hidden and sent nothing. */
    deletedAt: instant('deleted_at'),
  },
  (t) => [index('sis_webhook_subscriptions_tenant_idx').on(t.tenantId)],
);

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** One notice to one subscription: its payload as signed, and where its attempts stand. */
export const sisWebhookDeliveries = pgTable(
  'sis_webhook_deliveries',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    subscriptionId: uuid('subscription_id').notNull(),
    /** A WebhookEvent, or `ping` for a test delivery. */
    event: text('event').notNull(),
    runId: uuid('run_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status').$type<WebhookDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: instant('next_attempt_at'),
    lastAttemptAt: instant('last_attempt_at'),
    /** HTTP status of the last attempt; null when it got no response. */
    responseStatus: integer('response_status'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    deliveredAt: instant('delivered_at'),
  },
  (t) => [
    index('sis_webhook_deliveries_subscription_idx').on(t.subscriptionId, t.createdAt),
    index('sis_webhook_deliveries_tenant_idx').on(t.tenantId, t.createdAt),
    // The sweep for attempts lost with their worker reads only pending deliveries, oldest due first.
    index('sis_webhook_deliveries_pending_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    check('sis_webhook_deliveries_status_check', sql`${t.status} IN (${sqlList(WEBHOOK_DELIVERY_STATUSES)})`),
  ],
);

/** Every attempt at a delivery: the delivery log. */
export const sisWebhookAttempts = pgTable(
  'sis_webhook_attempts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: uuid('delivery_id').notNull(),
    attempt: integer('attempt').notNull(),
    responseStatus: integer('response_status'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sis_webhook_attempts_delivery_idx').on(t.deliveryId, t.attempt)],
);
