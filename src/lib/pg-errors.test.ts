import { describe, expect, it } from 'vitest';

import { isConnectionLost } from './pg-errors.js';

describe('isConnectionLost', () => {
  const wrapped = (cause: unknown) => Object.assign(new Error('Failed query: select 1'), { cause });

  it('knows a server that shut down, is starting, or dropped the socket, however wrapped', () => {
    expect(
      isConnectionLost(wrapped(Object.assign(new Error('terminating connection'), { code: '57P01' }))),
    ).toBe(true);
    expect(
      isConnectionLost(Object.assign(new Error('the database system is starting up'), { code: '57P03' })),
    ).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe(true);
    expect(
      isConnectionLost(wrapped(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))),
    ).toBe(true);
    expect(isConnectionLost(wrapped(new Error('Connection terminated unexpectedly')))).toBe(true);
    expect(
      isConnectionLost(new Error('Client has encountered a connection error and is not queryable')),
    ).toBe(true);
  });

  it('leaves every other error alone', () => {
    expect(isConnectionLost(wrapped(Object.assign(new Error('duplicate key'), { code: '23505' })))).toBe(
      false,
    );
    expect(isConnectionLost(Object.assign(new Error('canceling statement'), { code: '57014' }))).toBe(false);
    expect(isConnectionLost(new Error('boom'))).toBe(false);
    expect(isConnectionLost(undefined)).toBe(false);
  });
});
