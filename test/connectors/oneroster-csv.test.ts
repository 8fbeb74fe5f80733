import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { ONEROSTER_ENTITIES } from '../../src/connectors/oneroster/entities.js';
import { createOneRosterCsvConnector } from '../../src/connectors/oneroster-csv/csv-connector.js';
import type { EntityType } from '../../src/domain/entity.js';
import { createLogger } from '../../src/lib/logger.js';
import type { RunErrorRow } from '../../src/repositories/runs-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { csvOf, smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, syncNow } from '../support/sync.js';

const OAT_SA = fileURLToPath(new URL('../fixtures/oneroster-oat-sa', import.meta.url));
const logger = createLogger({ level: 'silent' });

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

async function errorsOf(runId: string): Promise<RunErrorRow[]> {
  return (await t.deps.runs.getRun({ principal: platformAdmin }, runId, { limit: 500, offset: 0 })).errors
    .errors;
}

/** Every record the connector yields for an entity, and its errors. */
async function extractAll(dir: string, entity: EntityType) {
  const session = await createOneRosterCsvConnector({ localPath: dir }).open({
    signal: new AbortController().signal,
    logger,
  });
  const records = [];
  const errors = [];
  const incomplete: string[] = [];
  for await (const batch of session.extract(entity, (p) => incomplete.push(p.message))) {
    records.push(...batch.records);
    errors.push(...batch.errors);
  }
  await session.close();
  return { records, errors, incomplete, session };
}

describe('OneRoster CSV reading', () => {
  it('handles BOM, CRLF and CR-only endings, quoted commas and newlines, list cells, boolean case, leading zeros', async () => {
    const dir = writePackage(smallDistrict());
    const users = [
      {
        sourcedId: '007',
        enabledUser: 'FALSE',
        orgSourcedIds: 'sch-1,sch-2',
        role: 'Teacher',
        username: 'bond',
        givenName: 'James, Jr.',
        familyName: 'Bond "007"',
        middleName: 'Herbert\nHenry',
        identifier: '000042',
        userIds: '{LDAP:12},{Fed:0099}',
      },
    ];
    const text = csvOf(ONEROSTER_ENTITIES.users.columns, users, '\r');
    writeFileSync(path.join(dir, 'users.csv'), `\ufeff${text}`);
    writeFileSync(
      path.join(dir, 'orgs.csv'),
      readFileSync(path.join(dir, 'orgs.csv'), 'utf8').replace(/\n/g, '\r\n'),
    );
    const { records, errors } = await extractAll(dir, 'users');
    expect(errors).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      externalId: '007',
      data: {
        enabled: false,
        role: 'teacher',
        schoolExternalIds: ['sch-1', 'sch-2'],
        givenName: 'James, Jr.',
        familyName: 'Bond "007"',
        middleName: 'Herbert\nHenry',
        identifier: '000042',
        userIds: [
          { type: 'LDAP', identifier: '12' },
          { type: 'Fed', identifier: '0099' },
        ],
      },
    });
    expect((await extractAll(dir, 'schools')).records).toHaveLength(3);
  });

  it('never keeps a password from users.csv', async () => {
    const dir = writePackage({
      ...smallDistrict(),
      users: smallDistrict().users.map((u) => ({ ...u, password: 'hunter2-SECRET' })),
    });
    const { records } = await extractAll(dir, 'users');
    expect(JSON.stringify(records)).not.toContain('hunter2-SECRET');
  });

  it('reads a zip package', async () => {
    const dir = writePackage(smallDistrict());
    const zip = path.join(mkdtempSync(path.join(inject('workDir'), 'zip-')), 'package.zip');
    execFileSync('python3', [
      '-c',
      `import shutil; shutil.make_archive(${JSON.stringify(zip.slice(0, -4))}, 'zip', ${JSON.stringify(dir)})`,
    ]);
    const session = await createOneRosterCsvConnector({ localPath: zip }).open({
      signal: new AbortController().signal,
      logger,
    });
    expect(session.modes).toMatchObject({ users: 'snapshot', enrollments: 'snapshot' });
    let n = 0;
    for await (const batch of session.extract('enrollments', () => undefined)) n += batch.records.length;
    await session.close();
    expect(n).toBe(6);
  });

  it('refuses a package without a manifest, and one of a version it does not read, by name', async () => {
    const dir = writePackage(smallDistrict());
    writeFileSync(path.join(dir, 'manifest.csv'), 'propertyName,value\noneroster.version,1.0\n');
    await expect(
      createOneRosterCsvConnector({ localPath: dir }).open({ signal: new AbortController().signal, logger }),
    ).rejects.toThrow(
      'manifest.csv declares OneRoster 1.0; this connector reads OneRoster 1.1 and 1.2 packages',
    );
    const empty = mkdtempSync(path.join(inject('workDir'), 'empty-'));
    await expect(
      createOneRosterCsvConnector({ localPath: empty }).open({
        signal: new AbortController().signal,
        logger,
      }),
    ).rejects.toThrow('manifest.csv is missing');
  });

  it('names unknown files and files the manifest does not list', async () => {
    const dir = writePackage(smallDistrict());
    writeFileSync(path.join(dir, 'notes.csv'), 'a\n1\n');
    writeFileSync(
      path.join(dir, 'manifest.csv'),
      readFileSync(path.join(dir, 'manifest.csv'), 'utf8').replace('file.courses,bulk\n', ''),
    );
    const { session } = await extractAll(dir, 'schools');
    expect(session.warnings.map((w) => w.message)).toEqual(
      expect.arrayContaining([
        'notes.csv is not a OneRoster 1.1 file and is ignored',
        'courses.csv is in the package but manifest.csv has no file.courses row; it is ignored',
      ]),
    );
    expect(session.modes.courses).toBe('absent');
  });
});

