import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { verifyWebhookSignature } from '../../src/lib/webhook-signature.js';

/** One notice as the receiver got it: raw body, headers, and whether its signature held. */
export interface ReceivedNotice {
  headers: IncomingHttpHeaders;
  body: string;
  payload: Record<string, unknown>;
  /** Checked with the receiver's `secret` at the moment it arrived. */
  signatureValid: boolean;
  answered: number;
}

/**
 * A real HTTP receiver on 127.0.0.1:0, the way a district's application would be: it verifies
 * `X-SisSync-Signature` over the raw body with the secret it was given, and answers from a
 * script of statuses (the last one repeats). A bad signature is answered 401 whatever the script.
 */
export interface WebhookReceiver {
  url: string;
  received: ReceivedNotice[];
  /** The secret it verifies with; set once the webhook is created (the API returns it then). */
  secret: string;
  script: number[];
  /** Extra headers per answer status, e.g. Retry-After on a 429. */
  headersFor: Record<number, Record<string, string>>;
  /** Holds every answer (the request has arrived, the sender waits) until the returned release is called. */
  holdAnswers(): () => void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(script: number[] = [200]): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '',
    received: [],
    secret: '',
    script,
    headersFor: {},
    holdAnswers() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = () => {
          gate = undefined;
          resolve();
        };
      });
      return release;
    },
    close: () => closeServer(server),
  };
  let gate: Promise<void> | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['x-sissync-signature'];
      const signatureValid = verifyWebhookSignature(
        receiver.secret,
        typeof header === 'string' ? header : undefined,
        body,
        { toleranceSeconds: 300 },
      ).ok;
      const scripted = receiver.script[Math.min(receiver.received.length, receiver.script.length - 1)] ?? 200;
      const answered = signatureValid ? scripted : 401;
      receiver.received.push({
        headers: req.headers,
        body,
        payload: JSON.parse(body) as Record<string, unknown>,
        signatureValid,
        answered,
      });
      const answer = () => {
        res.writeHead(answered, { 'content-type': 'text/plain', ...receiver.headersFor[answered] });
        res.end(answered < 300 ? 'ok' : 'no');
      };
      if (gate === undefined) answer();
      else void gate.then(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sis`;
  return receiver;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Polls `check` until it returns something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
