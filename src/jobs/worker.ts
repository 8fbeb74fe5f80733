import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import type { DatabaseHandle } from '../db/client.js';
import type { Logger } from '../lib/logger.js';
import { safeError } from '../lib/safe-error.js';
import {
  failAbandonedRuns,
  findRun,
  heartbeatRuns,
  requestCancel,
  updateRun,
} from '../repositories/runs-repository.js';
import { applyApprovedRun, executeRun, type SyncEngineDeps } from '../sync/execute-run.js';
import type { RunTask } from '../sync/runner.js';
import type { JobQueue } from './queue.js';
import { claimNextRun, claimRunDirectly } from './run-job.js';
import { fireNextSchedule } from './schedule-job.js';
import { reconcileSchedules } from './schedules.js';

export interface WorkerOptions {
  handle: DatabaseHandle;
  queue: JobQueue;
  engine: SyncEngineDeps;
  logger: Logger;
  /** MAX_CONCURRENT_SYNCS: runs executing at once in the whole deployment (and so in this worker). */
  maxConcurrent: number;
  /** SYNC_LOCK_TIMEOUT: a run is given up this long after its worker's last sign of life, at the latest. */
  lockTimeoutMs: number;
  /** How often an idle worker looks at the queue. */
  pollIntervalMs: number;
  /**
   * true: take due runs and schedules from the queue (`serve`, `worker`). false: execute only the
   * runs handed to `runHere` (the `sync` command, which must not take other providers' work).
   */
  consume: boolean;
  /** Work beside runs (webhook deliveries, pruning), done by a worker that consumes the queue. */
  chores?: readonly WorkerChore[];
  clock?: () => Date;
}

/**
 * A kind of background work. The worker calls `run` on each look at the queue, never twice at
 * once, without holding up runs: it does what is due (in its own transactions) and resolves true
 * when more may be due right away.
 */
export interface WorkerChore {
  name: string;
  run(): Promise<boolean>;
}

export interface Worker {
  readonly id: string;
  start(): Promise<void>;
  /** Look at the queue now (this process just queued something). */
  wake(): void;
  /** Executes this queued run here once a slot is free; resolves when it is done here, or taken elsewhere. */
  runHere(task: RunTask): Promise<void>;
  /** Stops taking work, cancels the runs in progress (they roll back at their next batch) and waits for them. */
  stop(): Promise<void>;
}

/**
 * Executes sync runs from the queue. Every instance may run one; together they never exceed
 * MAX_CONCURRENT_SYNCS (see run-job.ts). A worker reports each of its runs every quarter of the
 * lock timeout; a run without a report for half of it is given up by any worker (its worker was
 * killed or lost its connection, and its transaction died with it), so a provider is free again
 * at the latest SYNC_LOCK_TIMEOUT after its worker's end.
 */
