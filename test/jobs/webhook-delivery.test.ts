import { rmSync } from 'node:fs';

import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createWebhookChore } from '../../src/jobs/webhook-job.js';
import { createRun, transitionRun, type RunRow } from '../../src/repositories/runs-repository.js';
import { lockDelivery, updateDelivery } from '../../src/repositories/webhooks-repository.js';
import {
  parseRetryAfter,
  retryDelayMs,
  webhookSettings,
  type WebhookSettings,
} from '../../src/services/webhook-delivery.js';
import type { RunObserver } from '../../src/sync/execute-run.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { createTestLogger } from '../support/logger.js';
import { districtWithStudents, smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, platformAdmin, rows, syncNow } from '../support/sync.js';
import { startWebhookReceiver, waitFor, type WebhookReceiver } from '../support/webhook-receiver.js';

/*
 * Webhook notices from real syncs to real receivers: signed, retried with backoff until the
 * receiver takes them or the attempts run out, sent only for what a run really applied (or held,
 * or failed), and not lost when a worker dies between sending and recording.
 */

const actor = { principal: platformAdmin };
/** Short waits so the retries of a test take milliseconds; no jitter, so the waits are exact. */
const FAST: Partial<WebhookSettings> = {
  backoffMs: [40, 80, 120],
  jitter: 0,
  maxAttempts: 4,
  timeoutMs: 3000,
};

let t: TestApp;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  t = await createTestApp({}, { webhooks: FAST });
});
afterAll(async () => {
  await t.close();
  await Promise.all(receivers.map((r) => r.close()));
});

async function receiver(script: number[]): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver(script);
  receivers.push(r);
  return r;
}

