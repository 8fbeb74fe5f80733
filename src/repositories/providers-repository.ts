import { and, asc, eq, isNotNull, isNull, sql } from 'drizzle-orm';

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

/**
 * When a provider is deleted: its links to records another provider also links stop standing for
 * them, so that those records go when that provider drops them (a district that moved hubs is not
 * kept alive by the hub it left). Nothing is deactivated here; records it alone links keep its
 * links, and stay as they are.
 */
export async function releaseSharedLinks(
  tx: Transaction,
  tenantId: string,
  providerId: string,
): Promise<number> {
  const released = await tx.execute<{ n: number }>(
    sql`WITH released AS (
          UPDATE sis_external_links l SET active = false, removed_at = now(), updated_at = now()
        WHERE l.tenant_id = ${tenantId} AND l.provider_id = ${providerId} AND l.active
          AND EXISTS (SELECT 1 FROM sis_external_links o WHERE o.tenant_id = l.tenant_id
                      AND o.entity_type = l.entity_type AND o.entity_id = l.entity_id
                      AND o.provider_id <> l.provider_id AND o.active)
          RETURNING 1
        )
        SELECT count(*)::int AS n FROM released`,
  );
  return (released as { rows: { n: number }[] }).rows[0]?.n ?? 0;
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
