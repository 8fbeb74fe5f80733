import { sql } from 'drizzle-orm';

import type { Principal } from '../../src/domain/roles.js';
import type { RunRow } from '../../src/repositories/runs-repository.js';
import { findRun } from '../../src/repositories/runs-repository.js';
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

export async function rows<T = Record<string, unknown>>(t: TestApp, query: string): Promise<T[]> {
  const result = await t.handle.db.execute(sql.raw(query));
  return (result as { rows: T[] }).rows;
}
