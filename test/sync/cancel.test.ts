import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { claimRun, createRun, requestCancel } from '../../src/repositories/runs-repository.js';
import { executeRun } from '../../src/sync/execute-run.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider } from '../support/sync.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

describe(`cancelling on ${driver}`, () => {
  it('a run cancelled before it reached the provider ends CANCELLED without reaching it', async () => {
    const providerId = await csvProvider(t, 'queued-cancel', writePackage(smallDistrict()));
    const queued = await createRun(t.handle.db, {
      tenantId: 'queued-cancel',
      providerId,
      trigger: 'MANUAL',
      triggeredBy: 'test',
      dryRun: false,
    });
    if (!queued.created) throw new Error('the provider had an active run already');
    // Taken by a worker, then cancelled before it reached the provider (what shutdown does).
    await t.handle.db.transaction((tx) => claimRun(tx, queued.run.id, 'sync', 'test-worker'));
    await requestCancel(t.handle.db, queued.run.id);

    let opened = 0;
    const engine = {
      ...t.deps.engine,
      createConnector: (...args: Parameters<typeof t.deps.engine.createConnector>) => {
        const connector = t.deps.engine.createConnector(...args);
        return {
          ...connector,
          open: (ctx: Parameters<typeof connector.open>[0]) => {
            opened += 1;
            return connector.open(ctx);
          },
        };
      },
    };
    const run = await executeRun(engine, queued.run.id);

    expect(run?.status).toBe('CANCELLED');
    expect(run?.errorMessage).toContain('nothing was applied');
    expect(opened).toBe(0);
  });
});
