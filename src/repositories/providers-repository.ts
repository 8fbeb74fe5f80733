import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm';

import type { Executor, Transaction } from '../db/client.js';
import { sisProviders } from '../db/schema/index.js';

export type ProviderRow = typeof sisProviders.$inferSelect;
export type NewProviderRow = typeof sisProviders.$inferInsert;
export type ProviderChanges = Partial<
  Pick<
    ProviderRow,
    | 'name'
    | 'configCiphertext'
    | 'configKeyId'
    | 'syncSchedule'
    | 'syncTimezone'
    | 'enabled'
    | 'blackoutWindows'
    | 'maxDeactivationRatio'
    | 'deactivationGraceRuns'
    | 'updatedBy'
  >
>;

const live = isNull(sisProviders.deletedAt);

export async function insertProvider(db: Executor, row: NewProviderRow): Promise<ProviderRow> {
  const [inserted] = await db.insert(sisProviders).values(row).returning();
  if (inserted === undefined) throw new Error('insert returned no row');
  return inserted;
}

/** A provider that has not been deleted. */
export async function findProvider(db: Executor, id: string): Promise<ProviderRow | undefined> {
  const [row] = await db
    .select()
    .from(sisProviders)
    .where(and(eq(sisProviders.id, id), live));
  return row;
}

/** Reads a provider and locks its row until the transaction ends. */
export async function lockProvider(tx: Transaction, id: string): Promise<ProviderRow | undefined> {
  const [row] = await tx
    .select()
    .from(sisProviders)
    .where(and(eq(sisProviders.id, id), live))
    .for('update');
  return row;
}

export async function listTenantProviders(db: Executor, tenantId: string): Promise<ProviderRow[]> {
  return db
    .select()
    .from(sisProviders)
    .where(and(eq(sisProviders.tenantId, tenantId), live))
    .orderBy(asc(sisProviders.createdAt), asc(sisProviders.id));
}

export async function updateProvider(
  db: Executor,
  id: string,
  changes: ProviderChanges,
): Promise<ProviderRow | undefined> {
  const [row] = await db
    .update(sisProviders)
    .set({ ...changes, updatedAt: new Date() })
    .where(and(eq(sisProviders.id, id), live))
    .returning();
  return row;
}

/** Hides the provider; its runs, links and audit history stay. */
export async function markProviderDeleted(db: Executor, id: string, actor: string): Promise<boolean> {
  const rows = await db
    .update(sisProviders)
    .set({ deletedAt: new Date(), updatedAt: new Date(), updatedBy: actor, enabled: false })
    .where(and(eq(sisProviders.id, id), live))
    .returning({ id: sisProviders.id });
  return rows.length > 0;
}

/** Where the provider's schedule stands in the queue; not an edit of the provider (updatedAt stays). */
export async function setProviderSchedule(
  db: Executor,
  id: string,
  schedule: { nextRunAt: Date | null; scheduleJobId: string | null },
): Promise<void> {
  await db.update(sisProviders).set(schedule).where(eq(sisProviders.id, id));
}

/** Live providers that should have a queued schedule and have none (created before scheduling existed). */
export async function listUnscheduledProviders(db: Executor): Promise<ProviderRow[]> {
  return db
    .select()
    .from(sisProviders)
    .where(
      and(
        live,
        eq(sisProviders.enabled, true),
        isNotNull(sisProviders.syncSchedule),
        isNull(sisProviders.scheduleJobId),
      ),
    );
}
