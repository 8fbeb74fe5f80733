import { describe, expect, it } from 'vitest';

import {
  MAX_BLACKOUT_WINDOWS,
  describeBlackout,
  findBlackout,
  localDate,
  sameBlackoutWindows,
  validateBlackoutWindows,
  type BlackoutWindow,
} from './blackout.js';

const issuesOf = (input: unknown) => {
  const result = validateBlackoutWindows(input);
  if (result.ok) throw new Error('expected the windows to be refused');
  return result.error;
};

describe('validateBlackoutWindows', () => {
  it('accepts windows, trims reasons (empty: none) and sorts them by start', () => {
    const result = validateBlackoutWindows([
      { start: '2027-12-20', end: '2028-01-02', reason: '   ' },
      { start: '2027-06-20', end: '2027-08-15', reason: '  summer rollover ' },
      { start: '2027-06-20', end: '2027-06-20' },
      { start: '2027-07-01', end: '2027-07-04', reason: null },
    ]);
    expect(result).toEqual({
      ok: true,
      value: [
        { start: '2027-06-20', end: '2027-06-20', reason: null },
        { start: '2027-06-20', end: '2027-08-15', reason: 'summer rollover' },
        { start: '2027-07-01', end: '2027-07-04', reason: null },
        { start: '2027-12-20', end: '2028-01-02', reason: null },
      ],
    });
  });

  it('accepts no windows', () => {
    expect(validateBlackoutWindows([])).toEqual({ ok: true, value: [] });
  });

  it('accepts leap days only in leap years', () => {
    expect(validateBlackoutWindows([{ start: '2028-02-29', end: '2028-02-29' }]).ok).toBe(true);
    expect(validateBlackoutWindows([{ start: '2000-02-29', end: '2000-02-29' }]).ok).toBe(true);
    expect(issuesOf([{ start: '2027-02-29', end: '2027-03-01' }])).toEqual([
      { path: 'blackoutWindows[0].start', message: '2027-02-29 is not a calendar date (YYYY-MM-DD)' },
    ]);
    expect(issuesOf([{ start: '2100-02-29', end: '2100-03-01' }])[0]?.path).toBe('blackoutWindows[0].start');
  });

  it.each([
    '2027-02-30',
    '2027-04-31',
    '2027-13-01',
    '2027-00-10',
    '2027-01-00',
    '2027-6-1',
    '27-06-01',
    '2027-06-01T00:00:00Z',
    ' 2027-06-01',
    '2027/06/01',
    '',
  ])('refuses %j as a date', (date) => {
    expect(issuesOf([{ start: '2027-01-01', end: date }])).toEqual([
      { path: 'blackoutWindows[0].end', message: `${date} is not a calendar date (YYYY-MM-DD)` },
    ]);
  });

  it('refuses a window that ends before it starts, naming its end', () => {
    expect(
      issuesOf([
        { start: '2027-01-01', end: '2027-01-02' },
        { start: '2027-06-20', end: '2027-06-01', reason: 'rollover' },
      ]),
    ).toEqual([
      { path: 'blackoutWindows[1].end', message: 'ends (2027-06-01) before it starts (2027-06-20)' },
    ]);
  });

  it('names every issue of every window', () => {
    expect(
      issuesOf([
        { start: '2027-02-30', end: 20270301 },
        { end: '2027-01-01', reason: 7, note: 'x' },
        'summer',
        null,
        { start: '2027-01-01', end: '2027-01-02', reason: `${'x'.repeat(201)}` },
      ]),
    ).toEqual([
      { path: 'blackoutWindows[0].start', message: '2027-02-30 is not a calendar date (YYYY-MM-DD)' },
      { path: 'blackoutWindows[0].end', message: '20270301 is not a calendar date (YYYY-MM-DD)' },
      { path: 'blackoutWindows[1].note', message: 'is not a known field' },
      { path: 'blackoutWindows[1].start', message: 'is required' },
      { path: 'blackoutWindows[1].reason', message: 'must be a string' },
      { path: 'blackoutWindows[2]', message: 'must be an object { start, end, reason? }' },
      { path: 'blackoutWindows[3]', message: 'must be an object { start, end, reason? }' },
      {
        path: 'blackoutWindows[4].reason',
        message: 'is 201 characters long; at most 200 are allowed',
      },
    ]);
  });

  it('measures the reason once trimmed', () => {
    const reason = `  ${'x'.repeat(200)}  `;
    const result = validateBlackoutWindows([{ start: '2027-01-01', end: '2027-01-01', reason }]);
    expect(result.ok && result.value[0]?.reason).toBe('x'.repeat(200));
  });

  it('accepts overlapping windows', () => {
    const result = validateBlackoutWindows([
      { start: '2027-06-01', end: '2027-06-30' },
      { start: '2027-06-15', end: '2027-07-15' },
    ]);
    expect(result.ok).toBe(true);
  });

  it(`holds at most ${MAX_BLACKOUT_WINDOWS} windows`, () => {
    const one = { start: '2027-01-01', end: '2027-01-01' };
    expect(validateBlackoutWindows(Array.from({ length: MAX_BLACKOUT_WINDOWS }, () => one)).ok).toBe(true);
    expect(issuesOf(Array.from({ length: MAX_BLACKOUT_WINDOWS + 1 }, () => one))).toEqual([
      { path: 'blackoutWindows', message: 'holds at most 50 windows (got 51)' },
    ]);
  });

  it.each([null, undefined, 'none', { start: '2027-01-01', end: '2027-01-02' }])(
    'refuses %j for a list',
    (input) => {
      expect(issuesOf(input)).toEqual([
        { path: 'blackoutWindows', message: 'must be a list of windows { start, end, reason? }' },
      ]);
    },
  );
});

