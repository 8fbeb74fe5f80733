import { err, ok, type Result } from '../lib/result.js';
import type { FieldIssue } from './errors.js';

/**
 * A blackout window: whole local days (in the provider's time zone), first and last included,
 * in which scheduled runs are skipped and recorded as skipped. Manual runs still go.
 * Districts set one over the school-year rollover, while the SIS holds half a new year.
 */
export interface BlackoutWindow {
  /** First day, `YYYY-MM-DD`. */
  start: string;
  /** Last day, `YYYY-MM-DD`, on or after `start`. */
  end: string;
  /** Why, for the admin and the skipped run's message ("summer rollover"). */
  reason: string | null;
}

/** A window as an admin sends it: `reason` may be left out. */
export interface BlackoutWindowInput {
  start: string;
  end: string;
  reason?: string | null | undefined;
}

export const MAX_BLACKOUT_WINDOWS = 50;
export const MAX_BLACKOUT_REASON_LENGTH = 200;

const FIELD = 'blackoutWindows';
const WINDOW_KEYS = new Set(['start', 'end', 'reason']);
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Checks the windows an admin sent: at most 50, each `{ start, end, reason? }` with real calendar
 * dates (`YYYY-MM-DD`), `end` on or after `start`, `reason` trimmed (empty: none). Overlaps are
 * allowed. The windows come back sorted by start.
 */
export function validateBlackoutWindows(input: unknown): Result<BlackoutWindow[], FieldIssue[]> {
  if (!Array.isArray(input)) {
    return err([{ path: FIELD, message: 'must be a list of windows { start, end, reason? }' }]);
  }
  if (input.length > MAX_BLACKOUT_WINDOWS) {
    return err([
      { path: FIELD, message: `holds at most ${MAX_BLACKOUT_WINDOWS} windows (got ${input.length})` },
    ]);
  }
  const issues: FieldIssue[] = [];
  const windows: BlackoutWindow[] = [];
  input.forEach((item: unknown, index) => {
    const at = `${FIELD}[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      issues.push({ path: at, message: 'must be an object { start, end, reason? }' });
      return;
    }
    const fields = item as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!WINDOW_KEYS.has(key)) issues.push({ path: `${at}.${key}`, message: 'is not a known field' });
    }
    const start = checkDate(fields.start, `${at}.start`, issues);
    const end = checkDate(fields.end, `${at}.end`, issues);
    if (start !== undefined && end !== undefined && end < start) {
      issues.push({ path: `${at}.end`, message: `ends (${end}) before it starts (${start})` });
    }
    const reason = checkReason(fields.reason, `${at}.reason`, issues);
    if (start !== undefined && end !== undefined && reason !== undefined) {
      windows.push({ start, end, reason });
    }
  });
  if (issues.length > 0) return err(issues);
  return ok(windows.sort((a, b) => compare(a.start, b.start) || compare(a.end, b.end)));
}

function checkDate(value: unknown, path: string, issues: FieldIssue[]): string | undefined {
  if (value === undefined) {
    issues.push({ path, message: 'is required' });
    return undefined;
  }
  if (typeof value !== 'string' || !isCalendarDate(value)) {
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    issues.push({ path, message: `${shown} is not a calendar date (YYYY-MM-DD)` });
    return undefined;
  }
  return value;
}

/** The trimmed reason, null for none; undefined when refused. */
function checkReason(value: unknown, path: string, issues: FieldIssue[]): string | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    issues.push({ path, message: 'must be a string' });
    return undefined;
  }
  const trimmed = value.trim();
  if (trimmed.length > MAX_BLACKOUT_REASON_LENGTH) {
    issues.push({
      path,
      message: `is ${trimmed.length} characters long; at most ${MAX_BLACKOUT_REASON_LENGTH} are allowed`,
    });
    return undefined;
  }
  return trimmed === '' ? null : trimmed;
}

function isCalendarDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Two lists of windows hold the same windows in the same order (a stored list's keys may be reordered). */
export function sameBlackoutWindows(a: readonly BlackoutWindow[], b: readonly BlackoutWindow[]): boolean {
  return (
    a.length === b.length &&
    a.every((w, i) => w.start === b[i]?.start && w.end === b[i]?.end && w.reason === b[i]?.reason)
  );
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (`YYYY-MM-DD`) that `at` falls on in `timezone`. Throws on an unknown zone. */
export function localDate(at: Date, timezone: string): string {
  let format = dateFormats.get(timezone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dateFormats.set(timezone, format);
  }
  const parts = format.formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}

/** The window whose days, in `timezone`, include the day `at` falls on. */
export function findBlackout(
  windows: readonly BlackoutWindow[],
  timezone: string,
  at: Date,
): BlackoutWindow | undefined {
  if (windows.length === 0) return undefined;
  const day = localDate(at, timezone);
  return windows.find((w) => w.start <= day && day <= w.end);
}

/** For a skipped run's message: `blackout window 2027-06-20 to 2027-08-15 (summer rollover)`. */
export function describeBlackout(w: BlackoutWindow): string {
  return `blackout window ${w.start} to ${w.end}${w.reason === null ? '' : ` (${w.reason})`}`;
}
