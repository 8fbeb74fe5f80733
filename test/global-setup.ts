import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';
import type { TestProject } from 'vitest/node';

import { openDatabase, type DatabaseHandle } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { createPgBossQueue } from '../src/jobs/pg-boss-queue.js';
import { createLogger } from '../src/lib/logger.js';
import { buildCommand } from './support/command-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    driver: 'pglite' | 'postgres';
    /** PostgreSQL: admin URL and the migrated template each test file's database is cloned from. */
    adminUrl: string;
    templateDatabase: string;
    /** Prefix of this run's databases: another run on the same server keeps its own. */
    databasePrefix: string;
    /** PGlite: a dump of a migrated database each test file starts from. */
    pgliteDump: string;
    /** Where every test's logger writes, scanned for secrets by test/log-scan.test.ts. */
    logDir: string;
    /** Where spawned processes keep their data folders. */
    workDir: string;
    /** The suite's build of sis-sync that spawned processes start from (test/support/command-build.ts). */
    command: { entry: string; preloads: Record<string, string> };
  }
}

/** Test-only modules a spawned process may import first (the fault suite's statement counter). */
const PRELOADS = ['test/faults/kill-at-statement.ts'];

export default async function setup(project: TestProject) {
  const workDir = mkdtempSync(path.join(tmpdir(), 'sis-sync-test-'));
  project.provide('workDir', workDir);
  const command = await buildCommand(fileURLToPath(new URL('..', import.meta.url)), PRELOADS);
  project.provide('command', { entry: command.entry, preloads: command.preloads });

  const adminUrl = process.env.TEST_DATABASE_URL;
  // Several runs may share one PostgreSQL (developers, CI, helpers): each names, and at the end
  // drops, only its own databases.
  const databasePrefix = `sis_sync_test_${randomBytes(4).toString('hex')}_`;
  project.provide('databasePrefix', databasePrefix);
  let templateDatabase = '';
  if (adminUrl !== undefined && adminUrl !== '') {
    project.provide('driver', 'postgres');
    project.provide('adminUrl', adminUrl);
    templateDatabase = `${databasePrefix}tpl`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${templateDatabase}`);
    await admin.query(`CREATE DATABASE ${templateDatabase}`);
    await admin.end();
    const handle = await openDatabase(
      { kind: 'postgres', url: withDatabase(adminUrl, templateDatabase) },
      { command: 'test' },
    );
    await migrateDatabase(handle);
    await installQueue(handle);
    await handle.close();
    project.provide('templateDatabase', templateDatabase);
    project.provide('pgliteDump', '');
  } else {
    project.provide('driver', 'pglite');
    project.provide('adminUrl', '');
    project.provide('templateDatabase', '');
    const handle = await openDatabase({ kind: 'pglite', dataDir: undefined }, { command: 'test' });
    await migrateDatabase(handle);
    await installQueue(handle);
    if (handle.dump === undefined) throw new Error('an embedded database can be dumped');
    const dump = await handle.dump();
    await handle.close();
    const dumpFile = path.join(workDir, 'migrated.tar');
    writeFileSync(dumpFile, Buffer.from(await dump.arrayBuffer()));
    project.provide('pgliteDump', dumpFile);
    // The browser tests (embedded database only) drive the built UI.
    buildUiIfStale();
  }

  return async () => {
    if (adminUrl !== undefined && adminUrl !== '') {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      const { rows } = await admin.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
        [databasePrefix],
      );
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      await admin.end();
    }
    rmSync(workDir, { recursive: true, force: true });
    rmSync(command.dir, { recursive: true, force: true });
  };
}

/** The job queue's tables, as every service creates them at start: in the template, once. */
async function installQueue(handle: DatabaseHandle): Promise<void> {
  const queue = createPgBossQueue(handle, createLogger({ level: 'silent' }));
  await queue.start();
  await queue.stop();
}

/** `vite build` when dist/web is missing or older than the UI's sources or the API contracts. */
function buildUiIfStale(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = path.join(root, 'dist/web/index.html');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
      const full = path.join(dir, entry.name);
      return Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
    }, 0);
  const sources = Math.max(newest(path.join(root, 'web')), newest(path.join(root, 'src/api/contracts')));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
