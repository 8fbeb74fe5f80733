import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { CleverClient } from '../../src/connectors/clever/clever-client.js';
import { ConnectorError } from '../../src/connectors/connector.js';
import {
  startCleverSimulator,
  type RunningCleverSimulator,
} from '../../src/simulators/clever/clever-server.js';
import { datasetFromOneRoster } from '../../src/simulators/clever/from-oneroster.js';
import {
  generateDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import { createTestLogger } from '../support/logger.js';
import { FAST_HTTP } from './clever-support.js';

/*
 * CleverClient.pages() reads one page ahead: the next page is requested before the current one
 * is handed over. These tests show that it is, that it never runs further ahead or past the
 * end, and that a page read ahead is cancelled, settled and never an unhandled rejection when
 * the consumer stops early or the run is cancelled, while its failure still surfaces at its own
 * page.
 */

/** Polls `condition` until it holds or `ms` have passed; answers whether it held. */
async function eventually(condition: () => boolean, ms = 2_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/** Collects unhandled rejections while a test runs. */
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('Clever pages read ahead, through the simulator', () => {
  let district: GeneratedDistrictSource;
  let sim: RunningCleverSimulator;
  beforeAll(async () => {
    district = await generateDistrictSource({ students: 120, seed: 5 });
    sim = await startCleverSimulator({ dataset: datasetFromOneRoster(district.source) });
  });
  afterAll(async () => {
    await sim.close();
    await district.cleanup();
  });

  const client = () =>
    new CleverClient({ accessToken: sim.accessToken(), baseUrl: sim.baseUrl }, createTestLogger(), FAST_HTTP);
  const userRequests = (from: number) =>
    sim
      .requests()
      .slice(from)
      .filter((r) => r.path === '/v3.0/users');

  it('requests page 2 before the consumer asks for it, and nothing past the last page', async () => {
    const from = sim.requests().length;
    const pages = client().pages('/users', {}, new AbortController().signal);
    const first = await pages.next();
    expect(first.done).toBe(false);
    expect(first.value?.more).toBe(true);
    // The consumer has not asked for page 2, yet the simulator answers its request.
    expect(await eventually(() => userRequests(from).length === 2)).toBe(true);
    // One page ahead only: page 3 waits until page 2 is asked for.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(userRequests(from)).toHaveLength(2);

    let read = 1;
    for (;;) {
      const step = await pages.next();
      if (step.done === true) break;
      read += 1;
    }
    expect(read).toBeGreaterThan(3);
    // Every request was for a page that was handed over: none beyond the last.
    expect(userRequests(from)).toHaveLength(read);
    expect(userRequests(from).every((r) => r.status === 200)).toBe(true);
  });

  it('reads a whole list to the same pages as a probe of each page would', async () => {
    const seen: string[] = [];
    for await (const page of client().pages('/sections', {}, new AbortController().signal)) {
      seen.push(page.where);
    }
    expect(seen[0]).toBe('/v3.0/sections?limit=50');
    expect(new Set(seen).size).toBe(seen.length);
    expect(
      seen.slice(1).every((w) => /^\/v3\.0\/sections\?limit=50&starting_after=[0-9a-f]{24}$/.test(w)),
    ).toBe(true);
  });
});

/**
 * A Clever list served by hand: page 1 links to page 2, whose answer `second` decides (hold the
 * request open, or answer with a status).
 */
describe('Clever pages read ahead, against a server that holds page 2', () => {
  let server: Server;
  let baseUrl: string;
  let second: (req: IncomingMessage, res: ServerResponse) => void;
  /** Page 2 requests seen, and whether each was closed by the client before any answer. */
  let page2: { closedUnanswered: boolean }[];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if ((req.url ?? '').includes('starting_after=')) {
        const seen = { closedUnanswered: false };
        page2.push(seen);
        res.on('close', () => {
          if (!res.writableEnded) seen.closedUnanswered = true;
        });
        second(req, res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          data: [{ data: { id: 'a' } }, { data: { id: 'b' } }],
          links: [{ rel: 'next', uri: '/v3.0/users?limit=2&starting_after=b' }],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3.0`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    page2 = [];
    second = () => {
      // Held open: only the client can end it.
    };
  });

  const client = () =>
    new CleverClient({ accessToken: 'token', baseUrl }, createTestLogger(), { ...FAST_HTTP, pageLimit: 2 });

  it('cancels the page in flight when the consumer stops after page 1, leaving nothing unhandled', async () => {
    const started = Date.now();
    let pagesRead = 0;
    for await (const page of client().pages('/users', {}, new AbortController().signal)) {
      pagesRead += 1;
      expect(page.items).toHaveLength(2);
      // Page 2 was asked for before the consumer is done with page 1.
      expect(await eventually(() => page2.length === 1)).toBe(true);
      break;
    }
    expect(pagesRead).toBe(1);
    // The break returned once the read ahead was cancelled, not after the 2 s timeout.
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await eventually(() => page2[0]?.closedUnanswered === true)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });

  it('surfaces a failed read ahead at page 2, naming that page, not before', async () => {
    second = (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Resource not found' }));
    };
    const pages = client().pages('/users', {}, new AbortController().signal);
    const first = await pages.next();
    expect(first.value?.items).toHaveLength(2);
    // Page 2 has failed by now, while the consumer still holds page 1.
    expect(await eventually(() => page2.length === 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
    const error = await pages.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('not_found');
    expect((error as ConnectorError).message).toMatch(
      /^Clever: GET \/v3\.0\/users answered 404: Resource not found \[page \/v3\.0\/users\?limit=2&starting_after=b\]$/,
    );
    expect((error as ConnectorError).options.source).toEqual({
      page: '/v3.0/users?limit=2&starting_after=b',
    });
  });

  it('cancels the page in flight when the run is cancelled, and says so at page 2', async () => {
    const run = new AbortController();
    const pages = client().pages('/users', {}, run.signal);
    await pages.next();
    expect(await eventually(() => page2.length === 1)).toBe(true);
    run.abort();
    expect(await eventually(() => page2[0]?.closedUnanswered === true)).toBe(true);
    const error = await pages.next().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe('cancelled');
    expect((error as ConnectorError).message).toContain('[page /v3.0/users?limit=2&starting_after=b]');
    expect(unhandled).toEqual([]);
  });

  it('reads no page ahead for a probe of the first page', async () => {
    const page = await client().firstPage('/users', {}, new AbortController().signal);
    expect(page).toMatchObject({ where: '/v3.0/users?limit=2', more: true, short: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(page2).toHaveLength(0);
  });
});
