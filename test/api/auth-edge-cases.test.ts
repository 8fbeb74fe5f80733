import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mintDevToken } from '../../src/auth/dev-token.js';
import { createTokenVerifier, MAX_TOKEN_LENGTH } from '../../src/auth/token-verifier.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { TEST_SECRETS } from '../support/secrets.js';

/*
 * Bearer tokens at the edges, against an identity provider's JWKS served on loopback: each
 * refusal is a 401 in the envelope. The shared-secret cases (alg none, wrong signature, wrong
 * issuer, expired) are in access-matrix.test.ts; the log scan at the end of the suite checks
 * that no token reached a log line.
 */

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'sis-sync';
let t: TestApp;
let jwks: Server;
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let publicPem: string;

const now = () => Math.floor(Date.now() / 1000);

/** An RS256 token from the identity provider; `claims` override the defaults (undefined removes one). */
async function idpToken(claims: Record<string, unknown> = {}): Promise<string> {
  const payload: JWTPayload = {
    sub: 'admin@idp',
    roles: ['PLATFORM_ADMIN'],
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now(),
    exp: now() + 600,
    ...claims,
  };
  for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).sign(privateKey);
}

const me = (token: string) =>
  t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

async function expectRefused(token: string, code: string, message?: RegExp): Promise<void> {
  const res = await me(token);
  expect(res.statusCode).toBe(401);
  const body = res.json();
  expect(body.error.code).toBe(code);
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  if (message !== undefined) expect(body.error.message).toMatch(message);
  expect(res.body).not.toContain(token);
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  publicPem = await exportSPKI(pair.publicKey);
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const { port } = jwks.address() as AddressInfo;
  t = await createTestApp({
    jwt: {
      secret: undefined,
      jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
      issuer: ISSUER,
      audience: AUDIENCE,
    },
  });
});
afterAll(async () => {
  await t.close();
  await new Promise((resolve) => jwks.close(resolve));
});

describe(`bearer token edge cases with a JWKS on ${driver}`, () => {
  it("accepts the identity provider's token (the control)", async () => {
    const res = await me(await idpToken());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ subject: 'admin@idp' });
  });

  it('refuses an HS256 token signed with the public key (algorithm confusion)', async () => {
    const token = await new SignJWT({
      sub: 'admin@idp',
      roles: ['PLATFORM_ADMIN'],
      iss: ISSUER,
      aud: AUDIENCE,
    })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(publicPem));
    await expectRefused(token, 'invalid_token', /HS256 are not accepted/);
  });

  it('refuses alg none', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { sub: 'x', roles: ['PLATFORM_ADMIN'], iss: ISSUER, aud: AUDIENCE, exp: now() + 600 };
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, 'invalid_token');
  });

  it('refuses a wrong audience and a wrong issuer', async () => {
    await expectRefused(await idpToken({ aud: 'another-app' }), 'invalid_token', /"aud" claim/);
    await expectRefused(await idpToken({ aud: undefined }), 'invalid_token', /"aud" claim/);
    await expectRefused(await idpToken({ iss: 'https://evil.example.test' }), 'invalid_token', /"iss" claim/);
  });

  it('refuses an expired token', async () => {
    await expectRefused(await idpToken({ exp: now() - 120 }), 'token_expired');
  });

  it('refuses a token without exp', async () => {
    await expectRefused(await idpToken({ exp: undefined }), 'invalid_token', /no expiry/);
  });

  it('refuses a token not valid for another hour, and allows 30 s of clock skew', async () => {
    await expectRefused(await idpToken({ nbf: now() + 3600 }), 'invalid_token', /not valid yet/);
    expect((await me(await idpToken({ nbf: now() + 10 }))).statusCode).toBe(200);
  });

  it('refuses roles of the wrong type as a malformed token', async () => {
    for (const roles of [7, { PLATFORM_ADMIN: true }, [['PLATFORM_ADMIN']], [null]]) {
      await expectRefused(await idpToken({ roles }), 'invalid_token', /roles claim/);
    }
    // Of the right type but no sis-sync role: a valid caller without rights.
    const none = await me(await idpToken({ roles: ['TEACHER'] }));
    expect(none.statusCode).toBe(403);
  });

  it('refuses a very long token before parsing it', async () => {
    const long = await idpToken({ padding: 'p'.repeat(MAX_TOKEN_LENGTH) });
    expect(long.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    await expectRefused(long, 'invalid_token', /longer than 8192 characters/);
  });
});

describe('development tokens', () => {
  it('carry exp, so the verifier that demands it accepts them', async () => {
    const verify = createTokenVerifier({
      secret: TEST_SECRETS.jwtSecret,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
    });
    const token = await mintDevToken({
      secret: TEST_SECRETS.jwtSecret,
      role: 'DISTRICT_ADMIN',
      tenantId: 'd1',
      subject: 'dev-admin',
      ttlSeconds: 600,
    });
    expect(await verify(token)).toEqual({
      ok: true,
      value: { subject: 'dev-admin', roles: ['DISTRICT_ADMIN'], tenantId: 'd1' },
    });
  });
});
