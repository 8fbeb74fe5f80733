import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createOAuth1Verifier } from '../../simulators/oneroster/oauth1-verifier.js';
import { ConnectorError } from '../connector.js';
import { createHttpClient } from './http-client.js';
import {
  authorizationHeader,
  oauth1Auth,
  percentEncode,
  signRequest,
  signatureBaseString,
  type OAuth1SignatureMethod,
} from './oauth1.js';

describe('OAuth 1.0a signature base string', () => {
  it('reproduces the RFC 5849 section 3.4.1.1 example', () => {
    // The example request: query b5, a3, c@, a2; form body "c2&a3=2+q"; a token.
    const url = new URL('http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b');
    const body: [string, string][] = [...new URLSearchParams('c2&a3=2+q')];
    const base = signatureBaseString('POST', url, [
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
      ['oauth_signature', 'ignored'],
      ['realm', 'Example'],
      ...body,
    ]);
    expect(base).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('percent-encodes as RFC 3986, not as encodeURIComponent', () => {
    expect(percentEncode("a+b=c*d~e f!g'h(i)")).toBe('a%2Bb%3Dc%2Ad~e%20f%21g%27h%28i%29');
    expect(percentEncode('é中')).toBe('%C3%A9%E4%B8%AD');
  });

  it('keeps the port only when it is not the default, and lower-cases scheme and host', () => {
    const base = signatureBaseString('get', new URL('HTTPS://Example.COM:443/a'), []);
    expect(base).toBe('GET&https%3A%2F%2Fexample.com%2Fa&');
    expect(signatureBaseString('GET', new URL('http://example.com:8080/a'), [])).toContain(
      'example.com%3A8080',
    );
  });
});

describe('OAuth 1.0a signing checked by the simulator verifier', () => {
  let server: Server;
  let base: string;
  const seen: { ok: boolean; failure?: string }[] = [];
  const secret = 'kd94hf93k423kf44+/=&é';
  const verifier = createOAuth1Verifier({
    consumers: new Map([['consumer-1', secret]]),
    signatureMethods: ['HMAC-SHA1', 'HMAC-SHA256'],
  });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const result = verifier.verify({
        method: req.method ?? 'GET',
        scheme: 'http',
        host: req.headers.host ?? '',
        target: req.url ?? '/',
        authorization: req.headers.authorization,
      });
      seen.push(result.ok ? { ok: true } : { ok: false, failure: result.failure });
      res.writeHead(result.ok ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result.ok ? { ok: true } : { imsx_codeMajor: 'failure' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // Repeated names, a value holding = and ', a literal plus, a space sent as +, *, ~ and UTF-8.
  const query =
    "?filter=dateLastModified%3E'2024-01-01T00%3A00%3A00Z'&sort=sourcedId&a=2&a=1&a=1%2B1&eq=x=y&sp=a+b&star=*&tilde=~&u=%C3%A9&empty=";

  const client = (method: OAuth1SignatureMethod, consumerSecret = secret) =>
    createHttpClient(
      {
        provider: 'test',
        auth: oauth1Auth({ consumerKey: 'consumer-1', consumerSecret, signatureMethod: method }),
      },
      { logger: pino({ level: 'silent' }), sleep: () => Promise.resolve() },
    );

  for (const method of ['HMAC-SHA1', 'HMAC-SHA256'] as const) {
    it(`${method}: the verifier accepts a query with repeated and encoded parameters`, async () => {
      const response = await client(method).requestJson({
        url: new URL(`${base}/ims/oneroster/v1p1/users${query}`),
        signal: new AbortController().signal,
      });
      expect(response.body).toEqual({ ok: true });
      expect(seen.at(-1)).toEqual({ ok: true });
    });
  }

  it('a wrong secret is auth_failed on the first answer, not retried', async () => {
    const before = seen.length;
    const error = await client('HMAC-SHA256', 'wrong')
      .requestJson({
        url: new URL(`${base}/ims/oneroster/v1p1/orgs${query}`),
        signal: new AbortController().signal,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('auth_failed');
    expect((error as ConnectorError).retryable).toBe(false);
    expect(seen.slice(before)).toEqual([{ ok: false, failure: 'bad_signature' }]);
  });

  it('the verifier refuses a changed query, a stale timestamp and a reused nonce', () => {
    const url = new URL(`${base}/x?a=1&a=2`);
    const credentials = {
      consumerKey: 'consumer-1',
      consumerSecret: secret,
      signatureMethod: 'HMAC-SHA256' as const,
    };
    const now = Math.floor(Date.now() / 1000);
    const signed = signRequest('GET', url, credentials, now, 'nonce-1');
    const request = {
      method: 'GET',
      scheme: 'http',
      host: url.host,
      target: '/x?a=1&a=2',
      authorization: authorizationHeader(signed.parameters, signed.signature),
    };
    expect(verifier.verify({ ...request, target: '/x?a=1&a=3' })).toMatchObject({
      ok: false,
      failure: 'bad_signature',
    });
    expect(verifier.verify(request)).toEqual({ ok: true, consumerKey: 'consumer-1' });
    expect(verifier.verify(request)).toMatchObject({ ok: false, failure: 'reused_nonce' });
    const old = signRequest('GET', url, credentials, now - 3600, 'nonce-2');
    expect(
      verifier.verify({ ...request, authorization: authorizationHeader(old.parameters, old.signature) }),
    ).toMatchObject({ ok: false, failure: 'stale_timestamp' });
  });
});
