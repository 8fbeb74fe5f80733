import type { SqlSession } from '../../db/client.js';

/**
 * Refreshes the planner's statistics of tables a run has just filled. PGlite has no autovacuum
 * and PostgreSQL's runs too late for a bulk load inside one run: with stale counts the planner
 * takes thousands of freshly staged or inserted rows for a handful and picks nested loops that
 * rescan whole tables for every row, which made a 10,000-student first sync take twenty
 * minutes instead of one. ANALYZE samples a bounded number of rows, so it stays cheap on large
 * tables, and inside a transaction it sees that transaction's own rows.
 *
 * Inside a transaction ANALYZE holds each table's SHARE UPDATE EXCLUSIVE lock until commit, and
 * that lock conflicts only with itself: the loads of two providers take turns on a table, and to
 * never deadlock every run asks in one order: staging tables, then `sis_external_links`, then the
 * canonical tables in entity order. A table may name the columns to sample (`t (a, b)`).
 */
export async function refreshStatistics(session: SqlSession, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  await session.query(`ANALYZE ${[...new Set(tables)].join(', ')}`);
}
