import type { Executor } from '../db/client.js';

/**
 * The job queue as the rest of sis-sync sees it: two queues with typed payloads, jobs written in
 * the caller's transaction (a job exists exactly when the data that asks for it does) and taken in
 * the caller's transaction (claimed and acted on at once, or not at all). pg-boss implements it
 * (pg-boss-queue.ts); nothing else imports pg-boss.
 */
export interface JobPayloads {
  /** Execute a PENDING run (`sync`) or apply an approved held run (`apply`). */
  'sis-sync-run': { kind: 'sync' | 'apply'; runId: string; providerId: string };
  /** A provider's schedule is due at `dueAt`: start (or skip) its scheduled run. */
  'sis-sync-schedule': { providerId: string; dueAt: string };
  /** Attempt a webhook delivery (its first try, or a retry after backoff). */
  'sis-sync-webhook': { deliveryId: string };
  /** The retention sweep is due at `dueAt`: prune old staging and run errors, queue the next. */
  'sis-sync-prune': { dueAt: string };
}
export type QueueName = keyof JobPayloads;
export const QUEUE_NAMES = [
  'sis-sync-run',
  'sis-sync-schedule',
  'sis-sync-webhook',
  'sis-sync-prune',
] as const satisfies readonly QueueName[];

export interface Job<N extends QueueName> {
  id: string;
  name: N;
  data: JobPayloads[N];
}

export interface SendOptions {
  /** Not before this instant (a schedule's next fire time). */
  startAfter?: Date;
  /** The provider the job is for: shown with the job, and what the queue groups it by. */
  singletonKey?: string;
}

export interface JobQueue {
  /** Creates or upgrades the queue's tables and the queues; safe from several instances at once. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Enqueues inside `tx`: the job exists if and only if the transaction commits. Resolves to its id. */
  send<N extends QueueName>(
    tx: Executor,
    name: N,
    data: JobPayloads[N],
    options?: SendOptions,
  ): Promise<string>;
  /**
   * Takes the next due job of `name` inside `tx` (locked, skipped by every other taker): act on it
   * and `complete` it in the same transaction, or roll back and it is due again.
   */
  fetch<N extends QueueName>(tx: Executor, name: N): Promise<Job<N> | undefined>;
  complete(tx: Executor, name: QueueName, id: string): Promise<void>;
  /** Jobs of `name` queued and not yet taken (due or not). */
  size(name: QueueName): Promise<number>;
  /**
   * Jobs of `name` not yet done (queued, due or not, or being taken), as `tx` sees them: with a
   * lock held, "queue one unless one exists" without ever queuing two.
   */
  pending(tx: Executor, name: QueueName): Promise<number>;
  /** Withdraws a job that has not been taken (a schedule replaced by another). */
  cancel(tx: Executor, name: QueueName, id: string): Promise<void>;
}
