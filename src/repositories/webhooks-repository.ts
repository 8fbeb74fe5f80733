import { and, asc, count, desc, eq, inArray, isNull, max, min, sql } from 'drizzle-orm';

import type { Executor, Transaction } from '../db/client.js';
import {
  sisChangeEvents,
  sisProviders,
  sisWebhookAttempts,
  sisWebhookDeliveries,
  sisWebhookSubscriptions,
  type WebhookEvent,
} from '../db/schema/index.js';
import type { ProviderType } from '../domain/provider-type.js';

export type WebhookRow = typeof sisWebhookSubscriptions.$inferSelect;
export type NewWebhookRow = typeof sisWebhookSubscriptions.$inferInsert;
export type WebhookChanges = Partial<
  Pick<
    WebhookRow,
    'url' | 'description' | 'events' | 'enabled' | 'secretCiphertext' | 'secretKeyId' | 'updatedBy'
  >
>;
export type DeliveryRow = typeof sisWebhookDeliveries.$inferSelect;
export type NewDeliveryRow = typeof sisWebhookDeliveries.$inferInsert;
export type DeliveryChanges = Partial<
  Pick<
    DeliveryRow,
    'status' | 'attempts' | 'nextAttemptAt' | 'lastAttemptAt' | 'responseStatus' | 'lastError' | 'deliveredAt'
  >
>;
export type AttemptRow = typeof sisWebhookAttempts.$inferSelect;
export type NewAttemptRow = Omit<typeof sisWebhookAttempts.$inferInsert, 'id' | 'createdAt'>;

/**
 * The associated data that binds a subscription's sealed secret to its row (see lib/secret-box):
 * a ciphertext copied onto another subscription does not decrypt. Key rotation re-seals with it.
 */
export function webhookSecretAad(row: { id: string }): string {
  return `sis_webhook_subscriptions:${row.id}`;
}

const live = isNull(sisWebhookSubscriptions.deletedAt);

export async function insertWebhook(db: Executor, row: NewWebhookRow): Promise<WebhookRow> {
  const [inserted] = await db.insert(sisWebhookSubscriptions).values(row).returning();
  if (inserted === undefined) throw new Error('insert returned no row');
  return inserted;
}

/** A subscription that has not been deleted. */
export async function findWebhook(db: Executor, id: string): Promise<WebhookRow | undefined> {
  const [row] = await db
    .select()
    .from(sisWebhookSubscriptions)
    .where(and(eq(sisWebhookSubscriptions.id, id), live));
  return row;
}

/** Reads a subscription and locks its row until the transaction ends. */
export async function lockWebhook(tx: Transaction, id: string): Promise<WebhookRow | undefined> {
  const [row] = await tx
    .select()
    .from(sisWebhookSubscriptions)
    .where(and(eq(sisWebhookSubscriptions.id, id), live))
    .for('update');
  return row;
}

export async function listTenantWebhooks(db: Executor, tenantId: string): Promise<WebhookRow[]> {
  return db
    .select()
    .from(sisWebhookSubscriptions)
    .where(and(eq(sisWebhookSubscriptions.tenantId, tenantId), live))
    .orderBy(asc(sisWebhookSubscriptions.createdAt), asc(sisWebhookSubscriptions.id));
}

export async function updateWebhook(
  db: Executor,
  id: string,
  changes: WebhookChanges,
): Promise<WebhookRow | undefined> {
  const [row] = await db
    .update(sisWebhookSubscriptions)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(sisWebhookSubscriptions.id, id), live))
    .returning();
  return row;
}

/** Hides the subscription and stops its notices; its delivery log stays. */
export async function markWebhookDeleted(db: Executor, id: string, actor: string): Promise<boolean> {
  const rows = await db
    .update(sisWebhookSubscriptions)
    .set({ deletedAt: new Date(), updatedAt: new Date(), updatedBy: actor, enabled: false })
    .where(and(eq(sisWebhookSubscriptions.id, id), live))
    .returning({ id: sisWebhookSubscriptions.id });
  return rows.length > 0;
}

/**
 * The tenant's enabled, live subscriptions that want `event` and have no notice of it for this run
 * yet (so telling the same run's end twice sends nothing twice).
 */
export async function subscriptionsToNotify(
  db: Executor,
  tenantId: string,
  event: WebhookEvent,
  runId: string,
): Promise<{ id: string }[]> {
  return db
    .select({ id: sisWebhookSubscriptions.id })
    .from(sisWebhookSubscriptions)
    .where(
      and(
        eq(sisWebhookSubscriptions.tenantId, tenantId),
        live,
        eq(sisWebhookSubscriptions.enabled, true),
        sql`${event} = ANY(${sisWebhookSubscriptions.events})`,
        sql`NOT EXISTS (SELECT 1 FROM ${sisWebhookDeliveries} d
          WHERE d.subscription_id = ${sisWebhookSubscriptions.id} AND d.run_id = ${runId} AND d.event = ${event})`,
      ),
    )
    .orderBy(asc(sisWebhookSubscriptions.createdAt), asc(sisWebhookSubscriptions.id));
}

/**
 * The change-feed page of a run's events: `after` is the cursor just before its first event,
 * `until` its last event's seq; undefined when the run recorded none.
 */
