import { describe, expect, it } from 'vitest';

import { SCHEDULE_PRESETS, nextRunTimes, resolveSchedule } from './schedule.js';

const resolved = (input: string, tz?: string) => {
  const r = resolveSchedule(input, tz);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

describe('schedules', () => {
  it.each(Object.entries(SCHEDULE_PRESETS))('resolves the preset %s to %s', (preset, cron) => {
    expect(resolved(preset)).toMatchObject({ preset, cron, timezone: 'UTC' });
  });

  it('runs a nightly schedule at local 02:00 across the spring DST change', () => {
    const runs = nextRunTimes(resolved('daily', 'America/New_York'), new Date('2026-03-06T12:00:00Z'), 3);
    // EST is UTC-5 until 8 March 2026, then EDT is UTC-4.
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-03-07T07:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:00:00.000Z',
    ]);
  });

  it('runs weekdays only', () => {
    const runs = nextRunTimes(resolved('weekdays', 'UTC'), new Date('2026-11-27T12:00:00Z'), 2); // a Friday
    expect(runs.map((d) => d.getUTCDay())).toEqual([1, 2]);
  });

  it('accepts five-field cron and normalises spacing', () => {
    expect(resolved('  15   4 * *  1-5 ').cron).toBe('15 4 * * 1-5');
  });

  it.each([
    ['0 0 * * * *', 'five-field'],
    ['61 * * * *', 'not a valid cron'],
    ['every day', 'five-field'],
    ['0 0 31 2 *', 'never runs'],
  ])('refuses %s', (input, message) => {
    const r = resolveSchedule(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.field).toBe('syncSchedule');
      expect(r.error.message).toContain(message);
    }
  });

  it('refuses an unknown time zone, naming syncTimezone', () => {
    const r = resolveSchedule('daily', 'Europe/Atlantis');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.field).toBe('syncTimezone');
  });
});
