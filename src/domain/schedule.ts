import { Cron } from 'croner';

import { err, ok, type Result } from '../lib/result.js';

/** Named schedules, in the provider's own time zone. Nightly runs fall at 02:00 local time. */
export const SCHEDULE_PRESETS = {
  hourly: '0 * * * *',
  'every-6-hours': '0 */6 * * *',
  'twice-daily': '0 2,14 * * *',
  daily: '0 2 * * *',
  weekdays: '0 2 * * 1-5',
  weekly: '0 2 * * 0',
} as const;
export type SchedulePreset = keyof typeof SCHEDULE_PRESETS;

export const DEFAULT_TIMEZONE = 'UTC';

export interface ResolvedSchedule {
  /** What the admin wrote: a preset name or a cron expression. */
  input: string;
  preset: SchedulePreset | undefined;
  /** Five-field cron expression (minute resolution). */
  cron: string;
  timezone: string;
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Accepts a preset name or a five-field cron expression (minute hour day-of-month month
 * day-of-week) in an IANA time zone. Seconds are refused: schedules run at minute resolution.
 */
export function resolveSchedule(
  input: string,
  timezone: string = DEFAULT_TIMEZONE,
): Result<ResolvedSchedule, { field: 'syncSchedule' | 'syncTimezone'; message: string }> {
  if (!isValidTimezone(timezone)) {
    return err({
      field: 'syncTimezone',
      message: `"${timezone}" is not an IANA time zone (e.g. America/Chicago)`,
    });
  }
  const trimmed = input.trim();
  const preset = (Object.hasOwn(SCHEDULE_PRESETS, trimmed) ? trimmed : undefined) as
    SchedulePreset | undefined;
  const cron = preset === undefined ? trimmed.replace(/\s+/g, ' ') : SCHEDULE_PRESETS[preset];
  if (preset === undefined) {
    const fields = cron.split(' ').length;
    if (fields !== 5) {
      return err({
        field: 'syncSchedule',
        message:
          `"${input}" is neither a preset (${Object.keys(SCHEDULE_PRESETS).join(', ')}) ` +
          `nor a five-field cron expression (minute hour day month weekday); it has ${fields} field(s)`,
      });
    }
    try {
      const probe = new Cron(cron, { timezone, paused: true });
      if (probe.nextRun() === null) {
        return err({ field: 'syncSchedule', message: `"${input}" never runs` });
      }
    } catch (error) {
      return err({
        field: 'syncSchedule',
        message: `"${input}" is not a valid cron expression: ${(error as Error).message}`,
      });
    }
  }
  return ok({ input: trimmed, preset, cron, timezone });
}

/** The next `count` run times after `from`, in UTC instants. */
export function nextRunTimes(schedule: ResolvedSchedule, from: Date, count: number): Date[] {
  return new Cron(schedule.cron, { timezone: schedule.timezone, paused: true }).nextRuns(count, from);
}
