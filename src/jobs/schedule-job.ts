import type { Database, Transaction } from '../db/client.js';
import { describeBlackout, findBlackout } from '../domain/blackout.js';
import { lockProvider } from '../repositories/providers-repository.js';
import { createRun, insertSkippedRun } from '../repositories/runs-repository.js';
import type { JobQueue } from './queue.js';
import { enqueueRun } from './run-job.js';
import { scheduleNext } from './schedules.js';

export type ScheduleFiring =
  | { fired: false }
  /** `runId`: the run it started (queued for a worker); undefined when it was skipped or stale. */
  | { fired: true; providerId: string; runId: string | undefined };

/**
 * Takes the next due schedule job and, in one transaction: starts the provider's scheduled run
 * (queued like a manual one) or records it as SKIPPED (a blackout window covers it, a run still
 * holds the provider), then queues the provider's next fire time. A job the provider no longer
 * points at (its schedule changed since) does nothing. Several workers never fire one job twice.
 */
export async function fireNextSchedule(
  db: Database,
  queue: JobQueue,
  clock: () => Date,
): Promise<ScheduleFiring> {
  try {
    return await db.transaction((tx) => fire(tx, queue, clock));
  } catch (error) {
    if (error instanceof NotYetDue) return { fired: false };
    throw error;
  }
}

/** The queue (on the database's clock) handed out a job this worker's clock says is not due yet. */
class NotYetDue extends Error {}

async function fire(tx: Transaction, queue: JobQueue, clock: () => Date): Promise<ScheduleFiring> {
  const job = await queue.fetch(tx, 'sis-sync-schedule');
  if (job === undefined) return { fired: false };
  const due = new Date(job.data.dueAt);
  // Rolled back: the job is due again at the next look.
  if (due > clock()) throw new NotYetDue();
  await queue.complete(tx, 'sis-sync-schedule', job.id);
  const { providerId } = job.data;
  const provider = await lockProvider(tx, providerId);
  if (provider?.scheduleJobId !== job.id) return { fired: true, providerId, runId: undefined };
  let runId: string | undefined;
  if (provider.enabled) {
    const when = `the run scheduled for ${due.toISOString()}`;
    const blackout = findBlackout(provider.blackoutWindows, provider.syncTimezone, due);
    if (blackout !== undefined) {
      await insertSkippedRun(tx, {
        tenantId: provider.tenantId,
        providerId,
        code: 'blackout',
        message: `${when} was skipped: it falls in the ${describeBlackout(blackout)}`,
      });
    } else {
      const created = await createRun(tx, {
        tenantId: provider.tenantId,
        providerId,
        trigger: 'SCHEDULE',
        triggeredBy: null,
        dryRun: false,
      });
      if (created.created) {
        runId = created.run.id;
        await enqueueRun(tx, queue, { kind: 'sync', runId, providerId });
      } else {
        const active = created.active;
        await insertSkippedRun(tx, {
          tenantId: provider.tenantId,
          providerId,
          code: 'already_running',
          message:
            `${when} was skipped: run ${active.id} still held the provider ` +
            `(${active.status === 'HELD' ? 'HELD, awaiting review' : active.status})`,
        });
      }
    }
  }
  const now = clock();
  await scheduleNext(tx, queue, provider, now > due ? now : due);
  return { fired: true, providerId, runId };
}
