import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DatabaseHandle } from '../../src/db/client.js';
import { sisProviders, sisSyncRuns, tenants } from '../../src/db/schema/index.js';
import { RUN_STATUSES, canTransition, type RunStatus } from '../../src/domain/run-status.js';
import { createTestDatabase, driver } from '../support/database.js';

/*
 * The database mirrors the run state table of src/domain/run-status.ts: for every pair of
 * states, the trigger allows exactly the moves the code allows.
 */
let handle: DatabaseHandle;
const providerId = '11111111-1111-4111-8111-111111111111';

beforeAll(async () => {
  handle = await createTestDatabase();
  await handle.db.insert(tenants).values({ id: 't1', name: 't1' });
  await handle.db.insert(sisProviders).values({
    id: providerId,
    tenantId: 't1',
    providerType: 'CLEVER',
    name: 'p',
    configCiphertext: 'v1.x',
    configKeyId: 'k',
    createdBy: 'test',
    updatedBy: 'test',
  });
});
afterAll(async () => handle.close());

/** A run forced into `status` (the trigger is bypassed to set up the starting state). */
async function runIn(status: RunStatus): Promise<string> {
  return handle.withSession(async (session) => {
    await session.exec('ALTER TABLE sis_sync_runs DISABLE TRIGGER sis_sync_runs_transition');
    try {
      const [row] = await session.query<{ id: string }>(
        `INSERT INTO sis_sync_runs (tenant_id, provider_id, status, trigger) VALUES ('t1', $1, $2, 'MANUAL') RETURNING id`,
        [providerId, status],
      );
      return row!.id;
    } finally {
      await session.exec('ALTER TABLE sis_sync_runs ENABLE TRIGGER sis_sync_runs_transition');
    }
  });
}

describe(`run state trigger on ${driver}`, () => {
  it('creates runs as PENDING only', async () => {
    await expect(
      handle.db
        .insert(sisSyncRuns)
        .values({ tenantId: 't1', providerId, status: 'SUCCESS', trigger: 'MANUAL' }),
    ).rejects.toThrow();
    const [run] = await handle.db
      .insert(sisSyncRuns)
      .values({ tenantId: 't1', providerId, trigger: 'MANUAL' })
      .returning();
    expect(run?.status).toBe('PENDING');
    await handle.db.delete(sisSyncRuns);
  });

  it('allows exactly the transitions of the code table', async () => {
    const mismatches: string[] = [];
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) {
        if (from === to) continue;
        const id = await runIn(from);
        let allowed = true;
        try {
          await handle.db.update(sisSyncRuns).set({ status: to }).where(eq(sisSyncRuns.id, id));
        } catch {
          allowed = false;
        }
        if (allowed !== canTransition(from, to)) {
          mismatches.push(`${from} -> ${to}: db ${allowed ? 'allows' : 'refuses'}`);
        }
        await handle.db.delete(sisSyncRuns).where(eq(sisSyncRuns.id, id));
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses an unknown status by check constraint', async () => {
    await expect(handle.db.execute(sql`UPDATE sis_sync_runs SET status = 'DONE'`)).resolves.toBeDefined();
    await runIn('PENDING');
    await expect(handle.db.execute(sql`UPDATE sis_sync_runs SET status = 'DONE'`)).rejects.toThrow();
  });

  it('holds one active run per provider', async () => {
    await handle.db.delete(sisSyncRuns);
    await handle.db.insert(sisSyncRuns).values({ tenantId: 't1', providerId, trigger: 'MANUAL' });
    await expect(
      handle.db.insert(sisSyncRuns).values({ tenantId: 't1', providerId, trigger: 'SCHEDULE' }),
    ).rejects.toThrow();
  });
});
