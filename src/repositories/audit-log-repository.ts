import type { Executor } from '../db/client.js';
import { auditLog } from '../db/schema/index.js';
import type { Principal } from '../domain/roles.js';

export interface AuditEntry {
  tenantId: string | null;
  actor: Principal;
  /** `<target>.<verb>`, e.g. `provider.create`. */
  action: string;
  targetType: string;
  targetId: string;
  /** What changed, by name; never a secret's value. */
  details?: Record<string, unknown>;
  requestId?: string | undefined;
}

export async function recordAudit(db: Executor, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    tenantId: entry.tenantId,
    actor: entry.actor.subject,
    actorRoles: entry.actor.roles,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details: entry.details ?? {},
    requestId: entry.requestId ?? null,
  });
}
