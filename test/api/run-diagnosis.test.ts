import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DiagnosisFinding, Run } from '../../src/api/contracts/runs.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  districtWithStudents,
  smallDistrict,
  writePackage,
  zeroPaddedUserIds,
  type PackageSpec,
} from '../support/oneroster-package.js';
import { csvProvider, syncNow } from '../support/sync.js';

/*
 * The bad-export diagnosis through the API: a good package is synced, then a bad one of the same
 * provider, and the second run names the likely cause with its evidence. Each cause is a real
 * package pair as districts send them (field notes 3.1 and 3.8).
 */

const TENANT = 'lincoln';

let t: TestApp;
let admin: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.token('DISTRICT_ADMIN', TENANT);
});
afterAll(async () => t.close());

async function getRun(runId: string): Promise<Run> {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/runs/${runId}`,
    headers: { authorization: `Bearer ${admin}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ run: Run }>().run;
}

/**
 * Syncs `good`, then what `spoil` makes of the same folder, through one provider; returns both runs
 * as the API shows them.
 */
async function syncPair(
  good: PackageSpec,
  spoil: (dir: string) => void,
): Promise<{ first: Run; second: Run }> {
  const dir = writePackage(good);
  const providerId = await csvProvider(t, TENANT, dir);
  const first = await syncNow(t, providerId);
  expect(first.status).toBe('SUCCESS');
  spoil(dir);
  const second = await syncNow(t, providerId);
  return { first: await getRun(first.id), second: await getRun(second.id) };
}

/** Rewrites the first line of a package file. */
function editHeader(dir: string, file: string, edit: (header: string) => string) {
  const target = path.join(dir, file);
  const [header, ...rest] = readFileSync(target, 'utf8').split('\n');
  writeFileSync(target, [edit(header!), ...rest].join('\n'));
}

const codesOf = (run: Run) => (run.diagnosis ?? []).map((f) => f.code);
const findingOf = (run: Run, code: DiagnosisFinding['code']) => {
  const finding = run.diagnosis?.find((f) => f.code === code);
  expect(finding, JSON.stringify(run.diagnosis)).toBeDefined();
  return finding!;
};

const stripZeros = (id: string) => id.replace(/^0+/, '');

