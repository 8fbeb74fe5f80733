import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import pg from 'pg';
import { inject } from 'vitest';

import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';

export const driver = inject('driver');

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A fresh, migrated database of the driver under test: PostgreSQL cloned from the migrated
 * template, or PGlite started from the migrated dump. Closing it drops it.
 */
export async function createTestDatabase(): Promise<DatabaseHandle & { url: string | undefined }> {
  if (driver === 'postgres') {
    const adminUrl = inject('adminUrl');
    const name = `${inject('databasePrefix')}${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    await withAdmin(adminUrl, (admin) =>
      admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`),
    );
    const url = withDatabase(adminUrl, name);
    const handle = await openDatabase({ kind: 'postgres', url }, { command: 'test' });
    return {
      ...handle,
      url,
      async close() {
        await handle.close();
        await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  }
  const dump = new Blob([readFileSync(inject('pgliteDump'))]);
  const handle = await openDatabase(
    { kind: 'pglite', dataDir: undefined, loadDataDir: dump },
    { command: 'test' },
  );
  return { ...handle, url: undefined };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Runs `fn` on the database a spawned sis-sync command uses: the PostgreSQL test database when
 * there is one, else the embedded database in `dataDir`, opened (and migrated) only around `fn`,
 * so that the command can take it again.
 */
export async function withCommandDatabase<T>(
  postgres: DatabaseHandle | undefined,
  dataDir: string,
  fn: (handle: DatabaseHandle) => Promise<T>,
): Promise<T> {
  if (postgres !== undefined) return fn(postgres);
  const handle = await openDatabase(
    { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') },
    { command: 'test' },
  );
  try {
    await migrateDatabase(handle);
    return await fn(handle);
  } finally {
    await handle.close();
  }
}
