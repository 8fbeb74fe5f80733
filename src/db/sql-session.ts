import { sql, type SQL } from 'drizzle-orm';

import type { Executor, SqlSession } from './client.js';

/**
 * Plain SQL (`$1`-style parameters) over a Drizzle database or transaction, so that set-based
 * statements written as SQL and repository calls written with Drizzle share one transaction.
 */
export function sqlSessionOf(executor: Executor): SqlSession {
  const session: SqlSession = {
    async query<Row>(text: string, params: unknown[] = []): Promise<Row[]> {
      const result = await executor.execute(toSql(text, params));
      return (result as { rows: Row[] }).rows;
    },
    async exec(text: string): Promise<void> {
      await executor.execute(sql.raw(text));
    },
    transaction: (fn) => executor.transaction((tx) => fn(sqlSessionOf(tx))),
  };
  return session;
}

/** `SELECT $1::int + $2` with [1, 2] -> a Drizzle SQL with two bound parameters. */
export function toSql(text: string, params: readonly unknown[]): SQL {
  const parts = text.split(/\$(\d+)/);
  const chunks: SQL[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) {
      if (parts[i] !== '') chunks.push(sql.raw(parts[i]!));
    } else {
      const index = Number(parts[i]) - 1;
      if (index < 0 || index >= params.length) throw new Error(`parameter $${parts[i]} has no value`);
      // sql.param keeps an array one parameter (a plain `${array}` would spread it into a list).
      chunks.push(sql`${sql.param(params[index])}`);
    }
  }
  return sql.join(chunks);
}
