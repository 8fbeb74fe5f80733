import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createCleverConnector,
  formatCheckpoint,
  FULL_PULL_EVERY_MS,
  parseCheckpoint,
} from '../../src/connectors/clever/clever-connector.js';
import type { ExtractedRecord } from '../../src/domain/records.js';
import type { EntityType } from '../../src/domain/entity.js';
import type { CleverDataset, CleverObject } from '../../src/simulators/clever/clever-dataset.js';
import {
  startCleverSimulator,
  type RunningCleverSimulator,
} from '../../src/simulators/clever/clever-server.js';
import { datasetFromOneRoster } from '../../src/simulators/clever/from-oneroster.js';
import {
  generateDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { runCli, startCli, waitForOutput } from '../support/cli.js';
import { driver } from '../support/database.js';
import { createTestLogger } from '../support/logger.js';
import { csvProvider, rows, syncNow } from '../support/sync.js';
import {
  activeCounts,
  cleverProvider,
  FAST_HTTP,
  normalizedRoster,
  useCleverHttp,
} from './clever-support.js';

let t: TestApp;
let district: GeneratedDistrictSource;
let dataset: CleverDataset;
let sim: RunningCleverSimulator;

beforeAll(async () => {
  t = await createTestApp();
  useCleverHttp(t);
  district = await generateDistrictSource({ students: 300, seed: 41 });
  dataset = datasetFromOneRoster(district.source);
  sim = await startCleverSimulator({ dataset });
});
afterAll(async () => {
  await sim.close();
  await t.close();
  await district.cleanup();
});

describe(`Clever connector on ${driver}`, () => {
  it('syncs a generated district through the simulator to the same roster as its CSV package', async () => {
    const clever = await syncNow(t, await cleverProvider(t, 'clever-a', sim));
    expect(clever.errorMessage).toBeNull();
    expect(clever.status).toBe('SUCCESS');
    const csv = await syncNow(t, await csvProvider(t, 'csv-a', district.dir));
    expect(csv.status).toBe('SUCCESS');

    const fromClever = await normalizedRoster(t, 'clever-a');
    const fromCsv = await normalizedRoster(t, 'csv-a');
    for (const name of Object.keys(fromCsv)) {
      expect(fromClever[name], name).toEqual(fromCsv[name]);
    }
    // Not equal by being empty: the district has hundreds of students, guardians, enrollments.
    expect(fromCsv.users!.length).toBeGreaterThan(300);
    expect(fromCsv.enrollments!.length).toBeGreaterThan(1000);
    expect(fromCsv.relationships!.length).toBeGreaterThan(300);
    // Paged: 50 per page, every list followed through its next links.
    const userPages = sim.requests().filter((r) => r.path === '/v3.0/users' && r.status === 200);
    expect(userPages.length).toBeGreaterThan(10);
    expect(clever.sourceInfo).toMatchObject({ format: 'Clever Data API v3.0', pull: 'full' });
  });

  it('reports nothing changed on a second pull with a fixed district token, and keeps every role', async () => {
    const providerId = await cleverProvider(t, 'clever-b', sim, 'access-token');
    expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
    const again = await syncNow(t, providerId);
    expect(again.status).toBe('SUCCESS');
    for (const stats of Object.values(again.stats)) {
      expect(stats).toMatchObject({ created: 0, updated: 0, deactivated: 0, reactivated: 0 });
    }
    const [roles] = await rows<{ roles: string[] }>(
      t,
      "SELECT array_agg(DISTINCT role ORDER BY role) AS roles FROM users WHERE tenant_id = 'clever-b' AND active",
    );
    expect(roles?.roles).toEqual(
      expect.arrayContaining(['guardian', 'parent', 'staff', 'student', 'teacher']),
    );
  });

  it('derives co-teacher enrollments and multi-role users from what Clever serves', async () => {
    // Give one section a co-teacher and one teacher a staff role, as Clever districts do.
    const section = dataset.sections.find((s) => Array.isArray(s.teachers) && s.teachers.length === 1)!;
    const teacher = dataset.users.find(
      (u) => hasRole(u, 'teacher') && u.id !== (section.teachers as string[])[0],
    )!;
    const next: CleverDataset = {
      ...dataset,
      sections: dataset.sections.map((s) =>
        s.id === section.id ? { ...s, teachers: [...(s.teachers as string[]), teacher.id] } : s,
      ),
      users: dataset.users.map((u) =>
        u.id === teacher.id
          ? {
              ...u,
              roles: { ...(u.roles as object), staff: { staff_id: 'S-1', title: 'Coach', schools: [] } },
            }
          : u,
      ),
    };
    const local = await startCleverSimulator({ dataset: next });
    try {
      const connector = createCleverConnector(
        { accessToken: local.accessToken(), baseUrl: local.baseUrl },
        { logger: createTestLogger(), http: FAST_HTTP },
      );
      const session = await connector.open({
        signal: new AbortController().signal,
        logger: createTestLogger(),
      });
      const enrollments = await collect(session.extract('enrollments', fail));
      const users = await collect(session.extract('users', fail));
      const ofSection = enrollments.filter(
        (e) => e.data.classExternalId === section.id && e.data.role === 'teacher',
      );
      expect(ofSection.map((e) => [e.data.userExternalId, e.data.isPrimary])).toEqual([
        [(section.teachers as string[])[0], true],
        [teacher.id, false],
      ]);
      expect(ofSection[1]?.externalId).toBe(`${section.id}:${teacher.id}:teacher`);
      const multi = users.find((u) => u.externalId === teacher.id);
      expect(multi?.data).toMatchObject({ role: 'teacher', roles: ['teacher', 'staff'] });
    } finally {
      await local.close();
    }
  });

  it('reads changes from the Events API after a checkpoint: created, updated and deleted records', async () => {
    const local = await startCleverSimulator({ dataset });
    try {
      const connector = createCleverConnector(
        { accessToken: local.accessToken(), baseUrl: local.baseUrl },
        { logger: createTestLogger(), http: FAST_HTTP },
      );
      const ctx = { signal: new AbortController().signal, logger: createTestLogger() };
      const full = await connector.open(ctx);
      expect(full.modes.users).toBe('snapshot');
      // Taken before the pull: no event yet, so the next delta reads every event there is.
      const fullCheckpoint = full.checkpoint ?? null;
      expect(parseCheckpoint(fullCheckpoint)).toMatchObject({ eventId: null });

      const section = dataset.sections.find((s) => Array.isArray(s.students) && s.students.length > 2)!;
      const [dropped, ...kept] = section.students as string[];
      const removedUser = dataset.users.find((u) => hasRole(u, 'teacher'))!;
      const renamed = dataset.users.find((u) => hasRole(u, 'student'))!;
      local.replaceData({
        ...dataset,
        sections: dataset.sections.map((s) => (s.id === section.id ? { ...s, students: kept } : s)),
        users: dataset.users
          .filter((u) => u.id !== removedUser.id)
          .map((u) =>
            u.id === renamed.id ? { ...u, name: { first: 'Renamed', middle: '', last: 'Student' } } : u,
          ),
      });
      const delta = await connector.open({ ...ctx, checkpoint: fullCheckpoint });
      expect(delta.modes.users).toBe('delta');
      expect(delta.sourceInfo).toMatchObject({ pull: 'events', events: expect.any(Number) });
      const users = await collect(delta.extract('users', fail));
      expect(users.map((u) => [u.externalId, u.deleted])).toEqual(
        expect.arrayContaining([
          [removedUser.id, true],
          [renamed.id, false],
        ]),
      );
      expect(users.find((u) => u.externalId === renamed.id)?.data).toMatchObject({ givenName: 'Renamed' });
      const enrollments = await collect(delta.extract('enrollments', fail));
      expect(enrollments.filter((e) => e.deleted).map((e) => e.externalId)).toEqual([
        `${section.id}:${dropped}:student`,
      ]);
      expect(parseCheckpoint(delta.checkpoint)?.eventId).toMatch(/^e[0-9a-f]{23}$/);
      // Nothing new after the newest event: an empty delta, the same checkpoint.
      const quiet = await connector.open({ ...ctx, checkpoint: delta.checkpoint ?? null });
      expect(await collect(quiet.extract('users', fail))).toEqual([]);
      expect(quiet.checkpoint).toBe(delta.checkpoint);
      // A day after the last full pull, or from a checkpoint it did not write: a full pull again.
      const stale = formatCheckpoint({
        eventId: null,
        lastFullPullAt: new Date(Date.now() - FULL_PULL_EVERY_MS - 1),
      });
      expect((await connector.open({ ...ctx, checkpoint: stale })).modes.users).toBe('snapshot');
      expect((await connector.open({ ...ctx, checkpoint: '{"startedAt":"x"}' })).modes.users).toBe(
        'snapshot',
      );
    } finally {
      await local.close();
    }
  });

  it('looks the district token up again after Clever rotated it', async () => {
    const local = await startCleverSimulator({ dataset });
    try {
      const providerId = await cleverProvider(t, 'clever-c', local);
      const before = local.accessToken();
      const first = await syncNow(t, providerId);
      expect(first.status).toBe('SUCCESS');
      local.rotateToken();
      expect(local.accessToken()).not.toBe(before);
      const second = await syncNow(t, providerId);
      expect(second.status, second.errorMessage ?? '').toBe('SUCCESS');
      expect(local.requests().filter((r) => r.path === '/oauth/tokens' && r.status === 200).length).toBe(2);
    } finally {
      await local.close();
    }
  });

  it('fails a revoked district token as auth_failed, without retrying it, and deactivates nothing', async () => {
    const local = await startCleverSimulator({ dataset });
    try {
      const providerId = await cleverProvider(t, 'clever-d', local, 'access-token');
      expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
      const before = await activeCounts(t, 'clever-d');
      local.revokeAccess();
      const seen = local.requests().length;
      const run = await syncNow(t, providerId);
      expect(run.status).toBe('FAILURE');
      expect(run.errorCode).toBe('auth_failed');
      expect(run.errorMessage).toMatch(
        /Clever: GET \/v3\.0\/\w+ was refused \(401: invalid or expired token\)/,
      );
      // One refused request for the events checkpoint, one for the first page: no retry loop.
      expect(local.requests().length - seen).toBeLessThanOrEqual(2);
      expect(await activeCounts(t, 'clever-d')).toEqual(before);
    } finally {
      await local.close();
    }
  });

  it('fails wrong client credentials at the token endpoint as auth_failed', async () => {
    const local = await startCleverSimulator({ dataset });
    try {
      const view = await t.deps.providers.create(
        { principal: { subject: 'test-admin', roles: ['PLATFORM_ADMIN'], tenantId: undefined } },
        {
          tenantId: 'clever-e',
          providerType: 'CLEVER',
          name: 'Clever wrong secret',
          config: {
            clientId: local.clientId,
            clientSecret: 'not-the-secret',
            districtId: local.districtId,
            baseUrl: local.baseUrl,
            tokenUrl: local.tokenUrl,
          },
        },
      );
      const run = await syncNow(t, view.id);
      expect(run.status).toBe('FAILURE');
      expect(run.errorCode).toBe('auth_failed');
      expect(run.errorMessage).toContain('Clever token endpoint: GET /oauth/tokens was refused (401');
      expect(run.errorMessage).not.toContain('not-the-secret');
      expect(local.requests().filter((r) => r.path.startsWith('/v3.0')).length).toBe(0);
    } finally {
      await local.close();
    }
  });

  it('POST /api/v1/providers/:id/test reports the district name and the user count', async () => {
    const providerId = await cleverProvider(t, 'clever-f', sim);
    const token = await t.token('DISTRICT_ADMIN', 'clever-f');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/providers/${providerId}/test`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{ ok: boolean; summary: string; details: Record<string, unknown> }>();
    expect(body.ok).toBe(true);
    expect(body.summary).toBe(
      `Clever district "${district.source.name}": ${dataset.users.length.toLocaleString('en-US')} users`,
    );
    expect(body.details).toMatchObject({ districtId: sim.districtId, userCount: dataset.users.length });
  });
});

describe('sis-sync simulate clever', () => {
  it('serves a generated district and prints provider configs that work', async () => {
    const child = startCli(['simulate', 'clever', '--port', '0', '--students', '40', '--seed', '3']);
    try {
      await waitForOutput(child, (out) => out.stdout.includes('Ctrl-C stops it.'));
      const { stdout } = child.output();
      const configs = [...stdout.matchAll(/^\{\n[\s\S]*?\n\}$/gm)].map(
        (m) => JSON.parse(m[0]) as Record<string, string>,
      );
      expect(configs.map((c) => Object.keys(c).sort())).toEqual([
        ['accessToken', 'baseUrl'],
        ['baseUrl', 'clientId', 'clientSecret', 'districtId', 'tokenUrl'],
      ]);
      for (const config of configs) {
        const connector = createCleverConnector(config, { logger: createTestLogger(), http: FAST_HTTP });
        const report = await connector.testConnection({
          signal: new AbortController().signal,
          logger: createTestLogger(),
        });
        expect(report.summary).toMatch(/^Clever district ".+": \d+ users$/);
        expect(report.details.userCount).toBeGreaterThan(40);
      }
    } finally {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await closed;
    }
    expect(child.output().code).toBe(0);
  });

  it('refuses a fault spec it does not know, naming the item', async () => {
    const result = await runCli(['simulate', 'clever', '--students', '10', '--faults', '429x2,teapot']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('"teapot" is not a fault');
  });
});

function hasRole(user: CleverObject, role: string): boolean {
  return typeof user.roles === 'object' && user.roles !== null && role in user.roles;
}

function fail(problem: unknown): never {
  throw new Error(`unexpected incomplete entity: ${JSON.stringify(problem)}`);
}

async function collect<E extends EntityType>(
  batches: AsyncIterable<{ records: ExtractedRecord<E>[]; errors: unknown[] }>,
): Promise<ExtractedRecord<E>[]> {
  const records: ExtractedRecord<E>[] = [];
  for await (const batch of batches) {
    expect(batch.errors).toEqual([]);
    records.push(...batch.records);
  }
  return records;
}
