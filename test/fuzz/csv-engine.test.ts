import { writeFileSync } from 'node:fs';
import path from 'node:path';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ONEROSTER_ENTITIES } from '../../src/connectors/oneroster/entities.js';
import { storableText } from '../../src/lib/storable.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { csvOf, smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, rows, syncNow } from '../support/sync.js';
import { extractEntity } from './csv-extract.js';
import { junk } from './csv-junk.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/*
 * Fuzzed users.csv files through whole engine runs: the run ends (never FAILURE), every error the
 * connector reported is in sis_sync_run_errors with its file, line, field and code, and a file
 * the reader declared incomplete deactivates no one.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const RUNS = 4;
const USERS = ONEROSTER_ENTITIES.users.columns;

interface ErrorRow {
  source_file: string | null;
  source_line: number | null;
  field: string | null;
  code: string;
  message: string;
}

let tenants = 0;

describe('fuzz: damaged users.csv through the engine', () => {
  it(
    'a run with errors ends staged and recorded, and an incomplete file deactivates no one',
    async () => {
      const district = smallDistrict();
      const nulRow = { ...district.users[0]!, sourcedId: 'u-nul', username: 'nul', givenName: 'N\u0000ull' };
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: district.users.length }), junk, async (kept, bytes) => {
          const tenantId = `fuzz-${++tenants}`;
          const dir = writePackage(district);
          const provider = await csvProvider(t, tenantId, dir);
          expect((await syncNow(t, provider)).status).toBe('SUCCESS');

          // Some of the users' rows, then the junk: the others would be deactivated, were the file whole.
          const head = csvOf(USERS, district.users.slice(0, kept));
          writeFileSync(path.join(dir, 'users.csv'), Buffer.concat([Buffer.from(head), bytes]));
          const read = await extractEntity(dir, 'users');
          const run = await syncNow(t, provider);

          expect(['SUCCESS', 'PARTIAL', 'HELD']).toContain(run.status);
          const recorded = await rows<ErrorRow>(
            t,
            `SELECT source_file, source_line, field, code, message FROM sis_sync_run_errors
             WHERE run_id = '${run.id}' AND entity = 'users'`,
          );
          const expected = [
            ...read.errors.map((e) => ({
              source_file: e.source.file ?? null,
              source_line: e.source.line ?? null,
              field: e.field === null ? null : storableText(e.field),
              code: e.code,
              message: storableText(e.message),
            })),
            ...read.incomplete.map((p) => ({
              source_file: p.source.file ?? null,
              source_line: p.source.line ?? null,
              field: null,
              code: p.code,
              message: storableText(`${p.message}; nothing of users is deactivated in this run`),
            })),
          ];
          expect(recorded).toEqual(expect.arrayContaining(expected));
          if (read.incomplete.length > 0) {
            expect(run.incompleteEntities).toContain('users');
            const [active] = await rows<{ n: number }>(
              t,
              `SELECT count(*)::int AS n FROM users WHERE tenant_id = '${tenantId}' AND active`,
            );
            expect(active!.n).toBeGreaterThanOrEqual(district.users.length);
          }
        }),
        fuzzParameters<[number, Buffer]>(RUNS, {
          exampleTimeoutMs: 60_000,
          examples: [
            // Truncated in an open quote after two users: incomplete, no one deactivated.
            [2, Buffer.from('u-new,,,true,sch-1,student,"cut off')],
            // A NUL in a name: that user is an error (the database cannot store it), the run goes on.
            [5, Buffer.from(csvOf(USERS, [nulRow]).split('\n')[1]!)],
          ],
        }),
      );
    },
    fuzzTimeout(RUNS + 2, 60_000),
  );
});
