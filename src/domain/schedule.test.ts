import { describe, expect, it } from 'vitest';

import { localDate, type BlackoutWindow } from './blackout.js';
import {
  SCHEDULE_PRESETS,
  nextRunOutsideBlackouts,
  nextRunTimes,
  resolveSchedule,
  upcomingRuns,
  type SchedulePreset,
} from './schedule.js';

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

const iso = (dates: readonly Date[]) => dates.map((d) => d.toISOString());
const window = (start: string, end: string, reason: string | null = null): BlackoutWindow => ({
  start,
  end,
  reason,
});

describe('schedule presets in America/Chicago', () => {
  // Friday 15 January 2027, 06:30 CST (UTC-6).
  const from = new Date('2027-01-15T12:30:00Z');

  it.each<[SchedulePreset, string[]]>([
    ['hourly', ['2027-01-15T13:00:00.000Z', '2027-01-15T14:00:00.000Z', '2027-01-15T15:00:00.000Z']],
    // 12:00, 18:00 and 00:00 local
    ['every-6-hours', ['2027-01-15T18:00:00.000Z', '2027-01-16T00:00:00.000Z', '2027-01-16T06:00:00.000Z']],
    // 14:00, then 02:00 and 14:00 the next day
    ['twice-daily', ['2027-01-15T20:00:00.000Z', '2027-01-16T08:00:00.000Z', '2027-01-16T20:00:00.000Z']],
    ['daily', ['2027-01-16T08:00:00.000Z', '2027-01-17T08:00:00.000Z', '2027-01-18T08:00:00.000Z']],
    // Monday to Wednesday: the weekend is passed over
    ['weekdays', ['2027-01-18T08:00:00.000Z', '2027-01-19T08:00:00.000Z', '2027-01-20T08:00:00.000Z']],
    // Sundays
    ['weekly', ['2027-01-17T08:00:00.000Z', '2027-01-24T08:00:00.000Z', '2027-01-31T08:00:00.000Z']],
  ])('%s fires at the local times, in UTC', (preset, expected) => {
    expect(iso(nextRunTimes(resolved(preset, 'America/Chicago'), from, 3))).toEqual(expected);
  });

  it('daily follows daylight saving time: 02:00 CDT is 07:00 UTC', () => {
    const runs = nextRunTimes(resolved('daily', 'America/Chicago'), new Date('2027-07-01T12:00:00Z'), 2);
    expect(iso(runs)).toEqual(['2027-07-02T07:00:00.000Z', '2027-07-03T07:00:00.000Z']);
  });

  it('finds run times strictly after `from`', () => {
    const at = new Date('2027-01-16T08:00:00Z'); // a daily run time
    expect(iso(nextRunTimes(resolved('daily', 'America/Chicago'), at, 1))).toEqual([
      '2027-01-17T08:00:00.000Z',
    ]);
  });
});

describe('schedules across DST changes (what croner does)', () => {
  const onLocalDay = (runs: Date[], day: string, timezone: string) =>
    runs.filter((d) => localDate(d, timezone) === day);

  it('New York, spring forward (2027-03-14): a 02:00 run, in the hour that does not exist, runs once at 03:00 EDT', () => {
    const runs = nextRunTimes(resolved('daily', 'America/New_York'), new Date('2027-03-12T12:00:00Z'), 4);
    expect(iso(runs)).toEqual([
      '2027-03-13T07:00:00.000Z', // 02:00 EST
      '2027-03-14T07:00:00.000Z', // 03:00 EDT
      '2027-03-15T06:00:00.000Z', // 02:00 EDT
      '2027-03-16T06:00:00.000Z',
    ]);
    expect(onLocalDay(runs, '2027-03-14', 'America/New_York')).toHaveLength(1);
  });

  it('New York, spring forward: a 02:30 run also runs at 03:00 EDT, not 03:30', () => {
    const runs = nextRunTimes(
      resolved('30 2 * * *', 'America/New_York'),
      new Date('2027-03-13T12:00:00Z'),
      2,
    );
    expect(iso(runs)).toEqual(['2027-03-14T07:00:00.000Z', '2027-03-15T06:30:00.000Z']);
  });

  it('New York, fall back (2027-11-07): a 01:30 run runs once, in the first (EDT) 01:30', () => {
    const schedule = resolved('30 1 * * *', 'America/New_York');
    const runs = nextRunTimes(schedule, new Date('2027-11-06T12:00:00Z'), 3);
    expect(iso(runs)).toEqual([
      '2027-11-07T05:30:00.000Z', // 01:30 EDT
      '2027-11-08T06:30:00.000Z', // 01:30 EST: the repeated 01:30 EST on the 7th (06:30Z) is not a run
      '2027-11-09T06:30:00.000Z',
    ]);
    // Asked again from the run itself, or from inside the repeated hour, it does not run twice.
    for (const after of ['2027-11-07T05:30:00Z', '2027-11-07T06:10:00Z']) {
      expect(iso(nextRunTimes(schedule, new Date(after), 1))).toEqual(['2027-11-08T06:30:00.000Z']);
    }
  });

  it('New York: hourly keeps to real hours, 23 runs on the spring-forward day and 25 on the fall-back day', () => {
    const hourly = resolved('hourly', 'America/New_York');
    const spring = nextRunTimes(hourly, new Date('2027-03-14T04:30:00Z'), 30);
    expect(onLocalDay(spring, '2027-03-14', 'America/New_York')).toHaveLength(23);
    const fall = nextRunTimes(hourly, new Date('2027-11-07T03:30:00Z'), 30);
    const fallDay = onLocalDay(fall, '2027-11-07', 'America/New_York');
    expect(fallDay).toHaveLength(25);
    // 01:00 EDT and 01:00 EST
    expect(iso(fallDay.slice(1, 3))).toEqual(['2027-11-07T05:00:00.000Z', '2027-11-07T06:00:00.000Z']);
  });

  it('Berlin, spring forward (2027-03-28): the 02:00 run runs once, at 03:00 CEST', () => {
    const runs = nextRunTimes(resolved('daily', 'Europe/Berlin'), new Date('2027-03-26T12:00:00Z'), 3);
    expect(iso(runs)).toEqual([
      '2027-03-27T01:00:00.000Z', // 02:00 CET
      '2027-03-28T01:00:00.000Z', // 03:00 CEST
      '2027-03-29T00:00:00.000Z', // 02:00 CEST
    ]);
  });

  it('Berlin, fall back (2027-10-31): a 02:30 run runs once, in the first (CEST) 02:30', () => {
    const schedule = resolved('30 2 * * *', 'Europe/Berlin');
    const runs = nextRunTimes(schedule, new Date('2027-10-30T12:00:00Z'), 2);
    expect(iso(runs)).toEqual(['2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z']);
    expect(iso(nextRunTimes(schedule, new Date('2027-10-31T01:10:00Z'), 1))).toEqual([
      '2027-11-01T01:30:00.000Z',
    ]);
  });
});

