import { describe, expect, it } from 'vitest';

import { driver } from '../support/database.js';
import {
  FAST_HTTP,
  cleanThenFaulty,
  faultMatrix,
  runProblems,
  useFaultFixture,
  type FaultAuth,
} from './oneroster-api-helpers.js';

/*
 * The fault matrix for ONEROSTER_API (the cases are in oneroster-api-helpers.ts, shared with
 * ClassLink), and a collection whose total moves while it is being pulled.
 */

const f = useFaultFixture();

const config = (auth: FaultAuth): Record<string, unknown> => ({
  baseUrl: f.server.baseUrl,
  clientId: 'key',
  clientSecret: 'secret',
  pageSize: 50,
  http: FAST_HTTP,
  ...(auth === 'token' ? { authMethod: 'oauth2', tokenUrl: f.server.tokenUrl } : {}),
});

describe(`ONEROSTER_API faults on ${driver}`, () => {
  faultMatrix(f, 'ONEROSTER_API', config);

  // A record added or removed between two pages shifts every later record by one offset: a
  // pull that went on would skip or repeat one, so the total moving ends the entity.
  (
    [
      ['grow', 'users', 1],
      ['shrink', 'enrollments', -1],
    ] as const
  ).forEach(([kind, collection, moved], i) => {
    const fault = `${kind}@${collection}`;
    it(`${fault}: a total that moves during the pull leaves ${collection} incomplete and deactivates nothing`, async () => {
      const total = f.district.source.collections[collection].length;
      const { run, before, after, deactivated } = await cleanThenFaulty(
        f.t,
        f.server,
        { type: 'ONEROSTER_API', tenant: `moved-${i}`, config: config('signed') },
        fault,
      );
      expect(run.status).toBe('PARTIAL');
      expect(deactivated).toBe(0);
      expect(after).toEqual(before);
      const problems = (await runProblems(f.t, run)).filter((p) => p.code === 'total_changed');
      expect(problems).toEqual([
        {
          entity: collection,
          code: 'total_changed',
          message: `/ims/oneroster/v1p1/${collection} at offset 50: X-Total-Count moved from ${total} to ${total + moved} during the pull; the collection is incomplete; nothing of ${collection} is deactivated in this run`,
          sourcePage: 'offset=50',
        },
      ]);
    });
  });
});
