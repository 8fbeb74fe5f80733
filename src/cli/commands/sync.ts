import { stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';

import type { Command } from 'commander';
import { pino } from 'pino';

import type { Config } from '../../config/config.js';
import { withDevSecrets } from '../../config/dev-secrets.js';
import { databaseTargetFromConfig, openDatabase, type DatabaseHandle } from '../../db/client.js';
import { DataDirLockedError } from '../../db/data-dir-lock.js';
import { migrateDatabase } from '../../db/migrate.js';
import { buildDependencies, type Dependencies } from '../../dependencies.js';
import { ENTITY_TYPES } from '../../domain/entity.js';
import { TENANT_ID_PATTERN, type Principal } from '../../domain/roles.js';
import type { RunStatus } from '../../domain/run-status.js';
import { createLogger } from '../../lib/logger.js';
import { findRun, listRunErrors, requestCancel, type RunRow } from '../../repositories/runs-repository.js';
import type { RunTimings } from '../../sync/run-timings.js';

interface SyncOptions {
  csv?: string;
  provider?: string;
  tenant: string;
  dryRun: boolean;
  json: boolean;
}

/**
 * Exit codes: a script can tell a clean sync from one that needs a look. A run the command waited
 * for can only end in the first five; the others would mean it stopped waiting too early.
 */
export const SYNC_EXIT: Readonly<Record<RunStatus, number>> = {
  SUCCESS: 0,
  FAILURE: 1,
  CANCELLED: 1,
  PARTIAL: 2,
  HELD: 3,
  PENDING: 1,
  IN_PROGRESS: 1,
  DISCARDED: 1,
  SKIPPED: 1,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function syncCommand(program: Command, config: Config): void {
  program
    .command('sync')
    .description(
      'run one sync now and print its statistics: a stored provider, or a local OneRoster folder or zip',
    )
    .option(
      '--csv <path>',
      'a OneRoster 1.1 folder or zip on this machine (creates or reuses a provider for it)',
    )
    .option('--provider <id>', 'a stored provider')
    .option('--tenant <id>', 'tenant for --csv', 'default')
    .option('--dry-run', 'compute and store the changes, apply nothing', false)
    .option('--json', 'print the result as JSON', false)
    .action(async (options: SyncOptions) => {
      if ((options.csv === undefined) === (options.provider === undefined)) {
        throw new Error('give exactly one of --csv <path> or --provider <id>');
      }
      // Checked before the database opens: a typo must not leave a provider behind for a path
      // that does not exist, nor reach the database as a malformed id.
      if (options.provider !== undefined && !UUID.test(options.provider)) {
        throw new Error(
          `--provider ${options.provider} is not a provider id (a UUID, as GET /api/v1/tenants/<tenant>/providers lists)`,
        );
      }
      if (options.csv !== undefined) await assertPackagePath(options.csv);
      if (!new RegExp(TENANT_ID_PATTERN).test(options.tenant)) {
        throw new Error(`--tenant must match ${TENANT_ID_PATTERN}`);
      }
      const { config: withKeys } = withDevSecrets(config);
      const handle = await openForCli(withKeys);
      let deps: Dependencies | undefined;
      try {
        await migrateDatabase(handle);
        // Logs go to stderr: stdout carries the result (and JSON must stay parseable).
        const logger = createLogger({ level: withKeys.logLevel, destination: pino.destination(2) });
        deps = buildDependencies(withKeys, handle, logger, { worker: 'own-runs' });
        await deps.start();
        const principal: Principal = {
          subject: `cli:${userInfo().username}`,
          roles: ['PLATFORM_ADMIN'],
          tenantId: undefined,
        };
        const providerId =
          options.provider ?? (await providerForFolder(deps, principal, options.tenant, options.csv!));
        const run = await runWithProgress(deps, handle, principal, providerId, options);
        const errors = await listRunErrors(handle.db, run.id, { limit: 20, offset: 0 });
        if (options.json) {
          console.log(
            JSON.stringify(
              { ...summary(run), errors: errors.errors.map((e) => e.message), errorCount: errors.total },
              null,
              2,
            ),
          );
        } else {
          printReport(
            run,
            errors.errors.map((e) => `${e.severity === 'warning' ? 'warning' : 'error'}: ${e.message}`),
            errors.total,
          );
        }
        process.exitCode = SYNC_EXIT[run.status];
      } finally {
        await deps?.stop();
        await handle.close();
      }
    });
}

/** The embedded database belongs to one process: when a server holds it, say so and stop. */
async function openForCli(config: Config): Promise<DatabaseHandle> {
  try {
    return await openDatabase(databaseTargetFromConfig(config), { command: 'sis-sync sync' });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      throw new Error(
        `${error.message}\nTo sync through the running server instead: POST /api/v1/providers/<id>/sync (see /docs).`,
      );
    }
    throw error;
  }
}

async function assertPackagePath(csv: string): Promise<void> {
  const localPath = path.resolve(csv);
  try {
    const info = await stat(localPath);
    if (info.isDirectory() || info.isFile()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(`--csv ${localPath} does not exist; name a OneRoster 1.1 folder or zip file`);
  }
  throw new Error(`--csv ${localPath} is neither a folder nor a zip file`);
}

/** A CSV provider for a local folder, found by its path, or created. */
async function providerForFolder(
  deps: Dependencies,
  principal: Principal,
  tenantId: string,
  csv: string,
): Promise<string> {
  const localPath = path.resolve(csv);
  for (const provider of await deps.providers.list({ principal }, tenantId)) {
    if (provider.providerType !== 'ONEROSTER_CSV') continue;
    const loaded = await deps.providers.loadConfig(provider.id);
    if (loaded?.config.localPath === localPath) return provider.id;
  }
  const name = localPath.length <= 180 ? `Local CSV ${localPath}` : `Local CSV …${localPath.slice(-170)}`;
  const created = await deps.providers.create(
    { principal },
    { tenantId, providerType: 'ONEROSTER_CSV', name, config: { localPath } },
  );
  return created.id;
}

async function runWithProgress(
  deps: Dependencies,
  handle: DatabaseHandle,
  principal: Principal,
  providerId: string,
  options: SyncOptions,
): Promise<RunRow> {
  const started = await deps.runs.trigger({ principal }, providerId, {
    dryRun: options.dryRun,
    trigger: 'CLI',
  });
  const interactive = process.stderr.isTTY && !options.json;
  let cancelled = false;
  const onSignal = () => {
    if (cancelled) process.exit(130);
    cancelled = true;
    process.stderr.write(
      '\ncancelling: the run stops at its next batch and rolls back (Ctrl-C again to quit now)\n',
    );
    // A failed request must not crash the command mid-run as an unhandled rejection.
    requestCancel(handle.db, started.id).catch((error: unknown) => {
      process.stderr.write(`could not request the cancel: ${(error as Error).message}\n`);
    });
  };
  process.on('SIGINT', onSignal);
  // One poll at a time: on the embedded database a poll waits behind the load's transaction, and
  // polls piling up there would all print stale lines (or fail on the closed handle) at the end.
  let poll: Promise<void> | undefined;
  const timer = interactive
    ? setInterval(() => {
        poll ??= findRun(handle.db, started.id)
          .then((run) => {
            if (run !== undefined) process.stderr.write(`\r\x1b[K${progressLine(run)}`);
          })
          .catch(() => undefined)
          .finally(() => {
            poll = undefined;
          });
      }, 250)
    : undefined;
  try {
    // Executed here once a slot of the deployment is free, unless a worker of a running
    // server (same PostgreSQL) takes it first; either way, wait for its end.
    await deps.worker!.runHere({ kind: 'sync', runId: started.id, providerId });
    await waitForEnd(handle, started.id);
  } finally {
    if (timer !== undefined) clearInterval(timer);
    await poll;
    if (interactive) process.stderr.write('\r\x1b[K');
    process.off('SIGINT', onSignal);
  }
  return (await findRun(handle.db, started.id))!;
}

/** Until the run ends or is held for review. */
async function waitForEnd(handle: DatabaseHandle, runId: string): Promise<void> {
  for (;;) {
    const run = await findRun(handle.db, runId);
    if (run === undefined || !(run.status === 'PENDING' || run.status === 'IN_PROGRESS')) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function progressLine(run: RunRow): string {
  const progress = run.progress as { entity?: string; staged?: Record<string, number> };
  const staged = Object.entries(progress.staged ?? {})
    .map(([entity, n]) => `${entity} ${n.toLocaleString('en-US')}`)
    .join(', ');
  const bar = ['extracting', 'preparing', 'loading', 'previewing', 'done'];
  const step = Math.max(0, bar.indexOf(run.phase ?? 'extracting'));
  const filled = Math.round(((step + 1) / bar.length) * 20);
  return `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${run.phase ?? 'queued'}${staged === '' ? '' : `: ${staged}`}`;
}

function summary(run: RunRow) {
  return {
    runId: run.id,
    providerId: run.providerId,
    tenantId: run.tenantId,
    status: run.status,
    dryRun: run.dryRun,
    durationMs:
      run.startedAt === null || run.finishedAt === null
        ? null
        : run.finishedAt.getTime() - run.startedAt.getTime(),
    stats: run.stats,
    timings: (run.progress as { timings?: RunTimings } | null)?.timings ?? null,
    incompleteEntities: run.incompleteEntities,
    heldReason:
      run.heldReason === null ? null : { entities: (run.heldReason as { entities?: unknown }).entities },
    errorMessage: run.errorMessage,
  };
}

function printReport(run: RunRow, errors: string[], errorTotal: number): void {
  const s = summary(run);
  const seconds = s.durationMs === null ? '' : ` in ${(s.durationMs / 1000).toFixed(1)} s`;
  console.log(`run ${run.id}: ${run.status}${run.dryRun ? ' (dry run: nothing applied)' : ''}${seconds}`);
  if (run.errorMessage !== null) console.log(run.errorMessage);
  const columns = ['created', 'updated', 'unchanged', 'deactivated', 'reactivated', 'errors'] as const;
  console.log(['entity'.padEnd(12), ...columns.map((c) => c.padStart(12))].join(''));
  for (const entity of ENTITY_TYPES) {
    const stats = run.stats[entity];
    if (stats === undefined) continue;
    console.log(
      [entity.padEnd(12), ...columns.map((c) => stats[c].toLocaleString('en-US').padStart(12))].join(''),
    );
  }
  if (run.status === 'HELD') {
    console.log(
      'held for review: more records would be deactivated than the provider allows. ' +
        `Review with GET /api/v1/runs/${run.id}/changes, then POST /api/v1/runs/${run.id}/approve or /discard.`,
    );
  }
  for (const line of errors) console.log(line);
  if (errorTotal > errors.length) {
    console.log(`... and ${errorTotal - errors.length} more: GET /api/v1/runs/${run.id}`);
  }
}
