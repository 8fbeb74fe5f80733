import { sql } from 'drizzle-orm';

import type { Database, Transaction } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { describeSweep, sweepRetention } from '../services/retention-sweep.js';
import type { JobQueue } from './queue.js';
import type { WorkerChore } from './worker.js';

/*
 * The retention sweep runs once a day in the whole deployment. Its schedule is one delayed
 * `sis-sync-prune` job: the worker that takes it (the queue hands a job to one taker only) queues
 * the next day's in the same transaction, then sweeps. So however many instances run, a due sweep
 * happens once, and there is always exactly one job waiting.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
/** Shown with the job in the queue. */
const SINGLETON_KEY = 'retention';
/** Serialises "queue the first sweep unless one is queued" across instances starting together. */
const ENSURE_LOCK_KEY = 7_311_046_503;

export interface PruneChoreOptions {
  db: Database;
  queue: JobQueue;
  /** SIS_SYNC_RETENTION_DAYS; 0 keeps everything (the job still comes round, and does nothing). */
  retentionDays: number;
  /** VACUUM what the sweep deleted from: the embedded database, which has no autovacuum. */
  reclaimSpace: boolean;
  logger: Logger;
  clock: () => Date;
}

/**
 * The worker chore: on its first look it makes sure a sweep is queued (a deployment that never
 * had one gets one due now); then, on each look, it takes the due sweep, if any, and runs it.
 */
export function createPruneChore(options: PruneChoreOptions): WorkerChore {
  const { db, queue, clock } = options;
  const log = options.logger.child({ chore: 'prune' });
  let ensured = false;
  return {
    name: 'prune',
    async run() {
      if (!ensured) {
        if (await ensurePruneQueued(db, queue, clock)) log.info('queued the first retention sweep');
        ensured = true;
      }
      const taken = await takeDuePrune(db, queue, clock);
      if (taken === undefined) return false;
      const result = await sweepRetention(db, {
        olderThanDays: options.retentionDays,
        now: clock(),
        reclaimSpace: options.reclaimSpace,
      });
      log.info(
        {
          dueAt: taken.dueAt,
          next: taken.next,
          cutoff: result.cutoff,
          runs: result.runs,
          keptLastApplied: result.keptLastApplied,
          rows: result.rows,
        },
        `retention sweep: ${describeSweep(result)}`,
      );
      return false;
    },
  };
}

/** Queues a sweep due now unless one is queued (or being taken); true when it queued one. */
export async function ensurePruneQueued(db: Database, queue: JobQueue, clock: () => Date): Promise<boolean> {
  return db.transaction(async (tx) => {
    // Two instances starting at once: the second waits here, then sees the first one's job.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${ENSURE_LOCK_KEY})`);
    if ((await queue.pending(tx, 'sis-sync-prune')) > 0) return false;
    await queueSweep(tx, queue, clock());
    return true;
  });
}

/** The queue (on the database's clock) handed out a job this worker's clock says is not due yet. */
class NotYetDue extends Error {}

/**
 * Takes the due sweep job and, in the same transaction, completes it and queues the next one at
 * the same time of day, a day later. Undefined when none is due.
 */
export async function takeDuePrune(
  db: Database,
  queue: JobQueue,
  clock: () => Date,
): Promise<{ dueAt: Date; next: Date } | undefined> {
  try {
    return await db.transaction(async (tx) => {
      const job = await queue.fetch(tx, 'sis-sync-prune');
      if (job === undefined) return undefined;
      const dueAt = new Date(job.data.dueAt);
      const now = clock();
      // Rolled back: the job is due again at the next look.
      if (dueAt > now) throw new NotYetDue();
      await queue.complete(tx, 'sis-sync-prune', job.id);
      // Same time of day, the first one still ahead (a deployment down for days sweeps once).
      let next = dueAt.getTime() + DAY_MS;
      while (next <= now.getTime()) next += DAY_MS;
      await queueSweep(tx, queue, new Date(next));
      return { dueAt, next: new Date(next) };
    });
  } catch (error) {
    if (error instanceof NotYetDue) return undefined;
    throw error;
  }
}

async function queueSweep(tx: Transaction, queue: JobQueue, dueAt: Date): Promise<void> {
  await queue.send(
    tx,
    'sis-sync-prune',
    { dueAt: dueAt.toISOString() },
    { startAfter: dueAt, singletonKey: SINGLETON_KEY },
  );
}
