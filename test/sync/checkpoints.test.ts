import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Connector, ExtractMode, ExtractSession } from '../../src/connectors/connector.js';
import { ENTITY_TYPES, type EntityType } from '../../src/domain/entity.js';
import type { ExtractedRecord, SchoolRecord } from '../../src/domain/records.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { writePackage, smallDistrict } from '../support/oneroster-package.js';
import { csvProvider, syncNow } from '../support/sync.js';

/*
 * The engine keeps the checkpoint a connector hands back and passes it to the next pull, but
 * only from runs that were applied: a delta must start where the roster actually is.
 */

interface Pull {
  /** What the engine passed to open(). */
  received: string | null | undefined;
}

/** What the next pull of the scripted connector does. */
interface Script {
  checkpoint: string | null;
  /** Report the schools pull incomplete. */
  incomplete?: boolean;
  /** Fail while opening. */
  fail?: boolean;
}

function school(id: string, name: string): ExtractedRecord<'schools'> {
  const data: SchoolRecord = { name, identifier: null, orgType: 'school', parentExternalId: null };
  return { externalId: id, deleted: false, data, raw: null, source: { page: '/schools' } };
}

/** A connector that delivers two schools and an empty terms snapshot, as scripted per pull. */
function scriptedConnector(pulls: Pull[], next: () => Script): Connector {
  return {
    type: 'ONEROSTER_API',
    testConnection: () => Promise.resolve({ summary: 'scripted', details: {} }),
    open(ctx) {
      pulls.push({ received: ctx.checkpoint });
      const script = next();
      if (script.fail === true) return Promise.reject(new Error('the provider is down'));
      const modes = Object.fromEntries(
        ENTITY_TYPES.map((e): [EntityType, ExtractMode] => [
          e,
          e === 'schools' || e === 'terms' ? 'snapshot' : 'absent',
        ]),
      ) as Record<EntityType, ExtractMode>;
      const session: ExtractSession = {
        modes,
        sourceInfo: {},
        warnings: [],
        checkpoint: script.checkpoint,
        // eslint-disable-next-line @typescript-eslint/require-await -- the batches are at hand
        async *extract(entity, onIncomplete) {
          if (entity !== 'schools') return;
          if (script.incomplete === true) {
            onIncomplete({
              entity,
              code: 'page_failed',
              message: 'page 2 failed',
              source: { page: '/schools' },
            });
          }
          // entity is 'schools' here; TypeScript cannot narrow the generic E from that.
          const records = [school('s-1', 'North'), school('s-2', 'South')] as ExtractedRecord<
            typeof entity
          >[];
          yield { records, errors: [] };
        },
        close: () => Promise.resolve(),
      };
      return Promise.resolve(session);
    },
  };
}

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

describe(`delta checkpoints on ${driver}`, () => {
  it('pass the last applied run’s checkpoint to the next pull, skipping dry, failed and incomplete runs', async () => {
    const providerId = await csvProvider(t, 'checkpoints', writePackage(smallDistrict()));
    const pulls: Pull[] = [];
    const scripts: Script[] = [
      { checkpoint: 'c1' }, // applied: SUCCESS
      { checkpoint: 'c2' }, // a dry run: applies nothing, so c2 is never a base
      { checkpoint: 'c3', fail: true }, // fails while opening
      { checkpoint: 'c4', incomplete: true }, // PARTIAL with an incomplete entity: no base
      { checkpoint: 'c5' }, // applied again, from a full pull
      { checkpoint: null },
    ];
    const original = t.deps.engine.createConnector.bind(t.deps.engine);
    t.deps.engine.createConnector = () => scriptedConnector(pulls, () => scripts.shift()!);
    try {
      expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
      expect((await syncNow(t, providerId, { dryRun: true })).status).toBe('SUCCESS');
      expect((await syncNow(t, providerId)).status).toBe('FAILURE');
      expect((await syncNow(t, providerId)).status).toBe('PARTIAL');
      expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
      expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
    } finally {
      t.deps.engine.createConnector = original;
    }
    expect(pulls.map((p) => p.received)).toEqual([null, 'c1', 'c1', 'c1', null, 'c5']);
  });
});
