import type { Executor } from '../db/client.js';

/** A unit of background work: run a sync, or apply a run an admin approved. */
export interface RunTask {
  kind: 'sync' | 'apply';
  runId: string;
  providerId: string;
}

/**
 * Where run tasks go. The API and the CLI only dispatch, inside the transaction that created or
 * approved the run; a worker of any instance executes them (jobs/ implements this over the queue).
 */
export interface RunDispatcher {
  dispatch(tx: Executor, task: RunTask): Promise<void>;
  /** After the transaction committed: a worker in this process may take the task at once. */
  dispatched(): void;
}