export async function changeRangeOfRun(
  db: Executor,
  runId: string,
): Promise<{ after: number; until: number } | undefined> {
  const [row] = await db
    .select({ first: min(sisChangeEvents.seq), last: max(sisChangeEvents.seq) })
    .from(sisChangeEvents)
    .where(eq(sisChangeEvents.runId, runId));
  if (row?.first === undefined || row.first === null || row.last === null) return undefined;
  // min/max come back as text from some drivers (bigint): numbers here, as the column's mode says.
  return { after: Number(row.first) - 1, until: Number(row.last) };
}

/** A run's provider type for its notice; a deleted provider still has one. */
export async function providerTypeOf(db: Executor, providerId: string): Promise<ProviderType | undefined> {
  const [row] = await db
    .select({ providerType: sisProviders.providerType })
    .from(sisProviders)
    .where(eq(sisProviders.id, providerId));
  return row?.providerType;
}

export async function insertDeliveries(db: Executor, rows: NewDeliveryRow[]): Promise<DeliveryRow[]> {
  if (rows.length === 0) return [];
  return db.insert(sisWebhookDeliveries).values(rows).returning();
}

export async function findDelivery(db: Executor, id: string): Promise<DeliveryRow | undefined> {
  const [row] = await db.select().from(sisWebhookDeliveries).where(eq(sisWebhookDeliveries.id, id));
  return row;
}

export async function lockDelivery(tx: Transaction, id: string): Promise<DeliveryRow | undefined> {
  const [row] = await tx
    .select()
    .from(sisWebhookDeliveries)
    .where(eq(sisWebhookDeliveries.id, id))
    .for('update');
  return row;
}

export async function updateDelivery(
  db: Executor,
  id: string,
  changes: DeliveryChanges,
): Promise<DeliveryRow> {
  const [row] = await db
    .update(sisWebhookDeliveries)
    .set(changes)
    .where(eq(sisWebhookDeliveries.id, id))
    .returning();
  if (row === undefined) throw new Error(`webhook delivery ${id} vanished`);
  return row;
}

/** A subscription's deliveries, newest first, one page. */
export async function listDeliveries(
  db: Executor,
  subscriptionId: string,
  page: { limit: number; offset: number },
): Promise<{ deliveries: DeliveryRow[]; total: number }> {
  const where = eq(sisWebhookDeliveries.subscriptionId, subscriptionId);
  const deliveries = await db
    .select()
    .from(sisWebhookDeliveries)
    .where(where)
    .orderBy(desc(sisWebhookDeliveries.createdAt), desc(sisWebhookDeliveries.id))
    .limit(page.limit)
    .offset(page.offset);
  const [total] = await db.select({ n: count() }).from(sisWebhookDeliveries).where(where);
  return { deliveries, total: total?.n ?? 0 };
}

/** The attempts of these deliveries, oldest first. */
export async function listAttempts(db: Executor, deliveryIds: readonly string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  return db
    .select()
    .from(sisWebhookAttempts)
    .where(inArray(sisWebhookAttempts.deliveryId, [...deliveryIds]))
    .orderBy(asc(sisWebhookAttempts.id));
}

/**
 * Records an attempt, numbered after every earlier attempt of the delivery (a redelivery's round
 * continues the numbers). The caller holds the delivery's row lock, so two never take one number.
 */
export async function insertAttempt(db: Transaction, row: Omit<NewAttemptRow, 'attempt'>): Promise<number> {
  const [last] = await db
    .select({ n: max(sisWebhookAttempts.attempt) })
    .from(sisWebhookAttempts)
    .where(eq(sisWebhookAttempts.deliveryId, row.deliveryId));
  const attempt = (last?.n ?? 0) + 1;
  await db.insert(sisWebhookAttempts).values({ ...row, attempt });
  return attempt;
}

/**
 * Pending deliveries whose attempt was due before `cutoff` and never came (the worker that took it
 * died mid-attempt, or its job was lost): marks them due at `now` and returns them, at most `limit`,
 * so the caller queues a job for each in the same transaction. Rows another transaction holds are
 * skipped; a due job that was merely slow to be taken may get a second one, which finds the
 * delivery no longer due and does nothing.
 */
export async function takeOverdueDeliveries(
  tx: Transaction,
  options: { cutoff: Date; now: Date; limit: number },
): Promise<string[]> {
  const overdue = tx
    .select({ id: sisWebhookDeliveries.id })
    .from(sisWebhookDeliveries)
    .where(
      and(
        eq(sisWebhookDeliveries.status, 'pending'),
        sql`(${sisWebhookDeliveries.nextAttemptAt} IS NULL OR ${sisWebhookDeliveries.nextAttemptAt} < ${options.cutoff})`,
      ),
    )
    .orderBy(asc(sisWebhookDeliveries.nextAttemptAt))
    .limit(options.limit)
    .for('update', { skipLocked: true });
  const rows = await tx
    .update(sisWebhookDeliveries)
    .set({ nextAttemptAt: options.now })
    .where(inArray(sisWebhookDeliveries.id, overdue))
    .returning({ id: sisWebhookDeliveries.id });
  return rows.map((r) => r.id);
}