export function createWorker(options: WorkerOptions): Worker {
  const { handle, queue, logger } = options;
  const { db } = handle;
  const clock = options.clock ?? (() => new Date());
  const id = `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  const log = logger.child({ worker: id });
  const claimOptions = { workerId: id, maxConcurrent: options.maxConcurrent };
  const reportEveryMs = Math.max(100, Math.floor(options.lockTimeoutMs / 4));
  const staleAfterMs = Math.floor(options.lockTimeoutMs / 2);

  /** Runs executing here, by id. */
  const running = new Map<string, Promise<void>>();
  /** Chores in progress, by name. */
  const choring = new Map<string, Promise<void>>();
  /** Runs this worker cancelled because it is stopping (their message says so). */
  const stoppedByShutdown = new Set<string>();
  let stopping = false;
  let loop: Promise<void> | undefined;
  /** Ends the poll loop's wait early; `woken` keeps a wake that came while it was not waiting. */
  let nudge: (() => void) | undefined;
  let woken = false;
  const wake = () => {
    woken = true;
    nudge?.();
  };
  let timers: NodeJS.Timeout[] = [];

  const launch = (task: RunTask): Promise<void> => {
    const execution = (task.kind === 'sync' ? executeRun : applyApprovedRun)(options.engine, task.runId)
      .then(() => undefined)
      .catch((error: unknown) => log.error({ error: safeError(error), ...task }, 'run task failed'))
      .finally(async () => {
        running.delete(task.runId);
        if (stoppedByShutdown.has(task.runId)) await noteShutdown(task.runId);
        wake();
      });
    running.set(task.runId, execution);
    return execution;
  };

  const noteShutdown = async (runId: string) => {
    const run = await findRun(db, runId).catch(() => undefined);
    if (run?.status !== 'CANCELLED' || run.errorCode !== 'cancelled') return;
    await updateRun(db, runId, {
      errorCode: 'shutdown',
      errorMessage: `the worker (${id}) was shut down before the run finished; nothing was applied`,
    }).catch(() => undefined);
  };

  const startChores = () => {
    for (const chore of options.chores ?? []) {
      if (stopping || choring.has(chore.name)) continue;
      const work = chore
        .run()
        .then((more) => {
          if (more) wake();
        })
        .catch((error: unknown) => log.warn({ error: safeError(error), chore: chore.name }, 'chore failed'))
        .finally(() => choring.delete(chore.name));
      choring.set(chore.name, work);
    }
  };

  /** Fires every due schedule, then takes runs while this worker and the deployment have room. */
  const takeWork = async () => {
    startChores();
    for (;;) {
      if (stopping) return;
      const firing = await fireNextSchedule(db, queue, clock);
      if (!firing.fired) break;
      if (firing.runId !== undefined) {
        log.info({ providerId: firing.providerId, runId: firing.runId }, 'scheduled run queued');
      }
    }
    while (!stopping && running.size < options.maxConcurrent) {
      const claim = await claimNextRun(db, queue, claimOptions);
      if (claim.outcome === 'claimed') {
        log.info({ ...claim.task }, 'run started');
        void launch(claim.task);
      } else if (claim.outcome !== 'stale') {
        return;
      }
    }
  };

  const pollLoop = async () => {
    while (!stopping) {
      woken = false;
      try {
        await takeWork();
      } catch (error) {
        log.warn({ error: safeError(error) }, 'could not take work from the queue; trying again');
      }
      if (stopping) break;
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollIntervalMs);
        nudge = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      nudge = undefined;
    }
  };

  /** One report at a time: on the embedded database it waits behind a loading transaction. */
  let reporting = false;
  const report = async () => {
    if (reporting || running.size === 0) return;
    reporting = true;
    try {
      await heartbeatRuns(db, [...running.keys()], id);
    } catch (error) {
      log.warn({ error: safeError(error) }, 'could not report the runs in progress');
    } finally {
      reporting = false;
    }
  };

  let reaping = false;
  const reap = async () => {
    if (reaping) return;
    reaping = true;
    try {
      await giveUpAbandoned(staleAfterMs);
    } catch (error) {
      log.warn({ error: safeError(error) }, 'could not look for abandoned runs');
    } finally {
      reaping = false;
    }
  };

  const giveUpAbandoned = async (timeoutMs: number) => {
    for (const run of await failAbandonedRuns(db, { timeoutMs, except: [...running.keys()] })) {
      log.warn(
        { runId: run.id, providerId: run.providerId, lostWorker: run.workerId },
        run.errorMessage ?? 'run given up',
      );
      // Its own worker can no longer say that it ended (a run.failed webhook, for one): this one does.
      await options.engine.observer
        ?.ended?.(run)
        .catch((error: unknown) =>
          log.warn({ runId: run.id, error: safeError(error) }, 'could not report the end of a run'),
        );
    }
  };

  return {
    id,
    async start() {
      await queue.start();
      // The embedded database belongs to this process alone (its lock file says so): a run still
      // marked as taken was left by a process that ended, and is given up at once. On PostgreSQL,
      // runs already without a heartbeat are given up now rather than at the first timer: the
      // `sync` command triggers right after starting, and a run left by a killed command would
      // otherwise refuse it (and every later one, when no server runs beside it) for ever.
      await giveUpAbandoned(handle.kind === 'pglite' ? 0 : staleAfterMs);
      timers = [
        setInterval(() => void report(), reportEveryMs),
        setInterval(() => void reap(), reportEveryMs),
      ];
      for (const timer of timers) timer.unref();
      if (options.consume) {
        const queued = await reconcileSchedules(db, queue, clock);
        if (queued > 0) log.info({ providers: queued }, 'queued the schedules of providers that had none');
        loop = pollLoop();
      }
      log.info(
        {
          maxConcurrent: options.maxConcurrent,
          lockTimeoutMs: options.lockTimeoutMs,
          consume: options.consume,
        },
        'worker started',
      );
    },
    wake,
    async runHere(task) {
      let waitingSaid = false;
      while (!stopping) {
        const outcome = await claimRunDirectly(db, task, claimOptions);
        if (outcome === 'claimed') return launch(task);
        if (outcome === 'gone') return;
        if (!waitingSaid) {
          log.info(`all ${options.maxConcurrent} sync slots of the deployment are taken; waiting for one`);
          waitingSaid = true;
        }
        await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs));
      }
    },
    async stop() {
      stopping = true;
      wake();
      await loop;
      await Promise.all(choring.values());
      if (running.size > 0) {
        log.info({ runs: [...running.keys()] }, 'cancelling the runs in progress before shutdown');
        for (const runId of running.keys()) {
          stoppedByShutdown.add(runId);
          await requestCancel(db, runId);
        }
        await Promise.all(running.values());
      }
      for (const timer of timers) clearInterval(timer);
      timers = [];
    },
  };
}
