import type { Database } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { safeError } from '../lib/safe-error.js';
import type { SecretBox } from '../lib/secret-box.js';
import {
  findWebhook,
  insertAttempt,
  lockDelivery,
  takeOverdueDeliveries,
  updateDelivery,
  webhookSecretAad,
  type DeliveryRow,
} from '../repositories/webhooks-repository.js';
import {
  retryDelayMs,
  sendWebhook,
  type AttemptOutcome,
  type WebhookSettings,
} from '../services/webhook-delivery.js';
import type { WebhookDispatcher } from '../services/webhook-service.js';
import type { JobQueue } from './queue.js';
import type { WorkerChore } from './worker.js';

/** Queues attempts over the job queue; `wake` nudges this process's worker, if it has one. */
export function createWebhookDispatcher(queue: JobQueue, wake: () => void): WebhookDispatcher {
  return {
    enqueue: async (tx, deliveryId) => {
      await queue.send(tx, 'sis-sync-webhook', { deliveryId });
    },
    dispatched: wake,
  };
}

export interface WebhookChoreDeps {
  db: Database;
  queue: JobQueue;
  secretBox: SecretBox;
  settings: WebhookSettings;
  logger: Logger;
  clock: () => Date;
  random?: () => number;
}

/**
 * A job may come a little before its delivery's due time (the queue compares with the database's
 * clock, the delivery with this process's): within this, it is on time.
 */
const EARLY_JOB_TOLERANCE_MS = 1000;
/** Overdue deliveries re-queued per sweep. */
const SWEEP_BATCH = 100;

/** An attempt taken and marked, to be sent outside any transaction. */
interface Claim {
  jobId: string;
  delivery: DeliveryRow;
  url: string;
  /** Undefined when it could not be decrypted; `error` says why. */
  secret: string | undefined;
  error: string | undefined;
}

/**
 * Delivers webhook notices, as a worker chore. Each attempt is three steps so that no database
 * transaction stays open across the HTTP request (on the embedded database it would block
 * everything): (1) take the due job and mark the delivery as being attempted, in one short
 * transaction, the job left active; (2) POST; (3) record the attempt, settle or reschedule the
 * delivery and complete the job, in another. A worker that dies between (1) and (3) leaves a
 * pending delivery whose attempt never got recorded: once its attempt is overdue by
 * `requeueAfterMs`, any worker's sweep queues it again. Delivery is at least once; receivers
 * de-duplicate on `webhook-id`.
 */