describe('changing a schedule', () => {
  it('is a new resolveSchedule: the runs follow the new cron and zone only', () => {
    const from = new Date('2027-01-15T12:30:00Z'); // a Friday
    const before = resolved('daily', 'America/Chicago');
    const after = resolved('15 5 * * 1', 'Europe/Berlin');
    expect(after).toEqual({
      input: '15 5 * * 1',
      preset: undefined,
      cron: '15 5 * * 1',
      timezone: 'Europe/Berlin',
    });
    expect(iso(nextRunTimes(before, from, 1))).toEqual(['2027-01-16T08:00:00.000Z']);
    // Mondays 05:15 CET
    expect(iso(nextRunTimes(after, from, 2))).toEqual([
      '2027-01-18T04:15:00.000Z',
      '2027-01-25T04:15:00.000Z',
    ]);
  });
});

describe('upcoming runs and blackout windows', () => {
  const chicagoDaily = resolved('daily', 'America/Chicago');
  const from = new Date('2027-06-18T12:00:00Z');
  const rollover = window('2027-06-19', '2027-06-21', 'summer rollover');

  it('flags each run a window covers', () => {
    const runs = upcomingRuns(chicagoDaily, [rollover], from, 5);
    expect(runs.map((r) => [r.at.toISOString(), r.skippedBy])).toEqual([
      ['2027-06-19T07:00:00.000Z', rollover],
      ['2027-06-20T07:00:00.000Z', rollover],
      ['2027-06-21T07:00:00.000Z', rollover],
      ['2027-06-22T07:00:00.000Z', null],
      ['2027-06-23T07:00:00.000Z', null],
    ]);
  });

  it('without windows, every run runs', () => {
    expect(upcomingRuns(chicagoDaily, [], from, 2).map((r) => r.skippedBy)).toEqual([null, null]);
  });

  it('the next run outside the windows is the first after the last covered day, overlaps included', () => {
    const until = new Date('2028-06-18T12:00:00Z');
    expect(nextRunOutsideBlackouts(chicagoDaily, [rollover], from, until)?.toISOString()).toBe(
      '2027-06-22T07:00:00.000Z',
    );
    const overlapping = [rollover, window('2027-06-21', '2027-06-25')];
    expect(nextRunOutsideBlackouts(chicagoDaily, overlapping, from, until)?.toISOString()).toBe(
      '2027-06-26T07:00:00.000Z',
    );
    expect(nextRunOutsideBlackouts(chicagoDaily, [], from, until)?.toISOString()).toBe(
      '2027-06-19T07:00:00.000Z',
    );
  });

  it('gives none when every run up to `until` is covered', () => {
    const year = [window('2027-01-01', '2027-12-31')];
    expect(
      nextRunOutsideBlackouts(chicagoDaily, year, from, new Date('2027-12-31T23:00:00Z')),
    ).toBeUndefined();
    expect(
      nextRunOutsideBlackouts(chicagoDaily, year, from, new Date('2028-01-02T00:00:00Z'))?.toISOString(),
    ).toBe('2028-01-01T08:00:00.000Z');
  });

  it('jumps a long window at once and lands on the first minute of the day after, in the zone', () => {
    const everyMinute = resolved('* * * * *', 'Pacific/Auckland');
    const started = performance.now();
    const next = nextRunOutsideBlackouts(
      everyMinute,
      [window('2027-01-01', '2027-10-31')],
      new Date('2027-01-01T00:00:00Z'),
      new Date('2028-01-01T00:00:00Z'),
    );
    // 1 November 00:00 NZDT (UTC+13)
    expect(next?.toISOString()).toBe('2027-10-31T11:00:00.000Z');
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('lands on the first hour of a day whose midnight DST leaves out (Santiago, 2027-09-05 starts at 01:00)', () => {
    const everyMinute = resolved('* * * * *', 'America/Santiago');
    const next = nextRunOutsideBlackouts(
      everyMinute,
      [window('2027-09-01', '2027-09-04')],
      new Date('2027-09-02T12:00:00Z'),
      new Date('2027-10-01T00:00:00Z'),
    );
    expect(next?.toISOString()).toBe('2027-09-05T04:00:00.000Z');
    expect(localDate(next!, 'America/Santiago')).toBe('2027-09-05');
  });
});
