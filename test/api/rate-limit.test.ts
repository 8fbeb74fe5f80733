import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';

/*
 * The /api/v1 budget with a small API_RATE_LIMIT, through the real app: per caller, in the
 * error envelope with its headers, never on health, readiness or metrics, and renewed with the
 * next minute (the store reads Date.now, moved forward with fake timers: no test waits a minute).
 */

const BUDGET = 3;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ apiRateLimit: BUDGET });
});
afterAll(async () => t.close());
afterEach(() => {
  vi.useRealTimers();
});

const me = (token?: string) =>
  t.app.inject({
    method: 'GET',
    url: '/api/v1/me',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

describe(`API rate limit on ${driver}`, () => {
  it('counts down in the headers, then answers 429 in the envelope with Retry-After', async () => {
    const token = await t.token('PLATFORM_ADMIN', undefined, { subject: 'busy@platform' });
    for (let i = 1; i <= BUDGET; i += 1) {
      const res = await me(token);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe(String(BUDGET));
      expect(res.headers['x-ratelimit-remaining']).toBe(String(BUDGET - i));
    }
    const over = await me(token);
    expect(over.statusCode).toBe(429);
    const body = over.json();
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/more than 3 requests a minute/);
    expect(body.error.requestId).toBe(over.headers['x-request-id']);
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers['x-ratelimit-limit']).toBe(String(BUDGET));
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    expect(over.headers['x-ratelimit-reset']).toBe(String(retryAfter));
  });

  it('keeps separate budgets per token subject; a forged token counts against its address', async () => {
    const spender = await t.token('DISTRICT_ADMIN', 'district-a', { subject: 'spender@district-a' });
    const other = await t.token('DISTRICT_ADMIN', 'district-b', { subject: 'other@district-b' });
    for (let i = 0; i < BUDGET; i += 1) expect((await me(spender)).statusCode).toBe(200);
    expect((await me(spender)).statusCode).toBe(429);
    // Unsigned claims naming the other subject are not that subject: counted by address.
    const [header, payload] = other.split('.');
    const forged = `${header}.${payload}.c2lnbmF0dXJl`;
    for (let i = 0; i < BUDGET; i += 1) expect((await me(forged)).statusCode).toBe(401);
    expect((await me(forged)).statusCode).toBe(429);
    const res = await me(other);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-ratelimit-remaining']).toBe(String(BUDGET - 1));
  });

  it('counts the sign-in routes with the rest of the API for a caller without a token', async () => {
    // The previous test spent this address's budget; the next minute renews it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    expect((await me()).statusCode).toBe(401);
    expect((await me()).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sign-in-options' })).statusCode).toBe(200);
    const over = await t.app.inject({ method: 'GET', url: '/api/v1/sign-in-options' });
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('rate_limited');
  });

  it('never limits health, readiness or metrics', async () => {
    for (let i = 0; i < BUDGET * 3; i += 1) {
      for (const url of ['/healthz', '/readyz', '/metrics']) {
        const res = await t.app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['x-ratelimit-limit'], url).toBeUndefined();
      }
    }
  });

  it('renews the budget once its minute has passed', async () => {
    const token = await t.token('PLATFORM_ADMIN', undefined, { subject: 'renewed@platform' });
    for (let i = 0; i < BUDGET; i += 1) expect((await me(token)).statusCode).toBe(200);
    const over = await me(token);
    expect(over.statusCode).toBe(429);
    const retryAfter = Number(over.headers['retry-after']);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + retryAfter * 1000 + 1000 });
    const renewed = await me(token);
    expect(renewed.statusCode).toBe(200);
    expect(renewed.headers['x-ratelimit-remaining']).toBe(String(BUDGET - 1));
  });
});

describe(`API_RATE_LIMIT=0 on ${driver}`, () => {
  it('turns the limit off', async () => {
    const off = await createTestApp({ apiRateLimit: 0 });
    try {
      const token = await off.token('PLATFORM_ADMIN');
      for (let i = 0; i < BUDGET * 3; i += 1) {
        const res = await off.app.inject({
          method: 'GET',
          url: '/api/v1/me',
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.statusCode).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await off.close();
    }
  });
});
