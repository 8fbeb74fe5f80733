import { sql } from 'drizzle-orm';
import { boolean, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Every timestamp is an instant (timestamptz). */
export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const createdAt = () => instant('created_at').notNull().defaultNow();
export const updatedAt = () => instant('updated_at').notNull().defaultNow();

/** Columns every canonical roster table shares: tenant-first key, soft delete, timestamps. */
export const rosterColumns = () => ({
  tenantId: text('tenant_id').notNull(),
  id: uuid('id')
    .notNull()
    .default(sql`gen_random_uuid()`),
  active: boolean('active').notNull().default(true),
  deactivatedAt: instant('deactivated_at'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** `'A','B'` for a CHECK constraint over a closed list of values. */
export function sqlList(values: readonly string[]) {
  return sql.raw(values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', '));
}
