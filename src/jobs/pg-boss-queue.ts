import PgBoss from 'pg-boss';

import type { DatabaseHandle, Executor } from '../db/client.js';
import { sqlSessionOf } from '../db/sql-session.js';
import type { Logger } from '../lib/logger.js';
import { safeError } from '../lib/safe-error.js';
import { QUEUE_NAMES, type Job, type JobPayloads, type JobQueue, type QueueName } from './queue.js';

/** pg-boss keeps its tables in their own schema, beside sis-sync's. */
export const QUEUE_SCHEMA = 'sis_sync_queue';

/**
 * The queue on pg-boss 10 (the last major that runs on Node 20), over the database sis-sync
 * already opened: PostgreSQL's pool, or the one embedded PGlite instance. pg-boss's own workers,
 * cron and polling are not used: jobs are sent, taken and completed inside sis-sync's transactions
 * (docs/decisions/0005-queue-slots-and-schedules.md says why).
 */
export function createPgBossQueue(handle: DatabaseHandle, logger: Logger): JobQueue {
  const boss = new PgBoss({
    db: {
      executeSql: (text: string, values?: unknown[]) =>
        handle.executeSql(text, values) as Promise<{ rows: unknown[] }>,
    },
    schema: QUEUE_SCHEMA,
    // Maintenance archives completed jobs and drops old archives; one instance at a time does it.
    supervise: true,
    schedule: false,
    migrate: true,
    archiveCompletedAfterSeconds: 24 * 3600,
    deleteAfterDays: 30,
  });
  boss.on('error', (error: unknown) =>
    logger.warn({ error: safeError(error) }, 'job queue maintenance failed'),
  );
  const inTx = (tx: Executor) => {
    const session = sqlSessionOf(tx);
    return {
      executeSql: async (text: string, values: unknown[]) => ({ rows: await session.query(text, values) }),
    };
  };
  let started = false;

  return {
    async start() {
      if (started) return;
      await boss.start();
      for (const name of QUEUE_NAMES) {
        if ((await boss.getQueue(name)) === null) {
          try {
            await boss.createQueue(name, { name, policy: 'standard', retryLimit: 0 });
          } catch (error) {
            // Another instance created it between the look and the create.
            if ((await boss.getQueue(name)) === null) throw error;
          }
        }
      }
      started = true;
    },
    async stop() {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: false, close: false, wait: true });
    },
    async send(tx, name, data, options = {}) {
      const id = await boss.send(name, data as object, {
        db: inTx(tx),
        retryLimit: 0,
        ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
        ...(options.singletonKey === undefined ? {} : { singletonKey: options.singletonKey }),
      });
      if (id === null) throw new Error(`the queue refused a ${name} job`);
      return id;
    },
    async fetch<N extends QueueName>(tx: Executor, name: N): Promise<Job<N> | undefined> {
      const [job] = (await boss.fetch<JobPayloads[N]>(name, { batchSize: 1, db: inTx(tx) })) ?? [];
      return job === undefined ? undefined : { id: job.id, name, data: job.data };
    },
    async complete(tx, name, id) {
      await boss.complete(name, id, {}, { db: inTx(tx) });
    },
    size: (name) => boss.getQueueSize(name),
    async pending(tx, name) {
      // pg-boss's own count reads outside the caller's transaction; its job states are an ordered enum.
      const [row] = await sqlSessionOf(tx).query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND state < 'completed'`,
        [name],
      );
      return row?.n ?? 0;
    },
    async cancel(tx, name, id) {
      await boss.cancel(name, id, { db: inTx(tx) });
    },
  };
}