describe(`defective packages through the engine on ${driver}`, () => {
  it('the public oat-sa sample: non-spec columns and header-only files, each deviation named, nothing lost', async () => {
    const providerId = await csvProvider(t, 'oat-sa', OAT_SA);
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('PARTIAL');
    expect(run.stats.users).toMatchObject({ created: 2, errors: 0 });
    expect(run.stats.schools).toMatchObject({ created: 2 });
    const errors = await errorsOf(run.id);
    const messages = errors.map((e) => e.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'academicSessions.csv: required column "schoolYear" is missing from the header; nothing of terms is deactivated in this run',
        'users.csv: column "userId" is not a OneRoster 1.1 column and is ignored',
        'users.csv: columns are not in the OneRoster 1.1 order; they are read by name',
        'classes.csv line 2: courseSourcedId is required',
        'courses.csv: column "schoolYearId" is not a OneRoster 1.1 column and is ignored',
      ]),
    );
    const classError = errors.find((e) => e.code === 'missing_required' && e.externalId === 'class1');
    expect(classError).toMatchObject({
      entity: 'classes',
      sourceFile: 'classes.csv',
      sourceLine: 2,
      field: 'courseSourcedId',
      severity: 'error',
    });
    const dangling = errors.filter((e) => e.code === 'dangling_reference' && e.entity === 'enrollments');
    expect(dangling.map((e) => e.externalId).sort()).toEqual(['enrol1', 'enrol2', 'enrol3']);
    expect(dangling[0]?.message).toBe(
      'enrollment enrol1 refers to class class1, which is not in this pull and not known from earlier syncs (classExternalId); the enrollment is not applied',
    );
  });

  it('a missing required column fails that file only, and deactivates nothing of it', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'missing-column', dir);
    await syncNow(t, providerId);
    const columns = ONEROSTER_ENTITIES.users.columns.filter((c) => c !== 'username');
    writeFileSync(path.join(dir, 'users.csv'), csvOf(columns, smallDistrict().users.slice(0, 2)));
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('PARTIAL');
    expect(run.incompleteEntities).toEqual(['users']);
    expect(run.stats.users).toMatchObject({ deactivated: 0, created: 0 });
    expect((await errorsOf(run.id)).map((e) => e.message)).toContain(
      'users.csv: required column "username" is missing from the header; nothing of users is deactivated in this run',
    );
    const [n] = await rows<{ n: number }>(
      t,
      "SELECT count(*)::int AS n FROM users WHERE tenant_id = 'missing-column' AND active",
    );
    expect(n?.n).toBe(5);
  });

  it('a bad enumeration is a per-record error with file, line and field; the stored record is kept', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'bad-enum', dir);
    await syncNow(t, providerId);
    const d = smallDistrict();
    d.users[1] = { ...d.users[1]!, role: 'principal', givenName: 'Changed' };
    writePackage(d, { dir });
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('PARTIAL');
    expect(run.stats.users).toMatchObject({ errors: 1, deactivated: 0, updated: 0 });
    const [error] = (await errorsOf(run.id)).filter((e) => e.entity === 'users');
    expect(error).toMatchObject({
      externalId: 'u-s1',
      sourceFile: 'users.csv',
      sourceLine: 3,
      field: 'role',
      code: 'invalid_value',
      message:
        'users.csv line 3: role: "principal" is not a OneRoster 1.1 user role (administrator, aide, guardian, parent, proctor, relative, student, teacher)',
    });
    const [alan] = await rows<{ given_name: string; active: boolean }>(
      t,
      "SELECT given_name, active FROM users WHERE tenant_id = 'bad-enum' AND identifier = '000123'",
    );
    expect(alan).toEqual({ given_name: 'Alan', active: true });
  });

  it('duplicate sourcedIds: every copy reported with its line, none applied, none deactivated', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'dupes', dir);
    await syncNow(t, providerId);
    const d = smallDistrict();
    d.users.push({ ...d.users[2]!, givenName: 'Other Grace' });
    writePackage(d, { dir });
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('PARTIAL');
    const dupes = (await errorsOf(run.id)).filter((e) => e.code === 'duplicate_id');
    expect(dupes.map((e) => e.sourceLine)).toEqual([4, 7]);
    expect(dupes[0]?.message).toBe(
      'user u-s2 appears 2 times in this pull (users.csv line 4, users.csv line 7); none of them is applied',
    );
    const [grace] = await rows<{ given_name: string; active: boolean }>(
      t,
      "SELECT given_name, active FROM users WHERE tenant_id = 'dupes' AND identifier = '000124'",
    );
    expect(grace).toEqual({ given_name: 'Grace', active: true });
  });

  it('a truncated file (unclosed quote) loads the rows before the break and deactivates nothing', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'truncated', dir);
    await syncNow(t, providerId);
    const full = readFileSync(path.join(dir, 'users.csv'), 'utf8');
    const lines = full.split('\n');
    writeFileSync(
      path.join(dir, 'users.csv'),
      `${lines.slice(0, 3).join('\n')}\nu-s2,,,true,sch-2,student,grace,,"Grace`,
    );
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('PARTIAL');
    expect(run.incompleteEntities).toEqual(['users']);
    expect(run.stats.users).toMatchObject({ deactivated: 0 });
    expect((await errorsOf(run.id)).map((e) => e.message).join('\n')).toContain('the file looks truncated');
  });

  it('a delta file applies updates and tombstones and leaves the rest alone', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'delta', dir, { maxDeactivationRatio: 0.5 });
    await syncNow(t, providerId);
    writePackage(
      {
        users: [
          {
            ...smallDistrict().users[3]!,
            status: 'active',
            dateLastModified: '2026-01-05T10:00:00Z',
            givenName: 'E. W.',
          },
          { sourcedId: 'u-s2', status: 'tobedeleted', dateLastModified: '2026-01-05T10:00:00Z' },
        ],
      },
      { dir, modes: { users: 'delta' } },
    );
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('SUCCESS');
    expect(run.stats).toEqual({
      users: { created: 0, updated: 1, unchanged: 0, deactivated: 1, reactivated: 0, errors: 0 },
    });
    const users = await rows<{ given_name: string; active: boolean }>(
      t,
      "SELECT given_name, active FROM users WHERE tenant_id = 'delta' ORDER BY given_name",
    );
    expect(users).toEqual([
      { given_name: 'Ada', active: true },
      { given_name: 'Alan', active: true },
      { given_name: 'E. W.', active: true },
      { given_name: 'Grace', active: false },
      { given_name: 'Sara', active: true },
    ]);
  });

  it('a record that comes back is reactivated and counted as such', async () => {
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, 'comeback', dir);
    await syncNow(t, providerId);
    const d = smallDistrict();
    writePackage(
      {
        ...d,
        users: d.users.filter((u) => u.sourcedId !== 'u-s3'),
        enrollments: d.enrollments.filter((e) => e.userSourcedId !== 'u-s3'),
      },
      { dir },
    );
    const gone = await syncNow(t, providerId);
    expect(gone.status, JSON.stringify(gone.heldReason)).toBe('HELD');
    await t.deps.runs.approve({ principal: platformAdmin }, gone.id);
    await t.idle();
    writePackage(smallDistrict(), { dir });
    const back = await syncNow(t, providerId);
    expect(back.status).toBe('SUCCESS');
    expect(back.stats.users).toMatchObject({ reactivated: 1, created: 0 });
    expect(back.stats.enrollments).toMatchObject({ reactivated: 1, created: 0 });
  });
});
