import type { Database, Executor } from '../db/client.js';
import { nextRunTimes, resolveSchedule } from '../domain/schedule.js';
import {
  listUnscheduledProviders,
  lockProvider,
  setProviderSchedule,
  type ProviderRow,
} from '../repositories/providers-repository.js';
import type { ScheduleKeeper } from '../services/provider-service.js';
import type { JobQueue } from './queue.js';

/**
 * A provider's schedule lives in the queue as one delayed job: the next time it fires. Every
 * change of the provider (created, schedule or time zone edited, enabled, disabled, deleted)
 * replaces that job in the same transaction; firing it queues the one after (schedule-job.ts).
 */
export function createScheduleKeeper(queue: JobQueue, clock: () => Date): ScheduleKeeper {
  return {
    providerSaved: (tx, row) => scheduleNext(tx, queue, row, clock()),
    providerDeleted: (tx, row) => scheduleNext(tx, queue, { ...row, enabled: false }, clock()),
  };
}

/** When the provider's schedule next fires after `after`; null: disabled, deleted or unscheduled. */
export function nextFireTime(row: ProviderRow, after: Date): Date | null {
  if (!row.enabled || row.deletedAt !== null || row.syncSchedule === null) return null;
  const schedule = resolveSchedule(row.syncSchedule, row.syncTimezone);
  if (!schedule.ok) return null;
  return nextRunTimes(schedule.value, after, 1)[0] ?? null;
}

/** Queues the provider's next fire after `after` (or none), replacing what was queued before. */
export async function scheduleNext(
  tx: Executor,
  queue: JobQueue,
  row: ProviderRow,
  after: Date,
): Promise<void> {
  const next = nextFireTime(row, after);
  if (next !== null && row.scheduleJobId !== null && row.nextRunAt?.getTime() === next.getTime()) return;
  if (row.scheduleJobId !== null) await queue.cancel(tx, 'sis-sync-schedule', row.scheduleJobId);
  const scheduleJobId =
    next === null
      ? null
      : await queue.send(
          tx,
          'sis-sync-schedule',
          { providerId: row.id, dueAt: next.toISOString() },
          { startAfter: next, singletonKey: row.id },
        );
  await setProviderSchedule(tx, row.id, { nextRunAt: next, scheduleJobId });
}

/** Queues the schedules of providers that have one but no job (written before scheduling existed). */
export async function reconcileSchedules(db: Database, queue: JobQueue, clock: () => Date): Promise<number> {
  let queued = 0;
  for (const candidate of await listUnscheduledProviders(db)) {
    await db.transaction(async (tx) => {
      const row = await lockProvider(tx, candidate.id);
      if (row === undefined || row.scheduleJobId !== null) return;
      await scheduleNext(tx, queue, row, clock());
      queued += 1;
    });
  }
  return queued;
}
