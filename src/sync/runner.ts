import type { Logger } from '../lib/logger.js';
import { safeError } from '../lib/safe-error.js';

/** A unit of background work: run a sync, or apply a run an admin approved. */
export interface RunTask {
  kind: 'sync' | 'apply';
  runId: string;
}

/**
 * Where run tasks go. The API and the CLI only submit; what executes them (this process, a
 * queue and its workers) is behind this port.
 */
export interface RunExecutor {
  submit(task: RunTask): void;
  /** Resolves when nothing is queued or running (tests, graceful shutdown). */
  idle(): Promise<void>;
  /** Tasks submitted and not yet finished, queued or executing (graceful shutdown cancels them). */
  unfinished(): RunTask[];
}

/** Executes tasks in this process, at most `maxConcurrent` at once, the rest in arrival order. */
export function createInProcessRunner(options: {
  execute: (task: RunTask) => Promise<unknown>;
  maxConcurrent: number;
  logger: Logger;
}): RunExecutor {
  const queue: RunTask[] = [];
  const executing = new Set<RunTask>();
  let running = 0;
  let waiters: (() => void)[] = [];

  const settle = () => {
    if (running === 0 && queue.length === 0) {
      for (const resolve of waiters) resolve();
      waiters = [];
    }
  };

  const pump = () => {
    while (running < options.maxConcurrent && queue.length > 0) {
      const task = queue.shift()!;
      running += 1;
      executing.add(task);
      options
        .execute(task)
        .catch((error: unknown) =>
          options.logger.error({ error: safeError(error), ...task }, 'run task failed'),
        )
        .finally(() => {
          executing.delete(task);
          running -= 1;
          pump();
          settle();
        });
    }
  };

  return {
    submit(task) {
      queue.push(task);
      pump();
    },
    idle() {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    unfinished() {
      return [...executing, ...queue];
    },
  };
}
