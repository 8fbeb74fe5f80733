import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  loadFailures,
  loadTable,
  routeGroups,
  runLoad,
  sampleIds,
  type GroupResult,
} from '../../bench/api-load.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { districtWithStudents, writePackage } from '../support/oneroster-package.js';
import { csvProvider, syncNow } from '../support/sync.js';

/*
 * The load of `npm run bench:api` against the real app over loopback, a fixed number of requests a
 * group, on a district of a few hundred users (so that lists and the change feed page by cursor): every request of every
 * route group must answer 2xx (a route or filter the API no longer has would otherwise fail the
 * bench only when someone runs it). No timing is asserted.
 */

const REQUESTS_PER_GROUP = 60;

const TENANT = 'lincoln';
let t: TestApp;
let groups: GroupResult[];

beforeAll(async () => {
  t = await createTestApp();
  const provider = await csvProvider(t, TENANT, writePackage(districtWithStudents(250)));
  const run = await syncNow(t, provider);
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const token = await t.token('DISTRICT_ADMIN', TENANT);
  const get = async (route: string) => {
    const res = await fetch(`${base}/api/v1${route}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, route).toBe(200);
    return res.json();
  };
  const targets = {
    tenantId: TENANT,
    providerId: provider,
    appliedRunId: run.id,
    runningRunId: run.id,
    ids: await sampleIds(get, TENANT),
    feedEvents: 300,
  };
  groups = await runLoad(base, token, routeGroups(targets), {
    connections: 5,
    until: { requestsPerGroup: REQUESTS_PER_GROUP },
  });
});

afterAll(async () => {
  await t.close();
});

describe('the route groups of bench:api', () => {
  it('sends requests of every group, and every one answers 2xx', () => {
    expect(groups.map((g) => g.name)).toEqual([
      'admin: providers',
      'admin: runs, changes, errors',
      'roster: lists (cursor paging)',
      'roster: records by id',
      'roster: change feed',
    ]);
    for (const group of groups) {
      expect(group.result.requests.sent, group.name).toBe(REQUESTS_PER_GROUP);
      expect(group.failures, group.name).toEqual([]);
      expect(group.result.non2xx, group.name).toBe(0);
      expect(group.result.errors, group.name).toBe(0);
    }
    expect(loadFailures(groups)).toEqual([]);
  });

  it('tabulates each group and the totals', () => {
    const table = loadTable(groups);
    expect(table[0]).toEqual([
      'route group',
      'conns',
      'requests',
      'req/s',
      'p50 (ms)',
      'p90 (ms)',
      'p99 (ms)',
      'max (ms)',
      'non-2xx',
      'errors',
    ]);
    expect(table.map((row) => row[0])).toEqual(['route group', ...groups.map((g) => g.name), 'all']);
    const total = groups.reduce((sum, g) => sum + g.result.requests.total, 0);
    expect(table.at(-1)![2]).toBe(total.toLocaleString('en-US'));
    expect(table.at(-1)![1]).toBe('5');
  });
});
