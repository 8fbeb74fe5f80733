import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, bigint } from 'drizzle-orm/pg-core';

import { createdAt } from './columns.js';

export const tenants = pgTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: createdAt(),
});

/** Who did what to which object, and when. Never holds a secret. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tenantId: text('tenant_id'),
    actor: text('actor').notNull(),
    actorRoles: text('actor_roles')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    requestId: text('request_id'),
    createdAt: createdAt(),
  },
  (t) => [
    index('audit_log_tenant_created_idx').on(t.tenantId, t.createdAt),
    index('audit_log_target_idx').on(t.targetType, t.targetId),
    check('audit_log_action_format', sql`${t.action} ~ '^[a-z_]+\\.[a-z_]+$'`),
  ],
);
