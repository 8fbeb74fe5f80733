import { sql } from 'drizzle-orm';

import type { EntityType } from '../../src/domain/entity.js';
import type { Principal } from '../../src/domain/roles.js';
import type { RunRow } from '../../src/repositories/runs-repository.js';
import { findRun } from '../../src/repositories/runs-repository.js';
import type { RunTimings } from '../../src/sync/run-timings.js';
import type { TestApp } from './app.js';

export const platformAdmin: Principal = {
  subject: 'test-admin',
  roles: ['PLATFORM_ADMIN'],
  tenantId: undefined,
};

/** A CSV provider over a local folder, created through the service. */
export async function csvProvider(
  t: TestApp,
  tenantId: string,
  localPath: string,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const view = await t.deps.providers.create(
    { principal: platformAdmin },
    {
      tenantId,
      providerType: 'ONEROSTER_CSV',
      name: `CSV ${localPath}`,
      config: { localPath },
      ...overrides,
    },
  );
  return view.id;
}

/** Triggers a run and waits for the runner to finish everything. */
export async function syncNow(
  t: TestApp,
  providerId: string,
  options: { dryRun?: boolean } = {},
): Promise<RunRow> {
  const run = await t.deps.runs.trigger({ principal: platformAdmin }, providerId, {
    dryRun: options.dryRun ?? false,
  });
  await t.idle();
  return (await findRun(t.handle.db, run.id))!;
}

/**
 * A provider's first run into a tenant other providers already feed is held for the review of its
 * re-links: approves such a hold (and only that), as an admin who checked it would, and waits.
 */
export async function approveRelinkReview(t: TestApp, run: RunRow): Promise<RunRow> {
  const reason = run.heldReason as { entities?: unknown[]; relinks?: unknown } | null;
  if (run.status !== 'HELD' || reason?.relinks === undefined || (reason.entities ?? []).length > 0) {
    return run;
  }
  await t.deps.runs.approve({ principal: platformAdmin }, run.id);
  await t.idle();
  return (await findRun(t.handle.db, run.id))!;
}

export async function rows<T = Record<string, unknown>>(t: TestApp, query: string): Promise<T[]> {
  const result = await t.handle.db.execute(sql.raw(query));
  return (result as { rows: T[] }).rows;
}

/** The entities a run skipped as unchanged since the last applied run, sorted. */
export function skippedOf(run: RunRow): EntityType[] {
  const timings = (run.progress as { timings?: RunTimings }).timings;
  return (Object.entries(timings?.entities ?? {}) as [EntityType, { skipped?: boolean }][])
    .filter(([, e]) => e.skipped === true)
    .map(([entity]) => entity)
    .sort();
}

/** A run's per-record errors and warnings, in the order recorded. */
export function runErrorsOf(t: TestApp, run: RunRow) {
  return rows<{ entity: string; code: string; severity: string; message: string }>(
    t,
    `SELECT entity, code, severity, message FROM sis_sync_run_errors WHERE run_id = '${run.id}' ORDER BY id`,
  );
}
