import { request as httpRequest } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { MAX_HEADER_BYTES, MAX_URL_LENGTH } from '../../src/api/plugins/request-limits.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';

/*
 * Limits beyond the body's (413 is in health.test.ts): URL length through inject, and the size of
 * the request head through a real listening server, since Node's parser is what refuses it.
 */

let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => t.close());

/** A raw GET with the given extra headers; resolves with what came back, even if the socket closes. */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe(`request size limits on ${driver}`, () => {
  it('refuses an over-long query string with 414 in the envelope, before authentication', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/tenants/t1/users?filter=${'x'.repeat(MAX_URL_LENGTH)}`,
    });
    expect(res.statusCode).toBe(414);
    expect(res.json().error).toMatchObject({ code: 'uri_too_long', requestId: res.headers['x-request-id'] });
  });

  it('serves a URL just under the limit as usual', async () => {
    const token = await t.token('PLATFORM_ADMIN');
    const url = '/api/v1/me?';
    const res = await t.app.inject({
      method: 'GET',
      url: `${url}${'x'.repeat(MAX_URL_LENGTH - url.length)}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
  });

  it('refuses a path parameter longer than a route allows with 414 in the envelope', async () => {
    const token = await t.token('PLATFORM_ADMIN');
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/providers/${'a'.repeat(200)}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(414);
    expect(res.json().error.code).toBe('uri_too_long');
  });

  it('refuses a malformed percent-encoding in the path with 400 in the envelope', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/providers/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'bad_request', requestId: res.headers['x-request-id'] });
  });

  it('refuses an oversized request head with 431 in the envelope and keeps serving', async () => {
    const res = await get(`${base}/healthz`, { 'x-padding': 'p'.repeat(MAX_HEADER_BYTES + 1024) });
    expect(res.status).toBe(431);
    const body = JSON.parse(res.body) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe('headers_too_large');
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The process and the server are still there.
    const after = await get(`${base}/healthz`, {});
    expect(after).toEqual({ status: 200, body: JSON.stringify({ status: 'ok' }) });
  });

  it('refuses an over-long URL on the wire (the request line counts in the head)', async () => {
    const res = await get(`${base}/healthz?${'q'.repeat(MAX_HEADER_BYTES + 1024)}`, {});
    expect(res.status).toBe(431);
    expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe('headers_too_large');
  });
});
