import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

import { registerErrorHandling } from '../../src/api/plugins/error-handler.js';
import { healthRoutes, type Readiness } from '../../src/api/routes/health.js';

/** The probe alone, over a readiness check the test controls. */
async function probe(readiness: Readiness) {
  const app = Fastify().withTypeProvider<TypeBoxTypeProvider>();
  registerErrorHandling(app);
  healthRoutes(app, readiness, { timeoutMs: 50 });
  try {
    return await app.inject({ method: 'GET', url: '/readyz' });
  } finally {
    await app.close();
  }
}

describe('readiness', () => {
  it('is ready when the database answers', async () => {
    const res = await probe({ check: () => Promise.resolve() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });

  it('is not ready, in time, when the database never answers (a host that drops packets)', async () => {
    const res = await probe({ check: () => new Promise<void>(() => undefined) });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({
      code: 'not_ready',
      message: 'not ready: the database did not answer within 50 ms',
    });
  });

  it('is not ready when the database refuses', async () => {
    const res = await probe({ check: () => Promise.reject(new Error('connection refused')) });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.message).toBe('not ready: connection refused');
  });
});
