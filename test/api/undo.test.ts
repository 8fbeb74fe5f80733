import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findRun } from '../../src/repositories/runs-repository.js';
import { sweepRetention } from '../../src/services/retention-sweep.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { FeedReplica, databaseFeed } from '../support/change-feed-replica.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage, type PackageSpec } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, runErrorsOf, syncNow } from '../support/sync.js';

/*
 * Undo of an applied run (issue 9, item 5; decision 0008): through the API, a run that created,
 * updated, deactivated and reactivated records is reverted exactly, the change feed follows, a
 * record a later run changed again is left alone and reported, the same data applies again, and
 * what cannot be undone is refused with a reason.
 */

const tenant = 'undo-district';
let t: TestApp;
let token: string;
let dir: string;
let providerId: string;

beforeAll(async () => {
  t = await createTestApp({ retentionDays: 0 });
  token = await t.token('DISTRICT_ADMIN', tenant);
  dir = writePackage(day(0));
  providerId = await csvProvider(t, tenant, dir, { maxDeactivationRatio: 1 });
});
afterAll(async () => t.close());

/**
 * The district on a day. Day 0 has a fourth student; day 1 lacks her; day 2 (the run to undo)
 * brings her back, renames a school and a student, drops a student with her enrollment, and adds
 * a student with an enrollment.
 */
function day(n: 0 | 1 | 2 | 3): Required<PackageSpec> {
  const d = smallDistrict();
  const barbara = {
    sourcedId: 'u-s4',
    enabledUser: 'true',
    orgSourcedIds: 'sch-1',
    role: 'student',
    username: 'barbara',
    givenName: 'Barbara',
    familyName: 'Liskov',
    identifier: '000126',
    grades: '10',
  };
  if (n === 0) d.users.push(barbara);
  if (n >= 2) {
    d.users.push(barbara, {
      sourcedId: 'u-s5',
      enabledUser: 'true',
      orgSourcedIds: 'sch-2',
      role: 'student',
      username: 'donald',
      givenName: 'Donald',
      familyName: 'Knuth',
      identifier: '000127',
      grades: '07',
    });
    d.enrollments.push({
      sourcedId: 'e7',
      classSourcedId: 'k-eng-1',
      schoolSourcedId: 'sch-2',
      userSourcedId: 'u-s5',
      role: 'student',
    });
    d.orgs[2]!.name = 'Lincoln Middle School';
    d.users[2]!.familyName = 'Hopper-Murray';
    d.users.splice(3, 1); // u-s3
    d.enrollments.splice(2, 1); // e3, u-s3's
  }
  if (n === 3) d.users[2]!.familyName = 'Murray';
  return d;
}

const KEYS: Record<string, string> = {
  schools: 'id',
  terms: 'id',
  courses: 'id',
  classes: 'id',
  users: 'id',
  enrollments: 'id',
  user_relationships: "user_id || '|' || related_user_id",
  sis_external_links: "entity_type || '|' || external_id",
  enrollment_periods: 'id',
};

type Snapshot = Record<string, Map<string, Record<string, unknown>>>;

/** Every row of the tenant's roster tables, links and periods, by key, without `updated_at`. */
async function snapshot(): Promise<Snapshot> {
  const tables: Snapshot = {};
  for (const [table, key] of Object.entries(KEYS)) {
    const found = await rows<{ key: string; row: Record<string, unknown> }>(
      t,
      `SELECT ${key} AS key, to_jsonb(x) - 'updated_at' AS row FROM ${table} x WHERE tenant_id = '${tenant}'`,
    );
    tables[table] = new Map(found.map((r) => [r.key, r.row]));
  }
  return tables;
}

/** The rows of `before` are back as they were; rows added since exist only inactive. */
function expectRestored(after: Snapshot, before: Snapshot): void {
  for (const [table, rowsBefore] of Object.entries(before)) {
    const now = after[table]!;
    expect(Object.fromEntries([...now].filter(([key]) => rowsBefore.has(key))), table).toEqual(
      Object.fromEntries(rowsBefore),
    );
    for (const [key, row] of now) {
      if (!rowsBefore.has(key)) expect(row.active, `${table} ${key} added by the undone run`).toBe(false);
    }
  }
}

