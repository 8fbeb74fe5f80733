import type { Executor } from '../db/client.js';
import { sqlSessionOf } from '../db/sql-session.js';

/*
 * The columns that hold values sealed by lib/secret-box (a ciphertext and the id of the key that
 * made it), read and re-sealed one row at a time by key rotation.
 */

export const SEALED_COLUMNS = {
  sis_providers: { ciphertext: 'config_ciphertext', keyId: 'config_key_id' },
  sis_webhook_subscriptions: { ciphertext: 'secret_ciphertext', keyId: 'secret_key_id' },
} as const;
export type SealedTable = keyof typeof SEALED_COLUMNS;
export const SEALED_TABLES = Object.keys(SEALED_COLUMNS) as SealedTable[];

export interface SealedValue {
  id: string;
  ciphertext: string;
  keyId: string;
}

const select = (table: SealedTable) => {
  const c = SEALED_COLUMNS[table];
  return `SELECT id, ${c.ciphertext} AS ciphertext, ${c.keyId} AS key_id FROM ${table}`;
};

type Row = { id: string; ciphertext: string; key_id: string };
const toValue = (r: Row): SealedValue => ({ id: r.id, ciphertext: r.ciphertext, keyId: r.key_id });

/** Rows (soft-deleted ones too) sealed under another key than `keyId`, by id after `afterId`. */
export async function listSealedNotUnder(
  db: Executor,
  table: SealedTable,
  keyId: string,
  page: { afterId: string | null; limit: number },
): Promise<SealedValue[]> {
  const rows = await sqlSessionOf(db).query<Row>(
    `${select(table)}
     WHERE ${SEALED_COLUMNS[table].keyId} <> $1 AND ($2::uuid IS NULL OR id > $2::uuid)
     ORDER BY id LIMIT $3`,
    [keyId, page.afterId, page.limit],
  );
  return rows.map(toValue);
}

export async function findSealed(
  db: Executor,
  table: SealedTable,
  id: string,
): Promise<SealedValue | undefined> {
  const [row] = await sqlSessionOf(db).query<Row>(`${select(table)} WHERE id = $1`, [id]);
  return row === undefined ? undefined : toValue(row);
}

/** How many rows of the table each key seals. */
export async function countSealedByKey(db: Executor, table: SealedTable): Promise<Map<string, number>> {
  const keyId = SEALED_COLUMNS[table].keyId;
  const rows = await sqlSessionOf(db).query<{ key_id: string; n: number }>(
    `SELECT ${keyId} AS key_id, count(*)::int AS n FROM ${table} GROUP BY ${keyId}`,
  );
  return new Map(rows.map((r) => [r.key_id, r.n]));
}

/**
 * Compare-and-set: writes `to` only if the row still holds exactly `from` (the same key and the
 * same ciphertext, so a config saved meanwhile is never overwritten with the older one). Touches
 * nothing else (re-sealing is not an edit: `updated_at` stays). True when it wrote.
 */
export async function replaceSealed(
  db: Executor,
  table: SealedTable,
  from: SealedValue,
  to: { ciphertext: string; keyId: string },
): Promise<boolean> {
  const c = SEALED_COLUMNS[table];
  const rows = await sqlSessionOf(db).query<{ id: string }>(
    `UPDATE ${table} SET ${c.ciphertext} = $1, ${c.keyId} = $2
     WHERE id = $3 AND ${c.keyId} = $4 AND ${c.ciphertext} = $5
     RETURNING id`,
    [to.ciphertext, to.keyId, from.id, from.keyId, from.ciphertext],
  );
  return rows.length === 1;
}
