import { describe, expect, it } from 'vitest';

import {
  RUN_STATUSES,
  RUN_TRANSITIONS,
  TERMINAL_RUN_STATUSES,
  assertRunTransition,
  canTransition,
} from './run-status.js';

describe('run states', () => {
  it('lets every run reach a terminal state', () => {
    for (const status of RUN_STATUSES) {
      const seen = new Set([status]);
      const queue = [status];
      while (queue.length > 0) {
        for (const next of RUN_TRANSITIONS[queue.shift()!]) {
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      expect(
        [...seen].some((s) => TERMINAL_RUN_STATUSES.includes(s)),
        status,
      ).toBe(true);
    }
  });

  it('never leaves a terminal state', () => {
    expect(TERMINAL_RUN_STATUSES.sort()).toEqual([
      'CANCELLED',
      'DISCARDED',
      'FAILURE',
      'PARTIAL',
      'SKIPPED',
      'SUCCESS',
    ]);
    for (const from of TERMINAL_RUN_STATUSES) {
      for (const to of RUN_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('throws a named error on a forbidden move', () => {
    expect(() => assertRunTransition('SUCCESS', 'IN_PROGRESS')).toThrow(
      'a sync run cannot go from SUCCESS to IN_PROGRESS',
    );
    expect(() => assertRunTransition('HELD', 'IN_PROGRESS')).not.toThrow();
  });
});