describe('localDate', () => {
  it('is the calendar date of the instant in the zone', () => {
    const at = new Date('2027-06-21T11:30:00Z');
    expect(localDate(at, 'UTC')).toBe('2027-06-21');
    expect(localDate(at, 'Pacific/Auckland')).toBe('2027-06-21'); // 23:30 NZST
    expect(localDate(new Date('2027-06-21T12:00:00Z'), 'Pacific/Auckland')).toBe('2027-06-22'); // 00:00
    expect(localDate(new Date('2027-06-22T03:00:00Z'), 'America/Los_Angeles')).toBe('2027-06-21'); // 20:00 PDT
    expect(localDate(new Date('2027-01-01T04:59:59.999Z'), 'America/New_York')).toBe('2026-12-31');
    // asked twice, from the cached formatter
    expect(localDate(new Date('2027-01-01T05:00:00Z'), 'America/New_York')).toBe('2027-01-01');
  });

  it('throws on an unknown zone (callers validate zones first)', () => {
    expect(() => localDate(new Date(), 'Europe/Atlantis')).toThrow(RangeError);
  });
});

describe('findBlackout', () => {
  const rollover: BlackoutWindow = { start: '2027-06-19', end: '2027-06-21', reason: 'summer rollover' };
  const windows = [{ start: '2027-01-01', end: '2027-01-03', reason: null }, rollover];

  it.each([
    // Los Angeles (UTC-7 in June) is behind UTC: its local day ends after the UTC day does.
    ['America/Los_Angeles', '2027-06-22T03:00:00Z', rollover, 'the last day locally, the day after in UTC'],
    ['America/Los_Angeles', '2027-06-22T06:59:59Z', rollover, '23:59:59 on the last day'],
    ['America/Los_Angeles', '2027-06-22T07:00:00Z', undefined, 'midnight after the last day'],
    [
      'America/Los_Angeles',
      '2027-06-19T05:00:00Z',
      undefined,
      'the first day in UTC, the day before locally',
    ],
    ['America/Los_Angeles', '2027-06-19T07:00:00Z', rollover, 'midnight of the first day'],
    // Auckland (UTC+12 in June) is ahead: its local day starts before the UTC day does.
    ['Pacific/Auckland', '2027-06-21T13:00:00Z', undefined, 'the last day in UTC, the day after locally'],
    ['Pacific/Auckland', '2027-06-21T11:59:59Z', rollover, '23:59:59 on the last day'],
    ['Pacific/Auckland', '2027-06-18T12:30:00Z', rollover, 'the day before in UTC, the first day locally'],
    ['Pacific/Auckland', '2027-06-18T11:59:59Z', undefined, 'just before the first day'],
  ])('%s at %s: %j (%s)', (timezone, at, expected, _why) => {
    expect(findBlackout(windows, timezone, new Date(at))).toEqual(expected);
  });

  it('finds nothing without windows', () => {
    expect(findBlackout([], 'UTC', new Date('2027-06-20T00:00:00Z'))).toBeUndefined();
  });
});

describe('describeBlackout', () => {
  it('names the days and the reason, if any', () => {
    expect(describeBlackout({ start: '2027-06-20', end: '2027-08-15', reason: 'summer rollover' })).toBe(
      'blackout window 2027-06-20 to 2027-08-15 (summer rollover)',
    );
    expect(describeBlackout({ start: '2027-06-20', end: '2027-06-20', reason: null })).toBe(
      'blackout window 2027-06-20 to 2027-06-20',
    );
  });
});

describe('sameBlackoutWindows', () => {
  it('compares windows field by field, in order', () => {
    const a: BlackoutWindow = { start: '2027-06-19', end: '2027-06-21', reason: null };
    const stored = JSON.parse('{"end":"2027-06-21","start":"2027-06-19","reason":null}') as BlackoutWindow;
    expect(sameBlackoutWindows([a], [stored])).toBe(true);
    expect(sameBlackoutWindows([a], [{ ...a, reason: 'x' }])).toBe(false);
    expect(sameBlackoutWindows([a], [a, a])).toBe(false);
    expect(sameBlackoutWindows([], [])).toBe(true);
  });
});
