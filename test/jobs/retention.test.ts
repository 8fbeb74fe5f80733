import { writeFileSync } from 'node:fs';
import path from 'node:path';

import type { DestinationStream } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { ONEROSTER_ENTITIES } from '../../src/connectors/oneroster/entities.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import { buildDependencies, type Dependencies } from '../../src/dependencies.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { findRun, type RunRow } from '../../src/repositories/runs-repository.js';
import { RETENTION_TABLES, sweepRetention, type RetentionTable } from '../../src/services/retention-sweep.js';
import { createTestApp, testConfig, waitUntilIdle, type TestApp } from '../support/app.js';
import { createTestDatabase, driver } from '../support/database.js';
import { csvOf, smallDistrict, writePackage, type PackageSpec } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, runErrorsOf, skippedOf, syncNow } from '../support/sync.js';

/*
 * The retention sweep (issue 8, item 4), on real runs of the engine whose end is moved into the
 * past (nothing here waits for time to pass).
 */

/** Rows of a plain SQL query on `handle`. */
async function query<T = Record<string, unknown>>(
  handle: DatabaseHandle,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  return ((await handle.executeSql(text, values)) as { rows: T[] }).rows;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const RUN_TABLES = [
  'sis_raw_schools',
  'sis_raw_terms',
  'sis_raw_courses',
  'sis_raw_classes',
  'sis_raw_users',
  'sis_raw_enrollments',
  'sis_sync_run_errors',
] as const;

let t: TestApp;
beforeAll(async () => {
  // The app's own daily sweep keeps everything (0 days): this file sweeps when it means to.
  t = await createTestApp({ retentionDays: 0 });
});
afterAll(async () => t.close());

const sweep = (
  olderThanDays: number,
  options: { dryRun?: boolean; batchSize?: number; reclaimSpace?: boolean } = {},
) => sweepRetention(t.handle.db, { olderThanDays, now: new Date(), ...options });

/** Rows of the run in each staging table and in its errors. */
async function runData(runId: string): Promise<Record<(typeof RUN_TABLES)[number], number>> {
  const counts = {} as Record<(typeof RUN_TABLES)[number], number>;
  for (const table of RUN_TABLES) {
    const [row] = await rows<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM ${table} WHERE run_id = '${runId}'`,
    );
    counts[table] = row!.n;
  }
  return counts;
}
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** Moves the run's end (and start) `days` into the past. */
async function age(runId: string, days: number): Promise<void> {
  await rows(
    t,
    `UPDATE sis_sync_runs SET finished_at = now() - interval '${days} days',
       started_at = now() - interval '${days} days', created_at = now() - interval '${days} days'
     WHERE id = '${runId}'`,
  );
}

const errorsOf = (run: RunRow) => runErrorsOf(t, run);

/** The small district with a class whose course does not exist: every run records an error on classes. */
function districtWithError(): Required<PackageSpec> {
  const spec = smallDistrict();
  spec.classes.push({
    sourcedId: 'k-ghost',
    title: 'Ghost',
    courseSourcedId: 'c-missing',
    classType: 'scheduled',
    schoolSourcedId: 'sch-1',
    termSourcedIds: 't1',
  });
  return spec;
}

/** A webhook delivery written straight into its table, with `attempts` attempts. */
async function delivery(status: string, ageDays: number, attempts: number): Promise<string> {
  const ago = `now() - interval '${ageDays} days'`;
  const [row] = await rows<{ id: string }>(
    t,
    `INSERT INTO sis_webhook_deliveries
       (id, tenant_id, subscription_id, event, payload, status, attempts, last_attempt_at, delivered_at, created_at)
     VALUES (gen_random_uuid(), 'ret-hooks', gen_random_uuid(), 'run.applied', '{}', '${status}', ${attempts},
       ${attempts > 0 ? ago : 'NULL'}, ${status === 'succeeded' ? ago : 'NULL'}, ${ago} - interval '1 hour')
     RETURNING id`,
  );
  for (let i = 1; i <= attempts; i++) {
    await rows(
      t,
      `INSERT INTO sis_webhook_attempts (delivery_id, attempt, response_status, duration_ms, created_at)
       VALUES ('${row!.id}', ${i}, 500, 12, ${ago})`,
    );
  }
  return row!.id;
}

async function deliveriesLeft(): Promise<{ id: string; attempts: number }[]> {
  return rows<{ id: string; attempts: number }>(
    t,
    `SELECT d.id, (SELECT count(*)::int FROM sis_webhook_attempts a WHERE a.delivery_id = d.id) AS attempts
     FROM sis_webhook_deliveries d WHERE d.tenant_id = 'ret-hooks' ORDER BY d.id`,
  );
}

describe(`retention sweep on ${driver}`, () => {
  it("prunes ended runs' staging and errors and old finished deliveries; keeps the last applied run, held and running runs, and the runs themselves", async () => {
    // Provider A: two applied runs (the second is the last applied) and a dry run, all with errors.
    const spec = districtWithError();
    const dir = writePackage(spec);
    const a = await csvProvider(t, 'ret-a', dir);
    const a1 = await syncNow(t, a);
    expect(a1.status).toBe('PARTIAL');
    spec.users = spec.users.map((u) => (u.sourcedId === 'u-s1' ? { ...u, givenName: 'Renamed' } : u));
    writePackage(spec, { dir });
    const a2 = await syncNow(t, a);
    expect(a2.status).toBe('PARTIAL');
    const aDry = await syncNow(t, a, { dryRun: true });
    expect(aDry.dryRun).toBe(true);

    // Provider H: a run held for review (it would deactivate 2 of 5 users).
    const held = smallDistrict();
    const heldDir = writePackage(held);
    const h = await csvProvider(t, 'ret-held', heldDir);
    const h1 = await syncNow(t, h);
    held.users = held.users.filter((u) => u.sourcedId !== 'u-s1' && u.sourcedId !== 'u-s2');
    writePackage(held, { dir: heldDir });
    const h2 = await syncNow(t, h);
    expect(h2.status).toBe('HELD');

    // Provider R: one applied run, and a run still in progress (written here, with staging and an error).
    const r = await csvProvider(t, 'ret-running', writePackage(smallDistrict()));
    const r1 = await syncNow(t, r);
    const [running] = await rows<{ id: string }>(
      t,
      `INSERT INTO sis_sync_runs (tenant_id, provider_id, trigger) VALUES ('ret-running', '${r}', 'CLI') RETURNING id`,
    );
    const rRun = running!.id;
    await rows(t, `UPDATE sis_sync_runs SET status = 'IN_PROGRESS', phase = 'loading' WHERE id = '${rRun}'`);
    await rows(
      t,
      `INSERT INTO sis_raw_users (run_id, tenant_id, provider_id, external_id, status, content_hash, data)
       SELECT '${rRun}', tenant_id, provider_id, external_id, status, content_hash, data FROM sis_raw_users WHERE run_id = '${r1.id}'`,
    );
    await rows(
      t,
      `INSERT INTO sis_sync_run_errors (run_id, tenant_id, entity, code, message)
       VALUES ('${rRun}', 'ret-running', 'users', 'invalid_record', 'a record')`,
    );

    // Each its own age, in the order they ran (a2 stays A's newest applied run).
    const ages: [RunRow, number][] = [
      [a1, 46],
      [a2, 45],
      [aDry, 44],
      [h1, 43],
      [h2, 42],
      [r1, 41],
    ];
    for (const [run, days] of ages) await age(run.id, days);
    await rows(t, `UPDATE sis_sync_runs SET created_at = now() - interval '40 days' WHERE id = '${rRun}'`);

    await delivery('succeeded', 40, 2);
    await delivery('failed', 40, 3);
    const oldPending = await delivery('pending', 40, 1);
    const recentOk = await delivery('succeeded', 2, 1);

    const runs = { a1, a2, aDry, h1, h2, r1, rRun: { id: rRun } };
    const before = Object.fromEntries(
      await Promise.all(Object.entries(runs).map(async ([k, v]) => [k, await runData(v.id)] as const)),
    ) as Record<keyof typeof runs, Awaited<ReturnType<typeof runData>>>;
    // Every run in play has something to lose; the applied ones have errors.
    for (const [name, counts] of Object.entries(before)) expect(total(counts), name).toBeGreaterThan(0);
    expect(before.a1.sis_sync_run_errors).toBeGreaterThan(0);
    expect(before.a2.sis_sync_run_errors).toBeGreaterThan(0);
    expect(before.aDry.sis_raw_classes).toBeGreaterThan(0);
    expect(before.h2.sis_raw_users).toBeGreaterThan(0);
    const deliveriesBefore = await deliveriesLeft();
    expect(deliveriesBefore).toHaveLength(4);

    // 0 days keeps everything.
    const off = await sweep(0);
    expect(off.cutoff).toBeNull();
    expect(total(off.rows)).toBe(0);
    // A dry run says what would go, and removes nothing.
    const dry = await sweep(30, { dryRun: true });
    for (const [name, counts] of Object.entries(before)) {
      expect(await runData(runs[name as keyof typeof runs].id), name).toEqual(counts);
    }
    expect(await deliveriesLeft()).toEqual(deliveriesBefore);

    // The sweep, a few rows per statement so that every table takes several, and VACUUM after.
    const swept = await sweep(30, { batchSize: 3, reclaimSpace: true });
    const expected = Object.fromEntries(RETENTION_TABLES.map((table) => [table, 0])) as Record<
      RetentionTable,
      number
    >;
    for (const table of RUN_TABLES) expected[table] = before.a1[table] + before.aDry[table];
    expected.sis_webhook_deliveries = 2;
    expected.sis_webhook_attempts = 5;
    expect(swept.rows).toEqual(expected);
    // A's first run and its dry run; A's, H's and R's last applied runs were past the cutoff too.
    expect(swept).toMatchObject({ runs: 2, keptLastApplied: 3, dryRun: false });
    expect(Math.abs(swept.cutoff!.getTime() - (Date.now() - 30 * DAY_MS))).toBeLessThan(60_000);
    expect({ rows: dry.rows, runs: dry.runs, dryRun: dry.dryRun }).toEqual({
      rows: swept.rows,
      runs: swept.runs,
      dryRun: true,
    });

    // Gone: the staging and errors of A's first run and of the dry run.
    expect(total(await runData(a1.id))).toBe(0);
    expect(total(await runData(aDry.id))).toBe(0);
    // Kept: A's last applied run, whole, though it ended 40 days ago.
    expect(await runData(a2.id)).toEqual(before.a2);
    // Kept: the held run (an approval applies it from its staging), and the running run.
    expect(await runData(h2.id)).toEqual(before.h2);
    expect(await runData(rRun)).toEqual(before.rRun);
    expect(await findRun(t.handle.db, rRun)).toMatchObject({ status: 'IN_PROGRESS' });
    // Kept: H's and R's last applied runs.
    expect(await runData(h1.id)).toEqual(before.h1);
    expect(await runData(r1.id)).toEqual(before.r1);
    // The runs themselves stay, with their statistics.
    for (const run of [a1, aDry]) {
      expect(await findRun(t.handle.db, run.id)).toMatchObject({ status: run.status, stats: run.stats });
    }
    // Old finished deliveries went with their attempts; pending and recent ones stay.
    expect(await deliveriesLeft()).toEqual(
      [
        { id: oldPending, attempts: 1 },
        { id: recentOk, attempts: 1 },
      ].sort((x, y) => x.id.localeCompare(y.id)),
    );

    // Nothing left to do: a second sweep removes nothing.
    const again = await sweep(30);
    expect(total(again.rows)).toBe(0);
    expect(again.runs).toBe(0);

    await rows(t, `UPDATE sis_sync_runs SET status = 'CANCELLED', finished_at = now() WHERE id = '${rRun}'`);
  });

  it('a sync after a sweep still skips unchanged files, still reads again a file the last applied run had errors on, and loads correctly', async () => {
    const spec = districtWithError();
    // users.csv with a column that is not OneRoster's: its warning is carried over by every skip.
    const write = (dir?: string) => {
      const written = writePackage(spec, dir === undefined ? {} : { dir });
      const columns = [...ONEROSTER_ENTITIES.users.columns, 'locker'];
      writeFileSync(
        path.join(written, 'users.csv'),
        csvOf(
          columns,
          spec.users.map((u) => ({ ...u, locker: '12' })),
        ),
      );
      return written;
    };
    const dir = write();
    const p = await csvProvider(t, 'ret-resync', dir);
    const first = await syncNow(t, p);
    expect(first.status).toBe('PARTIAL');
    const second = await syncNow(t, p);
    expect(skippedOf(second)).toEqual(['courses', 'schools', 'terms', 'users']);
    const roster = () =>
      rows(
        t,
        `SELECT 'user' AS kind, given_name AS name, active FROM users WHERE tenant_id = 'ret-resync'
         UNION ALL SELECT 'class', title, active FROM classes WHERE tenant_id = 'ret-resync'
         UNION ALL SELECT 'enrollment', role, active FROM enrollments WHERE tenant_id = 'ret-resync'
         ORDER BY 1, 2, 3`,
      );
    const before = await roster();
    const secondErrors = await errorsOf(second);
    expect(secondErrors.map((e) => e.severity)).toEqual(expect.arrayContaining(['error', 'warning']));

    // Apart in time, as runs are: the second stays the newer, the provider's last applied run.
    await age(first.id, 41);
    await age(second.id, 40);
    await sweep(30);
    expect(total(await runData(first.id))).toBe(0);
    // The last applied run keeps its errors: the next sync decides from them what it may skip.
    expect(await errorsOf(second)).toEqual(secondErrors);

    const third = await syncNow(t, p);
    expect(third.status).toBe('PARTIAL');
    expect(skippedOf(third)).toEqual(['courses', 'schools', 'terms', 'users']);
    expect(await errorsOf(third)).toEqual(secondErrors);
    expect(await roster()).toEqual(before);

    // A change after the sweep loads as ever.
    spec.users = spec.users.map((u) => (u.sourcedId === 'u-s1' ? { ...u, givenName: 'Renamed' } : u));
    write(dir);
    const fourth = await syncNow(t, p);
    expect(fourth.status).toBe('PARTIAL');
    expect(skippedOf(fourth)).toEqual(['courses', 'schools', 'terms']);
    expect(fourth.stats.users).toMatchObject({ updated: 1, unchanged: spec.users.length - 1 });
    expect(await roster()).not.toEqual(before);
    expect((await roster()).filter((r) => r.name === 'Renamed')).toHaveLength(1);

    // Why the sweep must keep them: without the last applied run's errors, the classes file,
    // unchanged and still holding its dangling reference, would be skipped as if it were clean.
    await rows(t, `DELETE FROM sis_sync_run_errors WHERE run_id = '${fourth.id}' AND severity = 'error'`);
    const fifth = await syncNow(t, p);
    expect(skippedOf(fifth)).toContain('classes');
    expect((await errorsOf(fifth)).filter((e) => e.severity === 'error')).toEqual([]);
  });
});

/** A logger whose lines the test reads back. */
function capturingLogger(): { logger: Logger; lines: { msg?: string; time?: string }[] } {
  const lines: { msg?: string; time?: string }[] = [];
  const destination: DestinationStream = {
    write(line: string) {
      lines.push(JSON.parse(line) as { msg?: string; time?: string });
    },
  };
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe(`the daily sweep job on ${driver}`, () => {
  it(
    driver === 'postgres'
      ? 'two workers on one database: each due sweep runs once, and its successor is queued once'
      : 'fires when due, once, and queues its successor once',
    async () => {
      const first = await createTestDatabase();
      const handles: DatabaseHandle[] = [first];
      if (driver === 'postgres') {
        handles.push(await openDatabase({ kind: 'postgres', url: first.url! }, { command: 'test' }));
      }
      // A clock of its own, in the past: the queue hands out each job at once, and it fires only
      // once this clock reaches it.
      let now = new Date(Date.now() - 10 * DAY_MS);
      const clock = () => now;
      const config = testConfig({ workerPollIntervalMs: 20, retentionDays: 30 });
      const instances = handles.map((handle) => {
        const { logger, lines } = capturingLogger();
        return { deps: buildDependencies(config, handle, logger, { worker: 'queue', clock }), lines };
      });
      /** Every instance's sweeps, in the order they ran. */
      const sweeps = () =>
        instances
          .flatMap((i) => i.lines)
          .filter((l) => l.msg?.startsWith('retention sweep'))
          .sort((x, y) => (x.time ?? '').localeCompare(y.time ?? ''));
      const queued = () =>
        query<{ state: string; due: string }>(
          first,
          `SELECT state::text AS state, data->>'dueAt' AS due FROM sis_sync_queue.job
           WHERE name = 'sis-sync-prune' ORDER BY created_on`,
        );
      const quietSpell = () => new Promise((resolve) => setTimeout(resolve, 50 * 20));
      try {
        await Promise.all(instances.map((i) => i.deps.start()));
        const firstDue = now;

        // No sweep was ever queued: the workers queue one, due now, and it runs once.
        await vi.waitFor(() => expect(sweeps().length).toBeGreaterThanOrEqual(1), { timeout: 20_000 });
        await quietSpell();
        expect(sweeps()).toHaveLength(1);
        const firstQueued = instances
          .flatMap((i) => i.lines)
          .filter((l) => l.msg === 'queued the first retention sweep');
        expect(firstQueued).toHaveLength(1);
        expect(await queued()).toEqual([
          { state: 'completed', due: firstDue.toISOString() },
          { state: 'created', due: new Date(firstDue.getTime() + DAY_MS).toISOString() },
        ]);

        // A run to prune: an applied run, then a dry run that ended long before the cutoff.
        const deps: Dependencies = instances[0]!.deps;
        const district = smallDistrict();
        const dir = writePackage(district);
        const providerId = (
          await deps.providers.create(
            { principal: platformAdmin },
            {
              tenantId: 'ret-job',
              providerType: 'ONEROSTER_CSV',
              name: 'Job CSV',
              config: { localPath: dir },
            },
          )
        ).id;
        const applied = await deps.runs.trigger({ principal: platformAdmin }, providerId, { dryRun: false });
        await Promise.all(instances.map((i) => waitUntilIdle(i.deps)));
        // A changed users file, so that the dry run reads (and stages) it.
        district.users = district.users.map((u) => ({ ...u, givenName: `${u.givenName}2` }));
        writePackage(district, { dir });
        const dry = await deps.runs.trigger({ principal: platformAdmin }, providerId, { dryRun: true });
        await Promise.all(instances.map((i) => waitUntilIdle(i.deps)));
        const dataOf = async (runId: string) =>
          (
            await query<{ n: number }>(
              first,
              `SELECT count(*)::int AS n FROM sis_raw_users WHERE run_id = '${runId}'`,
            )
          )[0]!.n;
        expect(await dataOf(dry.id)).toBeGreaterThan(0);
        await query(
          first,
          `UPDATE sis_sync_runs SET finished_at = now() - interval '60 days' WHERE id IN ('${applied.id}', '${dry.id}')`,
        );
        // Not due yet: nothing happens, however often the workers look.
        await quietSpell();
        expect(sweeps()).toHaveLength(1);

        // A day later by the workers' clock: the next sweep runs once, and prunes the dry run.
        now = new Date(now.getTime() + DAY_MS);
        await vi.waitFor(() => expect(sweeps().length).toBeGreaterThanOrEqual(2), { timeout: 20_000 });
        await quietSpell();
        expect(sweeps()).toHaveLength(2);
        expect(await dataOf(dry.id)).toBe(0);
        expect(await dataOf(applied.id)).toBeGreaterThan(0);
        expect(sweeps()[1]).toMatchObject({
          dueAt: new Date(firstDue.getTime() + DAY_MS).toISOString(),
          runs: 1,
          keptLastApplied: 1,
        });
        expect(await queued()).toEqual([
          { state: 'completed', due: firstDue.toISOString() },
          { state: 'completed', due: new Date(firstDue.getTime() + DAY_MS).toISOString() },
          { state: 'created', due: new Date(firstDue.getTime() + 2 * DAY_MS).toISOString() },
        ]);
      } finally {
        await Promise.all(instances.map((i) => i.deps.stop()));
        for (const handle of handles.slice(1)) await handle.close();
        await first.close();
      }
    },
    60_000,
  );
});