export function createWebhookChore(deps: WebhookChoreDeps): WorkerChore {
  const { db, queue, settings } = deps;
  const log = deps.logger.child({ chore: 'webhooks' });
  let lastSweep: number | undefined;

  const sweep = async () => {
    const now = deps.clock();
    if (lastSweep !== undefined && now.getTime() - lastSweep < settings.sweepIntervalMs) return;
    lastSweep = now.getTime();
    const requeued = await db.transaction(async (tx) => {
      const ids = await takeOverdueDeliveries(tx, {
        cutoff: new Date(now.getTime() - settings.requeueAfterMs),
        now,
        limit: SWEEP_BATCH,
      });
      for (const deliveryId of ids) await queue.send(tx, 'sis-sync-webhook', { deliveryId });
      return ids;
    });
    if (requeued.length > 0) {
      log.warn({ deliveries: requeued }, 'queued again webhook deliveries whose attempt was never recorded');
    }
  };

  /** Step 1. `undefined`: no job due; `null`: a job with nothing (more) to do, now completed. */
  const claimNext = async (): Promise<Claim | null | undefined> =>
    db.transaction(async (tx) => {
      const job = await queue.fetch(tx, 'sis-sync-webhook');
      if (job === undefined) return undefined;
      const now = deps.clock();
      const delivery = await lockDelivery(tx, job.data.deliveryId);
      const due =
        delivery?.status === 'pending' &&
        (delivery.nextAttemptAt === null ||
          delivery.nextAttemptAt.getTime() <= now.getTime() + EARLY_JOB_TOLERANCE_MS);
      if (delivery === undefined || !due) {
        // Settled meanwhile, or a second job for an attempt another one already took.
        await queue.complete(tx, 'sis-sync-webhook', job.id);
        return null;
      }
      const webhook = await findWebhook(tx, delivery.subscriptionId);
      if (webhook?.enabled !== true) {
        await updateDelivery(tx, delivery.id, {
          status: 'failed',
          nextAttemptAt: null,
          lastError:
            webhook === undefined
              ? 'the webhook was deleted before this attempt'
              : 'the webhook was disabled before this attempt',
        });
        await queue.complete(tx, 'sis-sync-webhook', job.id);
        return null;
      }
      const marked = await updateDelivery(tx, delivery.id, {
        attempts: delivery.attempts + 1,
        lastAttemptAt: now,
        // Held while the attempt is under way; overdue past it, the sweep takes it back.
        nextAttemptAt: new Date(now.getTime() + settings.timeoutMs),
      });
      let secret: string | undefined;
      let error: string | undefined;
      try {
        secret = deps.secretBox.decrypt(
          { ciphertext: webhook.secretCiphertext, keyId: webhook.secretKeyId },
          webhookSecretAad(webhook),
        );
      } catch (failure) {
        error = `the signing secret could not be decrypted: ${safeError(failure).message}`;
      }
      return { jobId: job.id, delivery: marked, url: webhook.url, secret, error };
    });

  /** Steps 2 and 3. */
  const attempt = async (claim: Claim) => {
    const { delivery } = claim;
    const outcome: AttemptOutcome =
      claim.secret === undefined
        ? {
            delivered: false,
            responseStatus: null,
            error: claim.error ?? null,
            durationMs: 0,
            retryAfterMs: undefined,
          }
        : await sendWebhook(settings, { url: claim.url, secret: claim.secret }, delivery, deps.clock());
    const settled = await db.transaction(async (tx) => {
      const current = await lockDelivery(tx, delivery.id);
      const number = await insertAttempt(tx, {
        deliveryId: delivery.id,
        responseStatus: outcome.responseStatus,
        error: outcome.error,
        durationMs: outcome.durationMs,
      });
      const now = deps.clock();
      const last = { responseStatus: outcome.responseStatus, lastError: outcome.error };
      let result: 'succeeded' | 'failed' | 'retry' | 'moved_on';
      if (current?.status !== 'pending' || current.attempts !== delivery.attempts) {
        // Taken by another attempt meanwhile (the sweep re-queued it while this one was very slow
        // to record), or settled by it: this attempt is logged, the delivery's state is theirs.
        result = 'moved_on';
      } else if (outcome.delivered) {
        await updateDelivery(tx, delivery.id, {
          ...last,
          status: 'succeeded',
          nextAttemptAt: null,
          deliveredAt: now,
        });
        result = 'succeeded';
      } else if (
        delivery.event === 'ping' ||
        outcome.permanent === true ||
        delivery.attempts >= settings.maxAttempts
      ) {
        await updateDelivery(tx, delivery.id, { ...last, status: 'failed', nextAttemptAt: null });
        result = 'failed';
      } else {
        const wait = retryDelayMs(settings, delivery.attempts, outcome.retryAfterMs, deps.random);
        const next = new Date(now.getTime() + wait);
        await updateDelivery(tx, delivery.id, { ...last, nextAttemptAt: next });
        await queue.send(tx, 'sis-sync-webhook', { deliveryId: delivery.id }, { startAfter: next });
        result = 'retry';
      }
      await queue.complete(tx, 'sis-sync-webhook', claim.jobId);
      return { result, number };
    });
    const fields = {
      deliveryId: delivery.id,
      webhookId: delivery.subscriptionId,
      event: delivery.event,
      attempt: settled.number,
      responseStatus: outcome.responseStatus,
      durationMs: outcome.durationMs,
    };
    if (settled.result === 'succeeded') log.info(fields, 'webhook delivered');
    else log.warn({ ...fields, error: outcome.error, outcome: settled.result }, 'webhook attempt failed');
  };

  return {
    name: 'webhooks',
    async run() {
      await sweep();
      const claims: Claim[] = [];
      let took = false;
      while (claims.length < settings.concurrency) {
        const claim = await claimNext();
        if (claim === undefined) break;
        took = true;
        if (claim !== null) claims.push(claim);
      }
      const results = await Promise.allSettled(claims.map(attempt));
      for (const [i, result] of results.entries()) {
        if (result.status === 'rejected') {
          // The attempt stays marked; the sweep sends it again once overdue.
          log.warn(
            { deliveryId: claims[i]?.delivery.id, error: safeError(result.reason) },
            'could not record a webhook attempt',
          );
        }
      }
      return took;
    },
  };
}