/** Canonical rows as values only: which record, what it holds, whether it is active. */
function values(snap: Snapshot): Record<string, unknown> {
  return Object.fromEntries(
    ['schools', 'terms', 'courses', 'classes', 'users', 'enrollments'].map((table) => [
      table,
      Object.fromEntries([...snap[table]!].map(([key, { deactivated_at: _at, ...row }]) => [key, row])),
    ]),
  );
}

async function api(method: 'GET' | 'POST', url: string, as = token) {
  return t.app.inject({ method, url: `/api/v1${url}`, headers: { authorization: `Bearer ${as}` } });
}

async function undo(runId: string): Promise<{ runId: string }> {
  const response = await api('POST', `/runs/${runId}/undo`);
  expect(response.statusCode, response.body).toBe(202);
  await t.idle();
  return response.json<{ runId: string }>();
}

async function runDetail(runId: string) {
  const response = await api('GET', `/runs/${runId}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{
    run: {
      status: string;
      undoesRunId: string | null;
      undoneByRunId?: string | null;
      stats: Record<string, Record<string, number>>;
    };
  }>().run;
}

async function sync(n: 0 | 1 | 2 | 3) {
  writePackage(day(n), { dir });
  const run = await syncNow(t, providerId);
  expect(run.status, run.errorMessage ?? '').toBe('SUCCESS');
  return run;
}

const imagesOf = async (runId: string) =>
  (
    await rows<{ n: number }>(
      t,
      `SELECT ((SELECT count(*) FROM sis_run_record_images WHERE run_id = '${runId}')
            + (SELECT count(*) FROM sis_run_link_images WHERE run_id = '${runId}'))::int AS n`,
    )
  )[0]!.n;

describe(`undo of an applied run on ${driver}`, { timeout: 120_000 }, () => {
  let dayTwo: string;
  let dayTwoState: Snapshot;
  let reapplied: string;

  it('reverts a run that created, updated, deactivated and reactivated records, exactly', async () => {
    const feed = new FeedReplica(tenant, databaseFeed(t));
    const first = await sync(0);
    // A first sync creates everything: nothing was overwritten, so nothing is imaged.
    expect(await imagesOf(first.id)).toBe(0);
    await sync(1);
    await feed.catchUp('day 1');
    const before = await snapshot();

    const bad = await sync(2);
    dayTwo = bad.id;
    expect(bad.stats.users).toMatchObject({ created: 1, updated: 1, deactivated: 1, reactivated: 1 });
    expect(bad.stats.enrollments).toMatchObject({ created: 1, deactivated: 1 });
    expect(bad.stats.schools).toMatchObject({ updated: 1 });
    // Images only of what the run overwrote: 3 records (school, Grace, Barbara), 2 taken away
    // (Edsger, e3), and their 5 links; the created ones have none.
    expect(await imagesOf(bad.id)).toBe(10);
    await feed.catchUp('day 2');
    dayTwoState = await snapshot();

    const { runId: undoId } = await undo(bad.id);
    const undone = await runDetail(undoId);
    expect(undone).toMatchObject({ status: 'SUCCESS', undoesRunId: bad.id, undoneByRunId: null });
    expect(undone.stats.users).toMatchObject({ created: 0, updated: 1, deactivated: 2, reactivated: 1 });
    expect(undone.stats.enrollments).toMatchObject({ deactivated: 1, reactivated: 1 });
    expect(undone.stats.schools).toMatchObject({ updated: 1 });
    expect((await runDetail(bad.id)).undoneByRunId).toBe(undoId);

    expectRestored(await snapshot(), before);
    // A reader of the change feed follows the undo, field by field, to the same roster.
    expect(await feed.catchUp('undo')).toBe(7);
    await feed.expectEqualToRoster(t, 'after the undo');
    const audit = await rows<{ action: string }>(
      t,
      `SELECT action FROM audit_log WHERE target_id = '${undoId}'`,
    );
    expect(audit.map((a) => a.action)).toEqual(['run.undo']);
  });

  it('applies the same data again on the next sync, to the same records', async () => {
    const again = await sync(2);
    reapplied = again.id;
    // The links' hashes are the old ones again, so the same data is a change again.
    expect(again.stats.users).toMatchObject({ created: 0, updated: 1, deactivated: 1, reactivated: 2 });
    expect(values(await snapshot())).toEqual(values(dayTwoState));
  });

  it('leaves a record a later run changed again, and names it', async () => {
    const later = await sync(3);
    const { runId: undoId } = await undo(reapplied);
    const undone = await runDetail(undoId);
    expect(undone.status).toBe('SUCCESS');
    expect(undone.stats.users).toMatchObject({ unchanged: 1, deactivated: 2, reactivated: 1 });
    const warnings = await runErrorsOf(t, (await findRun(t.handle.db, undoId))!);
    expect(warnings).toEqual([
      expect.objectContaining({ entity: 'users', code: 'changed_by_later_run', severity: 'warning' }),
    ]);
    expect(warnings[0]!.message).toContain('u-s2');
    expect(warnings[0]!.message).toContain(later.id);
    const [grace] = await rows<{ family_name: string }>(
      t,
      `SELECT u.family_name FROM users u JOIN sis_external_links l ON l.entity_id = u.id
       WHERE l.tenant_id = '${tenant}' AND l.external_id = 'u-s2'`,
    );
    expect(grace!.family_name).toBe('Murray');
    const [donald] = await rows<{ active: boolean }>(
      t,
      `SELECT u.active FROM users u JOIN sis_external_links l ON l.entity_id = u.id
       WHERE l.tenant_id = '${tenant}' AND l.external_id = 'u-s5'`,
    );
    expect(donald!.active).toBe(false);
  });

  it('refuses what it cannot undo, with the reason', async () => {
    const refusal = async (runId: string, as = token) => {
      const response = await api('POST', `/runs/${runId}/undo`, as);
      return {
        status: response.statusCode,
        code: response.json<{ error: { code: string } }>().error.code,
        reason: response.json<{ error: { details?: { reason?: string } } }>().error.details?.reason,
      };
    };
    const dry = await t.deps.runs.trigger({ principal: platformAdmin }, providerId, { dryRun: true });
    await t.idle();
    expect(await refusal(dry.id)).toEqual({ status: 409, code: 'run_not_undoable', reason: 'not_applied' });
    expect(await refusal(dayTwo)).toEqual({
      status: 409,
      code: 'run_not_undoable',
      reason: 'already_undone',
    });
    const [undoRun] = await rows<{ id: string }>(
      t,
      `SELECT id FROM sis_sync_runs WHERE undoes_run_id = '${dayTwo}'`,
    );
    expect(await refusal(undoRun!.id)).toEqual({ status: 409, code: 'run_not_undoable', reason: 'undo_run' });
    const stranger = await t.token('DISTRICT_ADMIN', 'another-district');
    expect((await refusal(reapplied, stranger)).status).toBe(404);

    // Past the retention period the before-images go with the staging.
    const [dayOne] = await rows<{ id: string }>(
      t,
      `SELECT id FROM sis_sync_runs WHERE provider_id = '${providerId}' AND NOT dry_run AND undoes_run_id IS NULL
       ORDER BY created_at LIMIT 1 OFFSET 1`,
    );
    expect(await imagesOf(dayOne!.id)).toBeGreaterThan(0);
    await sweepRetention(t.handle.db, { olderThanDays: 1, now: new Date(Date.now() + 2 * 86_400_000) });
    expect(await imagesOf(dayOne!.id)).toBe(0);
    expect(await refusal(dayOne!.id)).toEqual({
      status: 409,
      code: 'run_not_undoable',
      reason: 'images_pruned',
    });

    await t.deps.providers.remove({ principal: platformAdmin }, providerId);
    expect(await refusal(reapplied)).toMatchObject({ status: 409, reason: 'provider_deleted' });
  });
});
