import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import {
  computeWebhookSignature,
  verifyWebhookSignature,
  webhookSignatureHeader,
} from './webhook-signature.js';

const secret = 'whsec_dGVzdC1zaWduaW5nLXNlY3JldC1mb3ItdW5pdC10ZXN0cw';
const body = '{"id":"d-1","event":"run.applied","run":{"id":"r-1"}}';
const t = 1_780_000_000;
const at = (seconds: number) => new Date(seconds * 1000);

describe('webhook signatures', () => {
  it('is HMAC-SHA256 of "<t>.<body>" keyed with the whole secret, in hex', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(computeWebhookSignature(secret, t, body)).toBe(expected);
    expect(webhookSignatureHeader(secret, t, body)).toBe(`t=${t},v1=${expected}`);
    // A Buffer body signs the same bytes.
    expect(computeWebhookSignature(secret, t, Buffer.from(body))).toBe(expected);
  });

  it('accepts its own header within the tolerance, either side of now', () => {
    const header = webhookSignatureHeader(secret, t, body);
    expect(verifyWebhookSignature(secret, header, body, { now: at(t) })).toEqual({
      ok: true,
      value: { timestamp: t },
    });
    expect(verifyWebhookSignature(secret, header, body, { now: at(t + 300) }).ok).toBe(true);
    expect(verifyWebhookSignature(secret, header, body, { now: at(t - 300) }).ok).toBe(true);
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), { now: at(t) }).ok).toBe(true);
  });

  it('refuses a timestamp outside the tolerance', () => {
    const header = webhookSignatureHeader(secret, t, body);
    expect(verifyWebhookSignature(secret, header, body, { now: at(t + 301) })).toEqual({
      ok: false,
      error: 'timestamp_out_of_tolerance',
    });
    expect(verifyWebhookSignature(secret, header, body, { now: at(t + 60), toleranceSeconds: 30 }).ok).toBe(
      false,
    );
  });

  it('refuses another body, another secret, and a timestamp changed after signing', () => {
    const header = webhookSignatureHeader(secret, t, body);
    const mismatch = { ok: false, error: 'signature_mismatch' };
    expect(verifyWebhookSignature(secret, header, `${body} `, { now: at(t) })).toEqual(mismatch);
    expect(verifyWebhookSignature(`${secret}x`, header, body, { now: at(t) })).toEqual(mismatch);
    const moved = header.replace(`t=${t}`, `t=${t + 1}`);
    expect(verifyWebhookSignature(secret, moved, body, { now: at(t) })).toEqual(mismatch);
  });

  it('accepts any one of several v1 signatures', () => {
    const good = computeWebhookSignature(secret, t, body);
    const other = computeWebhookSignature('whsec_other', t, body);
    const header = `t=${t},v1=${other},v1=${good}`;
    expect(verifyWebhookSignature(secret, header, body, { now: at(t) }).ok).toBe(true);
    expect(verifyWebhookSignature(secret, `t=${t},v1=${other}`, body, { now: at(t) }).ok).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without a timestamp', `v1=${'a'.repeat(64)}`],
    ['without a signature', `t=${t}`],
    ['with a short signature', `t=${t},v1=abcd`],
    ['with a timestamp that is not a number', `t=soon,v1=${'a'.repeat(64)}`],
  ])('calls a header %s malformed', (_name, header) => {
    expect(verifyWebhookSignature(secret, header, body, { now: at(t) })).toEqual({
      ok: false,
      error: 'malformed_header',
    });
  });
});

describe('the receiver sample in docs/webhooks.md', () => {
  type Verify = (secret: string, header: string | undefined, rawBody: Buffer | string) => boolean;

  /** The sample exactly as the docs show it, run as a module of its own. */
  async function loadSample(): Promise<Verify> {
    const docs = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
    const code = /```js verify-sample\n([\s\S]*?)```/.exec(docs)?.[1];
    if (code === undefined) throw new Error('docs/webhooks.md has no verify-sample block');
    const dir = mkdtempSync(path.join(tmpdir(), 'webhook-sample-'));
    try {
      const file = path.join(dir, 'verify.mjs');
      writeFileSync(file, code);
      const sample = (await import(pathToFileURL(file).href)) as { verifySisSyncSignature: Verify };
      return sample.verifySisSyncSignature;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('accepts what sis-sync signs now, and refuses a changed body, another secret, an old timestamp', async () => {
    const verify = await loadSample();
    const now = Math.floor(Date.now() / 1000);
    const header = webhookSignatureHeader(secret, now, body);
    expect(verify(secret, header, Buffer.from(body))).toBe(true);
    expect(verify(secret, header, body)).toBe(true);
    expect(verify(secret, header, `${body}\n`)).toBe(false);
    expect(verify('whsec_other', header, body)).toBe(false);
    expect(verify(secret, webhookSignatureHeader(secret, now - 3600, body), body)).toBe(false);
    expect(verify(secret, undefined, body)).toBe(false);
  });
});
