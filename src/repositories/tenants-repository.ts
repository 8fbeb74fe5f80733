import type { Executor } from '../db/client.js';
import { tenants } from '../db/schema/index.js';

/**
 * Tenants are named by the host application (the `tenantId` claim of its tokens); a tenant row
 * is created the first time something is stored for it.
 */
export async function ensureTenant(db: Executor, tenantId: string): Promise<void> {
  await db.insert(tenants).values({ id: tenantId, name: tenantId }).onConflictDoNothing();
}