describe('the bad-export diagnosis on a run', () => {
  it('examines nothing on a first sync and finds nothing on a clean re-sync', async () => {
    const good = smallDistrict();
    const { first, second } = await syncPair(good, (dir) => {
      const next = smallDistrict();
      next.users[1]!.givenName = 'Alan M.';
      writePackage(next, { dir });
    });
    expect(first.diagnosis).toBeNull();
    expect(second.status).toBe('SUCCESS');
    expect(second.diagnosis).toEqual([]);
  });

  it('names a re-cased header', async () => {
    const { second } = await syncPair(districtWithStudents(3), (dir) =>
      editHeader(dir, 'users.csv', (h) =>
        h.replace('givenName', 'GivenName').replace('familyName', 'FAMILYNAME'),
      ),
    );
    expect(codesOf(second)).toEqual(['header_recased']);
    const finding = findingOf(second, 'header_recased');
    expect(finding).toMatchObject({ severity: 'warning', entity: 'users', file: 'users.csv' });
    expect(finding.message).toBe(
      'users.csv: "givenName" is now spelled "GivenName", "familyName" is now spelled "FAMILYNAME". OneRoster headers are case-sensitive; the export\'s format changed since the last good sync.',
    );
    expect(finding.evidence.columns).toEqual([
      { before: 'givenName', now: 'GivenName' },
      { before: 'familyName', now: 'FAMILYNAME' },
    ]);
    expect(finding.evidence.headerNow).toContain('GivenName');
    expect(finding.evidence.headerBefore).toContain('givenName');
  });

  it('names a header renamed by a zero-width character and a space', async () => {
    const { second } = await syncPair(districtWithStudents(3), (dir) =>
      editHeader(dir, 'users.csv', (h) =>
        h.replace('sourcedId', '\u200BsourcedId').replace('familyName', 'family Name'),
      ),
    );
    // sourcedId is required: users.csv cannot be read, nothing of users is deactivated.
    expect(second.incompleteEntities).toEqual(['users']);
    const finding = findingOf(second, 'header_renamed');
    expect(finding).toMatchObject({ severity: 'error', entity: 'users', file: 'users.csv' });
    expect(finding.message).toBe(
      'users.csv: column "sourcedId" is now "\\u200BsourcedId" (spaces or invisible characters were added); column "familyName" is now "family Name" (spaces or invisible characters were added). The column is no longer read, so its values are missing from every row.',
    );
    expect(finding.evidence.columns).toEqual([
      { before: 'sourcedId', now: '\\u200BsourcedId', reason: 'spaces or invisible characters were added' },
      { before: 'familyName', now: 'family Name', reason: 'spaces or invisible characters were added' },
    ]);
    expect(second.diagnosis![0]!.severity).toBe('error');
  });

  it('names a header-only users.csv', async () => {
    const { second } = await syncPair(districtWithStudents(3), (dir) => {
      const next = districtWithStudents(3);
      writePackage({ ...next, users: [], enrollments: [] }, { dir });
    });
    const finding = findingOf(second, 'header_only_file');
    expect(finding).toMatchObject({ severity: 'error', entity: 'users', file: 'users.csv' });
    expect(finding.message).toBe(
      'users.csv has a header but no rows, while the last good export had 8. A header-only file usually means the export ran before its data was ready or its filter matched nothing.',
    );
    expect(finding.evidence).toMatchObject({ rowsBefore: 8, rowsNow: 0 });
    expect(findingOf(second, 'header_only_file').evidence.header).toContain('sourcedId');
    expect(
      second
        .diagnosis!.filter((f) => f.code === 'header_only_file')
        .map((f) => f.file)
        .sort(),
    ).toEqual(['enrollments.csv', 'users.csv']);
  });

  it('names ids that lost their leading zeros, and the references that did, on a held run', async () => {
    // Lincoln Middle's id starts with zeros too.
    const base = zeroPaddedUserIds(districtWithStudents(6));
    const toSch2 = (ids: string | undefined) => ids?.replace('sch-2', '0042') ?? '';
    const good: Required<PackageSpec> = {
      ...base,
      orgs: base.orgs.map((o) => (o.sourcedId === 'sch-2' ? { ...o, sourcedId: '0042' } : o)),
      users: base.users.map((u) => ({ ...u, orgSourcedIds: toSch2(u.orgSourcedIds) })),
      courses: base.courses.map((c) => ({
        ...c,
        orgSourcedId: toSch2(c.orgSourcedId),
      })),
      classes: base.classes.map((c) => ({
        ...c,
        schoolSourcedId: toSch2(c.schoolSourcedId),
      })),
      enrollments: base.enrollments.map((e) => ({
        ...e,
        schoolSourcedId: toSch2(e.schoolSourcedId),
      })),
    };
    const { second } = await syncPair(good, (dir) => {
      const bad = structuredClone(good);
      bad.users = bad.users.map((u) => ({
        ...u,
        sourcedId: stripZeros(u.sourcedId!),
        agentSourcedIds: u.agentSourcedIds === '' ? '' : stripZeros(u.agentSourcedIds!),
        orgSourcedIds: u.orgSourcedIds!.replace('0042', '42'),
      }));
      bad.enrollments = bad.enrollments.map((e) => ({
        ...e,
        userSourcedId: stripZeros(e.userSourcedId!),
      }));
      writePackage(bad, { dir });
    });
    expect(second.status).toBe('HELD');
    const [ids, references] = second.diagnosis!.filter((f) => f.code === 'leading_zeros_lost');
    expect(ids).toMatchObject({ severity: 'error', entity: 'users' });
    expect(ids!.message).toBe(
      '11 user ids lost their leading zeros ("000101" is now "101"): the export likely went through a spreadsheet that read them as numbers. Applying it would retire the old ids and take the stripped ones in their place.',
    );
    expect(ids!.evidence).toEqual({
      count: 11,
      samples: ['000101', '000102', '000103', '000104', '000105'].map((before) => ({
        before,
        now: stripZeros(before),
      })),
    });
    expect(references).toMatchObject({ severity: 'error', entity: 'users' });
    expect(references!.message).toBe(
      'Users refer to 1 school id without its leading zeros in schoolExternalIds ("42" where the school is "0042"): those references resolve to nothing.',
    );
    expect(references!.evidence).toEqual({
      field: 'schoolExternalIds',
      target: 'schools',
      count: 1,
      samples: [{ before: '0042', now: '42' }],
    });
    expect(findingOf(second, 'large_drop')).toMatchObject({
      entity: 'users',
      evidence: { activeBefore: 11, missing: 11 },
    });
  });

  it('names a school whose users all vanished', async () => {
    const { second } = await syncPair(districtWithStudents(4), (dir) => {
      const bad = districtWithStudents(4);
      // Lincoln Middle's student and its teacher are gone from users.csv, with their enrollments.
      bad.users = bad.users.filter((u) => u.sourcedId !== 'u-s2' && u.sourcedId !== 'u-t1');
      bad.enrollments = bad.enrollments.filter(
        (e) => e.userSourcedId !== 'u-s2' && e.userSourcedId !== 'u-t1',
      );
      writePackage(bad, { dir });
    });
    const emptied = second.diagnosis!.filter((f) => f.code === 'school_emptied');
    expect(emptied).toHaveLength(1);
    expect(emptied[0]).toMatchObject({
      severity: 'warning',
      entity: 'users',
      evidence: { school: 'sch-2', name: 'Lincoln Middle', usersMissing: 2, sample: ['u-s2', 'u-t1'] },
    });
    expect(emptied[0]!.message).toBe(
      'Lincoln Middle (sch-2): 2 users of this school are missing from this pull, and no user in it belongs to the school any more. A school whose users all vanish at once is more often a partial export than a closed school.',
    );
  });

  it('names a byte-order mark that appeared', async () => {
    const { second } = await syncPair(districtWithStudents(2), (dir) => {
      const file = path.join(dir, 'users.csv');
      writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(file)]));
    });
    expect(second.status).toBe('SUCCESS');
    expect(second.diagnosis).toEqual([
      {
        code: 'bom_changed',
        severity: 'info',
        entity: 'users',
        file: 'users.csv',
        message:
          'users.csv now starts with a UTF-8 byte-order mark, which the last good export did not have: it was likely saved by Excel or another editor. sis-sync ignores the mark, but other tools read it as part of the first header.',
        evidence: { before: null, now: 'utf-8' },
      },
    ]);
  });

  it('names Latin-1 bytes in a UTF-8 export', async () => {
    const good = districtWithStudents(2);
    good.users[2]!.givenName = 'José';
    const { second } = await syncPair(good, (dir) => {
      const file = path.join(dir, 'users.csv');
      writeFileSync(file, Buffer.from(readFileSync(file, 'utf8'), 'latin1'));
    });
    const finding = findingOf(second, 'encoding_changed');
    expect(finding).toMatchObject({ severity: 'warning', entity: 'users', file: 'users.csv' });
    expect(finding.message).toBe(
      'users.csv has 1 character(s) that are not valid UTF-8 (first on line 4: "Jos\uFFFD"), while the last good export had none: it was likely saved as Latin-1 or Windows-1252. Names with accents would be stored garbled.',
    );
    expect(finding.evidence).toEqual({
      encodingBefore: 'utf-8',
      encodingNow: 'utf-8',
      invalidBefore: 0,
      invalidNow: 1,
      firstInvalid: { line: 4, text: 'Jos\uFFFD' },
    });
  });
});