/** A webhook created over the API, its secret handed to the receiver (as an admin would). */
async function subscribe(tenantId: string, r: WebhookReceiver, events?: string[]): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/tenants/${tenantId}/webhooks`,
    headers: { authorization: `Bearer ${await t.token('DISTRICT_ADMIN', tenantId)}` },
    payload: { url: r.url, description: 'roster consumer', ...(events === undefined ? {} : { events }) },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ id: string; secret: string }>();
  r.secret = body.secret;
  return body.id;
}

interface DeliveryRow {
  id: string;
  subscription_id: string;
  event: string;
  run_id: string | null;
  status: string;
  attempts: number;
  payload: Record<string, unknown>;
  last_error: string | null;
  response_status: number | null;
  next_attempt_at: Date | string | null;
  last_attempt_at: Date | string | null;
}
const deliveriesOf = (tenantId: string) =>
  rows<DeliveryRow>(
    t,
    `SELECT id, subscription_id, event, run_id, status, attempts, payload, last_error, response_status,
            next_attempt_at, last_attempt_at
     FROM sis_webhook_deliveries WHERE tenant_id = '${tenantId}' ORDER BY created_at, id`,
  );
const attemptsOf = (deliveryId: string) =>
  rows<{ attempt: number; response_status: number | null; error: string | null; duration_ms: number }>(
    t,
    `SELECT attempt, response_status, error, duration_ms FROM sis_webhook_attempts
     WHERE delivery_id = '${deliveryId}' ORDER BY id`,
  );

/** Until every delivery of the tenant has settled (succeeded or failed). */
const settled = (tenantId: string, count: number) =>
  waitFor(`${count} settled deliveries of ${tenantId}`, async () => {
    const all = await deliveriesOf(tenantId);
    return all.length === count && all.every((d) => d.status !== 'pending') ? all : undefined;
  });

describe(`webhook delivery on ${driver}`, () => {
  it('a receiver that fails twice and then succeeds gets the same signed notice three times', async () => {
    const tenant = 'hooks-retry';
    const r = await receiver([500, 500, 200]);
    const webhookId = await subscribe(tenant, r);
    const providerId = await csvProvider(t, tenant, writePackage(smallDistrict()));
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('SUCCESS');

    const [delivery] = await settled(tenant, 1);
    expect(delivery).toMatchObject({
      subscription_id: webhookId,
      event: 'run.applied',
      run_id: run.id,
      status: 'succeeded',
      attempts: 3,
      response_status: 200,
      last_error: null,
    });
    expect(await attemptsOf(delivery!.id)).toEqual([
      {
        attempt: 1,
        response_status: 500,
        error: 'the receiver answered 500',
        duration_ms: expect.any(Number),
      },
      {
        attempt: 2,
        response_status: 500,
        error: 'the receiver answered 500',
        duration_ms: expect.any(Number),
      },
      { attempt: 3, response_status: 200, error: null, duration_ms: expect.any(Number) },
    ]);

    // The receiver verified every attempt with the secret it was given at creation.
    expect(r.received.map((n) => [n.signatureValid, n.answered])).toEqual([
      [true, 500],
      [true, 500],
      [true, 200],
    ]);
    expect(new Set(r.received.map((n) => n.headers['webhook-id']))).toEqual(new Set([delivery!.id]));
    for (const notice of r.received) {
      expect(notice.headers['content-type']).toBe('application/json');
      expect(notice.headers['user-agent']).toMatch(/^sis-sync\/\d+\.\d+\.\d+/);
      const signature = String(notice.headers['x-sissync-signature']);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(signature.startsWith(`t=${String(notice.headers['webhook-timestamp'])},`)).toBe(true);
    }

    // What it was told: the run, its figures, and where its events sit in the change feed.
    const [range] = await rows<{ after: string | null; until: string | null }>(
      t,
      `SELECT (min(seq) - 1)::text AS after, max(seq)::text AS until FROM sis_change_events WHERE run_id = '${run.id}'`,
    );
    // The engine records the run's events; the notice names exactly their page of the feed.
    expect(range?.until).not.toBeNull();
    const [page] = await rows<{ n: number; of_run: number }>(
      t,
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE run_id = '${run.id}')::int AS of_run
       FROM sis_change_events WHERE tenant_id = '${tenant}' AND seq > ${range!.after} AND seq <= ${range!.until}`,
    );
    expect(page!.n).toBe(page!.of_run);
    expect(page!.n).toBeGreaterThan(0);
    const payload = r.received[2]!.payload;
    expect(payload).toEqual({
      id: delivery!.id,
      event: 'run.applied',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      tenantId: tenant,
      run: {
        id: run.id,
        providerId,
        providerType: 'ONEROSTER_CSV',
        status: 'SUCCESS',
        trigger: 'MANUAL',
        dryRun: false,
        startedAt: run.startedAt!.toISOString(),
        finishedAt: run.finishedAt!.toISOString(),
        stats: run.stats,
        errorCode: null,
      },
      changes: { after: range?.after ?? null, until: range?.until ?? null },
    });
    expect((payload.run as { stats: { users: { created: number } } }).stats.users.created).toBe(5);
    // Counts and ids only: no roster data rides along.
    expect(JSON.stringify(payload)).not.toMatch(/Lovelace|alan@lincoln|Turing/);
    // The payload each attempt carried is the one stored, byte for byte the same each time.
    expect(new Set(r.received.map((n) => n.body)).size).toBe(1);
    expect(JSON.parse(r.received[0]!.body)).toEqual(delivery!.payload);
  });

  it('a receiver that never succeeds: the delivery is failed after the configured attempts', async () => {
    const tenant = 'hooks-down';
    const r = await receiver([503]);
    await subscribe(tenant, r);
    const run = await syncNow(t, await csvProvider(t, tenant, writePackage(smallDistrict())));
    expect(run.status).toBe('SUCCESS');
    const [delivery] = await settled(tenant, 1);
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 4,
      response_status: 503,
      last_error: 'the receiver answered 503',
      next_attempt_at: null,
    });
    expect((await attemptsOf(delivery!.id)).map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    expect(r.received).toHaveLength(4);
    expect(r.received.every((n) => n.signatureValid)).toBe(true);
  });

  it("honours a 429's Retry-After (longer than the backoff) before the next attempt", async () => {
    const tenant = 'hooks-429';
    const r = await receiver([429, 200]);
    r.headersFor[429] = { 'retry-after': '1' };
    await subscribe(tenant, r);
    await syncNow(t, await csvProvider(t, tenant, writePackage(smallDistrict())));
    const retry = await waitFor('the retry to be scheduled', async () => {
      const [d] = await deliveriesOf(tenant);
      return d !== undefined && d.attempts === 1 && d.response_status === 429 ? d : undefined;
    });
    const gap = new Date(retry.next_attempt_at!).getTime() - new Date(retry.last_attempt_at!).getTime();
    expect(gap).toBeGreaterThanOrEqual(1000);
    const [delivery] = await settled(tenant, 1);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('a dry run sends nothing; a held run sends run.held and no run.applied; its approval sends run.applied', async () => {
    const tenant = 'hooks-held';
    const r = await receiver([200]);
    await subscribe(tenant, r, ['run.applied', 'run.held', 'run.failed']);
    const dir = writePackage(districtWithStudents(5));
    const providerId = await csvProvider(t, tenant, dir);

    const dry = await syncNow(t, providerId, { dryRun: true });
    expect(dry.status).toBe('SUCCESS');
    const first = await syncNow(t, providerId);
    expect(first.status).toBe('SUCCESS');
    writePackage(districtWithStudents(2), { dir });
    const held = await syncNow(t, providerId);
    expect(held.status).toBe('HELD');

    const deliveries = await settled(tenant, 2);
    expect(deliveries.map((d) => [d.event, d.run_id, d.status])).toEqual([
      ['run.applied', first.id, 'succeeded'],
      ['run.held', held.id, 'succeeded'],
    ]);
    const heldNotice = deliveries[1]!.payload as { run: Record<string, unknown>; changes: unknown };
    expect(heldNotice.run).toMatchObject({ id: held.id, status: 'HELD', finishedAt: null });
    expect(heldNotice.changes).toEqual({ after: null, until: null });

    await t.deps.runs.approve(actor, held.id);
    await t.idle();
    const after = await settled(tenant, 3);
    expect(after[2]).toMatchObject({ event: 'run.applied', run_id: held.id, status: 'succeeded' });
    expect(r.received.map((n) => n.payload.event)).toEqual(['run.applied', 'run.held', 'run.applied']);
  });

  it('a failed run sends run.failed to those who asked for it, and run.applied subscribers get nothing', async () => {
    const tenant = 'hooks-failed';
    const failedHook = await receiver([200]);
    const appliedHook = await receiver([200]);
    await subscribe(tenant, failedHook, ['run.failed']);
    await subscribe(tenant, appliedHook);
    const dir = writePackage(smallDistrict());
    const providerId = await csvProvider(t, tenant, dir);
    rmSync(dir, { recursive: true, force: true });
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('FAILURE');
    const [delivery] = await settled(tenant, 1);
    expect(delivery).toMatchObject({ event: 'run.failed', run_id: run.id, status: 'succeeded' });
    expect(failedHook.received[0]!.payload.run).toMatchObject({
      id: run.id,
      status: 'FAILURE',
      errorCode: run.errorCode,
    });
    expect(appliedHook.received).toEqual([]);
  });

  it('a disabled webhook is sent nothing', async () => {
    const tenant = 'hooks-disabled';
    const r = await receiver([200]);
    const webhookId = await subscribe(tenant, r);
    await t.deps.webhooks.update(actor, tenant, webhookId, { enabled: false });
    const run = await syncNow(t, await csvProvider(t, tenant, writePackage(smallDistrict())));
    expect(run.status).toBe('SUCCESS');
    expect(await deliveriesOf(tenant)).toEqual([]);
  });

  it('an apply that rolls back after the notices were written leaves no delivery and no job', async () => {
    const tenant = 'hooks-rollback';
    const r = await receiver([200]);
    await subscribe(tenant, r);
    const providerId = await csvProvider(t, tenant, writePackage(smallDistrict()));
    const original = t.deps.engine.observer!;
    let noticesWritten = 0;
    // The apply transaction fails after the observer wrote its deliveries and jobs into it.
    const failing: RunObserver = {
      ...original,
      async applied(tx, run) {
        await original.applied?.(tx, run);
        const written = await tx.execute(
          sql`SELECT count(*)::int AS n FROM sis_webhook_deliveries WHERE run_id = ${run.id}`,
        );
        noticesWritten = (written as { rows: { n: number }[] }).rows[0]?.n ?? 0;
        throw new Error('the apply failed after the notices');
      },
    };
    t.deps.engine.observer = failing;
    let run: RunRow;
    try {
      run = await syncNow(t, providerId);
    } finally {
      t.deps.engine.observer = original;
    }
    expect(noticesWritten).toBe(1);
    expect(run.status).toBe('FAILURE');
    expect(await deliveriesOf(tenant)).toEqual([]);
    expect(await t.deps.queue.size('sis-sync-webhook')).toBe(0);
    const [users] = await rows<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM users WHERE tenant_id = '${tenant}'`,
    );
    expect(users?.n).toBe(0);
    expect(r.received).toEqual([]);
  });
});

describe(`webhook delivery after a worker died mid-attempt, on ${driver}`, () => {
  /** An app whose worker takes nothing: the chore under test is driven by hand, on its own clock. */
  let quiet: TestApp;
  let clock = new Date();
  const settings = webhookSettings({ ...FAST, timeoutMs: 2000, requeueAfterMs: 60_000, sweepIntervalMs: 0 });

  beforeAll(async () => {
    quiet = await createTestApp({}, { worker: 'none' });
  });
  afterAll(async () => quiet.close());

  const chore = () =>
    createWebhookChore({
      db: quiet.handle.db,
      queue: quiet.deps.queue,
      secretBox: quiet.deps.secretBox,
      settings,
      logger: createTestLogger(),
      clock: () => clock,
    });

  /** A failed run of a fresh provider, told to the observer: one run.failed delivery per subscription. */
  async function failedRun(tenantId: string): Promise<RunRow> {
    const providerId = (
      await quiet.deps.providers.create(actor, {
        tenantId,
        providerType: 'ONEROSTER_CSV',
        name: `CSV ${tenantId} ${Math.random()}`,
        config: { localPath: writePackage(smallDistrict()) },
      })
    ).id;
    const created = await createRun(quiet.handle.db, {
      tenantId,
      providerId,
      trigger: 'MANUAL',
      triggeredBy: 'someone',
      dryRun: false,
    });
    if (!created.created) throw new Error('the provider already had a run');
    await transitionRun(quiet.handle.db, created.run.id, 'PENDING', 'IN_PROGRESS', { startedAt: new Date() });
    const run = await transitionRun(quiet.handle.db, created.run.id, 'IN_PROGRESS', 'FAILURE', {
      errorCode: 'provider_unavailable',
      errorMessage: 'down',
      finishedAt: new Date(),
    });
    await quiet.deps.engine.observer!.ended!(run!);
    return run!;
  }

  async function subscribeQuiet(tenantId: string, r: WebhookReceiver): Promise<string> {
    const { webhook, secret } = await quiet.deps.webhooks.create(actor, tenantId, {
      url: r.url,
      events: ['run.failed'],
    });
    r.secret = secret;
    return webhook.id;
  }

  const deliveryOf = async (runId: string) =>
    (
      await rows<DeliveryRow>(
        quiet,
        `SELECT id, status, attempts, next_attempt_at FROM sis_webhook_deliveries WHERE run_id = '${runId}'`,
      )
    )[0]!;

  it('an attempt taken and never recorded is sent again once overdue; an extra job for it is harmless', async () => {
    clock = new Date();
    const r = await receiver([200]);
    await subscribeQuiet('hooks-crash', r);
    const run = await failedRun('hooks-crash');
    const pending = await deliveryOf(run.id);

    // What a worker that died after step one leaves: its job taken and never completed, the
    // delivery marked as being attempted, no attempt recorded, nothing sent.
    await quiet.handle.db.transaction(async (tx) => {
      const job = await quiet.deps.queue.fetch(tx, 'sis-sync-webhook');
      expect(job?.data).toEqual({ deliveryId: pending.id });
      const delivery = await lockDelivery(tx, pending.id);
      await updateDelivery(tx, pending.id, {
        attempts: delivery!.attempts + 1,
        lastAttemptAt: clock,
        nextAttemptAt: new Date(clock.getTime() + settings.timeoutMs),
      });
    });

    // Not yet overdue: nothing to take, nothing sent.
    expect(await chore().run()).toBe(false);
    expect(r.received).toEqual([]);
    expect((await deliveryOf(run.id)).status).toBe('pending');

    // Past the attempt's timeout and the grace: the sweep queues it again and it is delivered.
    clock = new Date(clock.getTime() + settings.timeoutMs + settings.requeueAfterMs + 1000);
    const worker = chore();
    expect(await worker.run()).toBe(true);
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.signatureValid).toBe(true);
    expect(r.received[0]!.headers['webhook-id']).toBe(pending.id);
    expect(await deliveryOf(run.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect((await attemptsFor(quiet, pending.id)).map((a) => a.response_status)).toEqual([200]);

    // A stray second job for the settled delivery is completed without sending anything.
    await quiet.handle.db.transaction((tx) =>
      quiet.deps.queue.send(tx, 'sis-sync-webhook', { deliveryId: pending.id }),
    );
    expect(await worker.run()).toBe(true);
    expect(await worker.run()).toBe(false);
    expect(r.received).toHaveLength(1);
  });

  it('a delivery whose webhook was deleted before its attempt ends failed, sending nothing', async () => {
    clock = new Date();
    const r = await receiver([200]);
    const webhookId = await subscribeQuiet('hooks-deleted', r);
    const run = await failedRun('hooks-deleted');
    await quiet.deps.webhooks.remove(actor, 'hooks-deleted', webhookId);
    expect(await chore().run()).toBe(true);
    const [delivery] = await rows<DeliveryRow>(
      quiet,
      `SELECT status, attempts, last_error FROM sis_webhook_deliveries WHERE run_id = '${run.id}'`,
    );
    expect(delivery).toEqual({
      status: 'failed',
      attempts: 0,
      last_error: 'the webhook was deleted before this attempt',
    });
    expect(r.received).toEqual([]);
  });

  it('telling the same run twice queues one notice per webhook', async () => {
    clock = new Date();
    const r = await receiver([200]);
    await subscribeQuiet('hooks-twice', r);
    const run = await failedRun('hooks-twice');
    await quiet.deps.engine.observer!.ended!(run);
    const all = await rows(quiet, `SELECT id FROM sis_webhook_deliveries WHERE run_id = '${run.id}'`);
    expect(all).toHaveLength(1);
  });
});

const attemptsFor = (app: TestApp, deliveryId: string) =>
  rows<{ attempt: number; response_status: number | null }>(
    app,
    `SELECT attempt, response_status FROM sis_webhook_attempts WHERE delivery_id = '${deliveryId}' ORDER BY id`,
  );

describe('retry waits', () => {
  const settings = webhookSettings({
    backoffMs: [10_000, 30_000, 120_000],
    jitter: 0,
    maxRetryAfterMs: 3_600_000,
  });

  it('follow the backoff table, staying on its last entry past its end', () => {
    expect([1, 2, 3, 4, 7].map((n) => retryDelayMs(settings, n, undefined))).toEqual([
      10_000, 30_000, 120_000, 120_000, 120_000,
    ]);
  });

  it('are spread by the jitter around the table', () => {
    const jittery = { ...settings, jitter: 0.2 };
    expect(retryDelayMs(jittery, 1, undefined, () => 0)).toBe(8_000);
    expect(retryDelayMs(jittery, 1, undefined, () => 0.5)).toBe(10_000);
    expect(retryDelayMs(jittery, 1, undefined, () => 0.999)).toBeLessThan(12_000);
  });

  it('honour a longer Retry-After up to the cap, never a shorter one than the backoff', () => {
    expect(retryDelayMs(settings, 1, 60_000)).toBe(60_000);
    expect(retryDelayMs(settings, 2, 5_000)).toBe(30_000);
    expect(retryDelayMs(settings, 1, 86_400_000)).toBe(3_600_000);
  });

  it('read Retry-After as seconds or as an HTTP date', () => {
    const now = new Date('2027-01-10T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 10 Jan 2027 12:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('default to 8 attempts, the first waits 10 s apart and growing', () => {
    const defaults = webhookSettings();
    expect(defaults.maxAttempts).toBe(8);
    expect(defaults.timeoutMs).toBe(10_000);
    expect(defaults.backoffMs.slice(0, 3)).toEqual([10_000, 30_000, 120_000]);
  });
});
