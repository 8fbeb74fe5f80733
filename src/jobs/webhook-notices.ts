import { randomUUID } from 'node:crypto';

import type { Database, Executor } from '../db/client.js';
import type { WebhookEvent } from '../db/schema/index.js';
import type { RunRow } from '../repositories/runs-repository.js';
import {
  changeRangeOfRun,
  insertDeliveries,
  providerTypeOf,
  subscriptionsToNotify,
} from '../repositories/webhooks-repository.js';
import type { RunObserver } from '../sync/execute-run.js';
import type { JobQueue } from './queue.js';

/**
 * Webhook notices of runs, as the engine's observer: `run.applied` inside the transaction that
 * applies the run (a notice exists exactly when the run's changes do), `run.held` and `run.failed`
 * once the run ended. Each notice is one delivery per subscription that wants it, and a queued
 * `sis-sync-webhook` job per delivery, written together.
 */
export function createWebhookNotifier(deps: {
  db: Database;
  queue: JobQueue;
  clock: () => Date;
}): RunObserver {
  const notify = async (tx: Executor, run: RunRow, event: WebhookEvent) => {
    const subscriptions = await subscriptionsToNotify(tx, run.tenantId, event, run.id);
    if (subscriptions.length === 0) return;
    const now = deps.clock();
    const body = await noticeBody(tx, run, event, now);
    const deliveries = await insertDeliveries(
      tx,
      subscriptions.map((subscription) => {
        const id = randomUUID();
        return {
          id,
          tenantId: run.tenantId,
          subscriptionId: subscription.id,
          event,
          runId: run.id,
          payload: { id, ...body },
          status: 'pending' as const,
          nextAttemptAt: now,
        };
      }),
    );
    for (const delivery of deliveries) {
      await deps.queue.send(tx, 'sis-sync-webhook', { deliveryId: delivery.id });
    }
  };

  return {
    applied: (tx, run) => notify(tx, run, 'run.applied'),
    async ended(run) {
      const event = run.status === 'HELD' ? 'run.held' : run.status === 'FAILURE' ? 'run.failed' : undefined;
      if (event === undefined) return;
      await deps.db.transaction((tx) => notify(tx, run, event));
    },
  };
}

/**
 * What every subscription is told of a run (the delivery id is added per delivery). Counts and
 * ids only, no roster data: `changes` names the page of the change feed that holds the run's
 * events (`GET /api/v1/tenants/:tenantId/changes?after=<after>`, up to seq `until`), null when the
 * run recorded none.
 */
async function noticeBody(
  db: Executor,
  run: RunRow,
  event: WebhookEvent,
  now: Date,
): Promise<Record<string, unknown>> {
  const range = event === 'run.applied' ? await changeRangeOfRun(db, run.id) : undefined;
  return {
    event,
    createdAt: now.toISOString(),
    tenantId: run.tenantId,
    run: {
      id: run.id,
      providerId: run.providerId,
      providerType: (await providerTypeOf(db, run.providerId)) ?? null,
      status: run.status,
      trigger: run.trigger,
      dryRun: run.dryRun,
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      stats: run.stats,
      errorCode: run.errorCode,
    },
    changes: {
      after: range === undefined ? null : String(range.after),
      until: range === undefined ? null : String(range.until),
    },
  };
}
