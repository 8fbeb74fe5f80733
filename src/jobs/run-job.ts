import type { Database, Executor, Transaction } from '../db/client.js';
import { findProvider } from '../repositories/providers-repository.js';
import { claimRun, lockSlots, transitionRun } from '../repositories/runs-repository.js';
import type { RunDispatcher, RunTask } from '../sync/runner.js';
import type { JobQueue } from './queue.js';

/** Queues a run task inside the transaction that created (or approved) the run. */
export async function enqueueRun(tx: Executor, queue: JobQueue, task: RunTask): Promise<void> {
  await queue.send(tx, 'sis-sync-run', task, { singletonKey: task.providerId });
}

/** The engine's dispatch port over the queue; `wake` nudges this process's worker, if it has one. */
export function createRunDispatcher(queue: JobQueue, wake: () => void): RunDispatcher {
  return {
    dispatch: (tx, task) => enqueueRun(tx, queue, task),
    dispatched: wake,
  };
}

export type RunClaim =
  | { outcome: 'claimed'; task: RunTask }
  /** Every MAX_CONCURRENT_SYNCS slot of the deployment is taken. */
  | { outcome: 'full' }
  /** No job due. */
  | { outcome: 'empty' }
  /** The job's run was no longer waiting (cancelled, taken directly); the job is done. */
  | { outcome: 'stale' };

export interface ClaimOptions {
  workerId: string;
  maxConcurrent: number;
}

/**
 * Takes the next run job when the deployment has a free slot: the slot count, the job and the
 * run's claim are one transaction under one lock, so no two workers of any instance can together
 * exceed MAX_CONCURRENT_SYNCS, and no job is taken twice.
 */
export async function claimNextRun(db: Database, queue: JobQueue, options: ClaimOptions): Promise<RunClaim> {
  return db.transaction(async (tx) => {
    if ((await lockSlots(tx)) >= options.maxConcurrent) return { outcome: 'full' };
    const job = await queue.fetch(tx, 'sis-sync-run');
    if (job === undefined) return { outcome: 'empty' };
    await queue.complete(tx, 'sis-sync-run', job.id);
    return (await claim(tx, job.data, options.workerId))
      ? { outcome: 'claimed', task: job.data }
      : { outcome: 'stale' };
  });
}

/**
 * Takes one given run when a slot is free (the `sync` command runs its own run in its process).
 * Its queued job stays behind and is found stale by whichever worker takes it.
 */
export async function claimRunDirectly(
  db: Database,
  task: RunTask,
  options: ClaimOptions,
): Promise<'claimed' | 'full' | 'gone'> {
  return db.transaction(async (tx) => {
    if ((await lockSlots(tx)) >= options.maxConcurrent) return 'full';
    return (await claim(tx, task, options.workerId)) ? 'claimed' : 'gone';
  });
}

/** A sync of a provider disabled (or deleted) since it was queued never starts. */
async function claim(tx: Transaction, task: RunTask, workerId: string): Promise<boolean> {
  if (task.kind === 'sync') {
    const provider = await findProvider(tx, task.providerId);
    if (provider === undefined || !provider.enabled) {
      await transitionRun(tx, task.runId, 'PENDING', 'CANCELLED', {
        phase: 'done',
        errorCode: 'provider_disabled',
        errorMessage:
          provider === undefined
            ? 'the provider was deleted before the run started; nothing was run'
            : 'the provider was disabled before the run started; nothing was run',
        finishedAt: new Date(),
      });
      return false;
    }
  }
  return (await claimRun(tx, task.runId, task.kind, workerId)) !== undefined;
}
