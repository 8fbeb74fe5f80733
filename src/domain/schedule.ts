import { Cron } from 'croner';

import { err, ok, type Result } from '../lib/result.js';
import { findBlackout, localDate, type BlackoutWindow } from './blackout.js';

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

export interface UpcomingRun {
  at: Date;
  /** The blackout window that skips this run; null when it runs. */
  skippedBy: BlackoutWindow | null;
}

/** The next `count` run times after `from`, each with the blackout window that skips it, if any. */
export function upcomingRuns(
  schedule: ResolvedSchedule,
  blackouts: readonly BlackoutWindow[],
  from: Date,
  count: number,
): UpcomingRun[] {
  return nextRunTimes(schedule, from, count).map((at) => ({
    at,
    skippedBy: findBlackout(blackouts, schedule.timezone, at) ?? null,
  }));
}

/**
 * The first run time after `from` that no blackout window skips, if there is one no later than
 * `until`. A run inside a window jumps to the window's end, so long windows cost no more than short.
 */
export function nextRunOutsideBlackouts(
  schedule: ResolvedSchedule,
  blackouts: readonly BlackoutWindow[],
  from: Date,
  until: Date,
): Date | undefined {
  const cron = new Cron(schedule.cron, { timezone: schedule.timezone, paused: true });
  let after = from;
  for (;;) {
    const at = cron.nextRun(after);
    if (at === null || at > until) return undefined;
    const blackout = findBlackout(blackouts, schedule.timezone, at);
    if (blackout === undefined) return at;
    const dayAfter = startOfDayAfter(blackout.end, schedule.timezone).getTime();
    // Runs are found strictly after `after`: one millisecond earlier keeps a run at that very instant.
    after = new Date(Math.max(at.getTime(), dayAfter - 1));
  }
}

const HOUR = 60 * 60 * 1000;

/** The first instant, in `timezone`, of the day after `day` (`YYYY-MM-DD`). */
function startOfDayAfter(day: string, timezone: string): Date {
  const [year = NaN, month = NaN, date = NaN] = day.split('-').map(Number);
  // Time zones lie within UTC-12..UTC+14: 14 hours before UTC midnight, the next day has begun nowhere.
  let at = new Date(Date.UTC(year, month - 1, date + 1) - 14 * HOUR);
  // Local midnights, or the first hour after one that a DST change leaves out.
  const midnights = new Cron('0 0 * * *', { timezone, paused: true });
  while (localDate(at, timezone) <= day) {
    const next = midnights.nextRun(at);
    if (next === null) throw new Error(`no local midnight after ${at.toISOString()} in ${timezone}`);
    at = next;
  }
  return at;
}
