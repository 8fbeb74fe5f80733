import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import pg from 'pg';

/*
 * A private PostgreSQL server for a test that restarts it: initdb into a temporary folder with the
 * installed server binaries, on a free port, with its socket in that folder; never the shared
 * server other suites use. Run as the `postgres` user when the test runs as root (the server
 * refuses root).
 */

const run = promisify(execFile);

export interface PostgresCluster {
  /** The URL of `database` on this server (trust authentication, user postgres). */
  url(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
  /** `pg_ctl restart -m <mode>`: resolves once the server accepts connections again. */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  /** The argv of that restart, for a process that runs it itself. */
  restartCommand(mode: 'fast' | 'immediate'): string[];
  stop(): Promise<void>;
}

/** The folder of the newest installed server's binaries (initdb, pg_ctl), if any. */
export function postgresBinaries(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // no pg_config on the PATH
  }
  const installed = '/usr/lib/postgresql';
  if (existsSync(installed)) {
    const versions = readdirSync(installed).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(installed, v, 'bin')));
  }
  return candidates.find(
    (dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')),
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startPostgresCluster(bindir: string): Promise<PostgresCluster> {
  const asRoot = userInfo().uid === 0;
  const as = (argv: string[]) => (asRoot ? ['runuser', '-u', 'postgres', '--', ...argv] : argv);
  const exec = async (argv: string[]) => {
    const [file, ...args] = as(argv);
    await run(file!, args, { timeout: 60_000 });
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'sis-sync-pg-'));
  if (asRoot) {
    const postgres = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(dir, Number(postgres), Number(postgres));
  }
  const data = path.join(dir, 'data');
  const port = await freePort();
  await exec([
    path.join(bindir, 'initdb'),
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const pgCtl = (...args: string[]) => [path.join(bindir, 'pg_ctl'), '-D', data, '-w', '-t', '60', ...args];
  const log = path.join(dir, 'server.log');
  await exec(
    pgCtl('-l', log, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'),
  );
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    url,
    async createDatabase(name, template) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        // FILE_COPY checkpoints around the copy: with the default WAL_LOG strategy, crash recovery
        // after an immediate restart replays a copied sequence page and hands out its values again.
        await client.query(
          `CREATE DATABASE ${name}${template === undefined ? '' : ` TEMPLATE ${template} STRATEGY FILE_COPY`}`,
        );
      } finally {
        await client.end();
      }
    },
    // With its log file named, as at the start: otherwise the new server writes to pg_ctl's own
    // output, which then never closes, and the restart looks like it took the whole timeout.
    restart: (mode) => exec(pgCtl('-l', log, '-m', mode, 'restart')),
    restartCommand: (mode) => as(pgCtl('-l', log, '-m', mode, 'restart')),
    async stop() {
      await exec(pgCtl('-m', 'immediate', 'stop')).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
