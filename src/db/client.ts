import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';

import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** The one query interface the code uses, whichever driver sits below. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction of that database: repository functions that lock demand one. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Either: the database or a transaction of it. */
export type Executor = Database | Transaction;

/** A plain SQL session, for the migrator and health checks. */
export interface SqlSession {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Several statements at once, no parameters. */
  exec(text: string): Promise<void>;
  /** Runs `fn` in one transaction on this session: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
}

/** A table and the columns a bulk load fills, each with its SQL type (`text`, `jsonb`, `text[]`, ...). */
export interface CopyTarget {
  table: string;
  columns: readonly { name: string; type: string }[];
}

/** One row of a bulk load: each column's value in PostgreSQL's text form, or null. */
export type CopyRow = readonly (string | null)[];

export type DatabaseTarget =
  | { kind: 'postgres'; url: string; poolSize?: number }
  /** `dataDir` undefined: in memory. `loadDataDir`: start from a dump (tests start from a migrated one). */
  | { kind: 'pglite'; dataDir: string | undefined; loadDataDir?: Blob };

export interface DatabaseHandle {
  readonly kind: DatabaseTarget['kind'];
  readonly db: Database;
  /** Where the data lives, without credentials, for logs and messages. */
  readonly description: string;
  /** Runs `fn` on one session held for its whole duration (advisory locks, COPY, migrations). */
  withSession<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Raw SQL on the database's own connection(s), in the shape node-postgres answers (`rows`, or one
   * result per statement for several): for libraries that bring their own SQL (the job queue).
   * Without parameters the text may hold several statements.
   */
  executeSql(text: string, values?: unknown[]): Promise<unknown>;
  /**
   * Bulk-loads rows into `target`, each row its columns' values in their text form (null for
   * NULL). PostgreSQL streams them through one COPY on its own connection, pulling the next batch
   * only as fast as the server takes them; the embedded database, whose COPY reads blobs about ten
   * times slower than it inserts, takes each batch as one INSERT of unnested arrays. Not atomic on
   * the embedded database: a failing source may leave the batches before it.
   */
  copyFrom(target: CopyTarget, batches: AsyncIterable<readonly CopyRow[]>): Promise<void>;
  /** Embedded database only: a tarball of its data folder (a backup; tests start from one). */
  dump?: () => Promise<Blob>;
  close(): Promise<void>;
}

/** DATABASE_URL set: PostgreSQL. Unset: the embedded database in `<dataDir>/pglite`. */
export function databaseTargetFromConfig(config: {
  databaseUrl: string | undefined;
  dataDir: string;
}): DatabaseTarget {
  return config.databaseUrl !== undefined
    ? { kind: 'postgres', url: config.databaseUrl }
    : { kind: 'pglite', dataDir: path.join(config.dataDir, 'pglite') };
}

export interface OpenOptions {
  /** Names the owner in the embedded database's lock file ("serve", "migrate", ...). */
  command: string;
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions): Promise<DatabaseHandle> {
  return target.kind === 'postgres' ? openPostgres(target) : openPglite(target, options);
}

function openPostgres(target: Extract<DatabaseTarget, { kind: 'postgres' }>): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
  // A client that loses its connection (the server restarted) must not crash the process: an idle
  // one is dropped and the next query reconnects; one checked out (a load's transaction between
  // two statements) fails its next statement, which ends its run as FAILURE.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzlePg({ client: pool, schema }) as unknown as Database;
  const url = new URL(target.url);
  return {
    kind: 'postgres',
    db,
    description: `PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}`,
    async withSession(fn) {
      const client = await pool.connect();
      const session: SqlSession = {
        query: async <Row>(text: string, params?: unknown[]) =>
          (await client.query(text, params)).rows as Row[],
        exec: async (text) => {
          await client.query(text);
        },
        async transaction(inner) {
          await client.query('BEGIN');
          try {
            const result = await inner(session);
            await client.query('COMMIT');
            return result;
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          }
        },
      };
      try {
        return await fn(session);
      } finally {
        client.release();
      }
    },
    executeSql: (text, values) => pool.query(text, values),
    async copyFrom(target, batches) {
      const client = await pool.connect();
      const into = `${target.table} (${target.columns.map((c) => c.name).join(', ')})`;
      async function* lines() {
        for await (const batch of batches) yield copyTextOf(batch);
      }
      try {
        await pipeline(
          // One batch read ahead is enough to keep both sides busy; more only holds memory.
          Readable.from(lines(), { highWaterMark: 1 }),
          client.query(copyFromStdin(`COPY ${into} FROM STDIN`)),
        );
        client.release();
      } catch (error) {
        // A COPY cut short may leave the connection mid-protocol: never hand it out again.
        client.release(error as Error);
        throw error;
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(
  target: Extract<DatabaseTarget, { kind: 'pglite' }>,
  options: OpenOptions,
): Promise<DatabaseHandle> {
  let lock: DataDirLock | undefined;
  if (target.dataDir !== undefined) lock = acquireDataDirLock(path.dirname(target.dataDir), options.command);
  let client: PGlite;
  try {
    client = await PGlite.create({
      ...(target.dataDir !== undefined ? { dataDir: target.dataDir } : {}),
      ...(target.loadDataDir !== undefined ? { loadDataDir: target.loadDataDir } : {}),
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  // PGlite is one connection: a session is the instance itself. Its transaction() holds the
  // instance exclusively, so other callers' statements wait rather than interleave.
  const sessionOf = (conn: Pick<PGlite, 'query' | 'exec'>): SqlSession => ({
    query: async <Row>(text: string, params?: unknown[]) => (await conn.query<Row>(text, params)).rows,
    exec: async (text) => {
      await conn.exec(text);
    },
    transaction: (inner) => client.transaction((tx) => inner(sessionOf(tx))),
  });
  const session = sessionOf(client);
  return {
    kind: 'pglite',
    db,
    description:
      target.dataDir === undefined ? 'embedded PGlite (in memory)' : `embedded PGlite at ${target.dataDir}`,
    withSession: (fn) => fn(session),
    async executeSql(text, values) {
      if (values !== undefined && values.length > 0) return client.query(text, values);
      const results = await client.exec(text);
      return results.length === 1 ? results[0] : results;
    },
    async copyFrom(target, batches) {
      const columns = target.columns;
      const insert = `INSERT INTO ${target.table} (${columns.map((c) => c.name).join(', ')})
         SELECT ${columns.map((c, i) => `c${i}::${c.type}`).join(', ')}
         FROM unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')})
           AS u(${columns.map((_, i) => `c${i}`).join(', ')})`;
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        await client.query(
          insert,
          columns.map((_, i) => batch.map((row) => row[i] ?? null)),
        );
      }
    },
    dump: async () => client.dumpDataDir('none'),
    async close() {
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Rows in COPY's text format: tab-separated, `\\N` for NULL, backslash escapes. */
function copyTextOf(rows: readonly CopyRow[]): string {
  let text = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const value = row[i];
      if (i > 0) text += '\t';
      text +=
        value === null || value === undefined
          ? '\\N'
          : COPY_SPECIAL.test(value)
            ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!)
            : value;
    }
    text += '\n';
  }
  return text;
}
