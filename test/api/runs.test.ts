import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRun, transitionRun, type RunRow } from '../../src/repositories/runs-repository.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { districtWithStudents, smallDistrict, writePackage } from '../support/oneroster-package.js';
import { csvProvider, rows } from '../support/sync.js';

/*
 * The run routes over HTTP: trigger, cancel, status, history, one run, its changes, approve,
 * discard and the connection test, each with its refusals, and the audit rows they leave.
 */

const OWN = 'lincoln';
const OTHER = 'jefferson';

let t: TestApp;
let admin: string;
let otherAdmin: string;
let platform: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await t.token('DISTRICT_ADMIN', OWN, { subject: 'dana@lincoln' });
  otherAdmin = await t.token('DISTRICT_ADMIN', OTHER, { subject: 'jo@jefferson' });
  platform = await t.token('PLATFORM_ADMIN');
});
afterAll(async () => t.close());

type Method = 'GET' | 'POST' | 'DELETE';
/** `null`: no Authorization header at all. */
const call = (method: Method, url: string, token: string | null = admin) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });

/** The error envelope, checked whole: a stable code, a message, and the response's request id. */
function expectError(
  res: Awaited<ReturnType<typeof call>>,
  status: number,
  code: string,
): { code: string; message: string; requestId: string; details?: Record<string, unknown> } {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json<{
    error: { code: string; message: string; requestId: string; details?: Record<string, unknown> };
  }>();
  expect(body.error.code).toBe(code);
  expect(body.error.message).toEqual(expect.any(String));
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  return body.error;
}

interface RunBody {
  id: string;
  status: string;
  dryRun: boolean;
  stats: Record<string, Record<string, number>>;
  heldReason: Record<string, unknown> | null;
  reviewedBy: string | null;
  cancelRequested: boolean;
  errorCode: string | null;
  triggeredBy: string | null;
  trigger: string;
}

async function getRun(runId: string, query = '', token = admin) {
  const res = await call('GET', `/runs/${runId}${query}`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{
    run: RunBody;
    errors: {
      items: {
        externalId: string | null;
        file: string | null;
        line: number | null;
        field: string | null;
        code: string;
        message: string;
      }[];
      total: number;
      limit: number;
      offset: number;
    };
  }>();
}

/** Starts a sync through the API and waits for the runner to finish it. */
async function syncViaApi(providerId: string, token = admin): Promise<RunBody> {
  const res = await call('POST', `/providers/${providerId}/sync`, token);
  expect(res.statusCode, res.body).toBe(202);
  await t.idle();
  return (await getRun(res.json<{ runId: string }>().runId, '', token)).run;
}

/** The token of an admin of the tenant: the district admins of the two named tenants, else the platform admin. */
const tokenFor = (tenantId: string) =>
  tenantId === OWN ? admin : tenantId === OTHER ? otherAdmin : platform;

interface AuditRow {
  tenant_id: string | null;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  request_id: string | null;
  details: Record<string, unknown>;
}
const auditOf = (targetId: string) =>
  rows<AuditRow>(
    t,
    `SELECT tenant_id, actor, action, target_type, target_id, request_id, details
     FROM audit_log WHERE target_id = '${targetId}' ORDER BY id`,
  );

/** A run that holds the provider but that no worker executes: PENDING, or IN_PROGRESS. */
async function parkedRun(
  providerId: string,
  tenantId: string,
  status: 'PENDING' | 'IN_PROGRESS',
): Promise<RunRow> {
  const created = await createRun(t.handle.db, {
    tenantId,
    providerId,
    trigger: 'MANUAL',
    triggeredBy: 'someone-else',
    dryRun: false,
  });
  if (!created.created) throw new Error('the provider already had a run');
  if (status === 'PENDING') return created.run;
  const started = await transitionRun(t.handle.db, created.run.id, 'PENDING', 'IN_PROGRESS', {
    startedAt: new Date(),
    phase: 'extracting',
    progress: { phase: 'extracting', entity: 'users', staged: { users: 40 } },
  });
  return started!;
}

/** A provider whose second sync is held: 3 of 10 users gone, over the default 10% threshold. */
async function heldRun(tenantId: string): Promise<{ providerId: string; run: RunBody }> {
  const dir = writePackage(districtWithStudents(5));
  const providerId = await csvProvider(t, tenantId, dir);
  expect((await syncViaApi(providerId, tokenFor(tenantId))).status).toBe('SUCCESS');
  writePackage(districtWithStudents(2), { dir });
  const run = await syncViaApi(providerId, tokenFor(tenantId));
  expect(run.status).toBe('HELD');
  return { providerId, run };
}

const activeUsers = async (tenantId: string) =>
  (
    await rows<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM users WHERE tenant_id = '${tenantId}' AND active`,
    )
  )[0]?.n;

const MISSING_PROVIDER = '00000000-0000-4000-8000-000000000000';

describe(`run routes on ${driver}`, () => {
  describe('POST /providers/:id/sync', () => {
    it('starts a run, answers its id at once, and audits who asked', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      const res = await call('POST', `/providers/${providerId}/sync`);
      expect(res.statusCode, res.body).toBe(202);
      const body = res.json<{ runId: string; status: string; dryRun: boolean }>();
      expect(body).toEqual({
        runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        status: 'PENDING',
        dryRun: false,
      });
      await t.idle();
      const { run } = await getRun(body.runId);
      expect(run).toMatchObject({ status: 'SUCCESS', trigger: 'MANUAL', triggeredBy: 'dana@lincoln' });
      expect(run.stats.users).toMatchObject({ created: 5, errors: 0 });
      expect(await activeUsers(OWN)).toBeGreaterThanOrEqual(5);
      expect(await auditOf(body.runId)).toEqual([
        {
          tenant_id: OWN,
          actor: 'dana@lincoln',
          action: 'sync.trigger',
          target_type: 'run',
          target_id: body.runId,
          request_id: res.headers['x-request-id'],
          details: { providerId },
        },
      ]);
    });

    it('a dry run computes the diff, applies nothing, and is audited as a dry run', async () => {
      const providerId = await csvProvider(t, 'dry-api', writePackage(smallDistrict()));
      const res = await call('POST', `/providers/${providerId}/sync?dryRun=true`, platform);
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ dryRun: true, status: 'PENDING' });
      const runId = res.json<{ runId: string }>().runId;
      await t.idle();
      const { run } = await getRun(runId, '', platform);
      expect(run).toMatchObject({ status: 'SUCCESS', dryRun: true });
      expect(run.stats.users).toMatchObject({ created: 5 });
      expect(await activeUsers('dry-api')).toBe(0);
      const changes = await call('GET', `/runs/${runId}/changes?entity=users&kind=created`, platform);
      expect(changes.statusCode).toBe(200);
      expect(changes.json<{ total: number }>().total).toBe(5);
      // A dry run is not the provider's last sync.
      const status = await call('GET', `/providers/${providerId}/sync/status`, platform);
      expect(status.json()).toMatchObject({ lastSync: null, lastStatus: null, isRunning: false });
      expect((await auditOf(runId)).map((a) => a.action)).toEqual(['sync.dry_run']);
    });

    it('refuses a second run while one is pending, naming it in the error envelope', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      const pending = await parkedRun(providerId, OWN, 'PENDING');
      const res = await call('POST', `/providers/${providerId}/sync`);
      const error = expectError(res, 409, 'sync_already_running');
      expect(error.message).toContain(pending.id);
      expect(error.details).toMatchObject({ runId: pending.id, status: 'PENDING' });
      // A refused trigger leaves no run and no audit row behind.
      const runs = await rows<{ n: number }>(
        t,
        `SELECT count(*)::int AS n FROM sis_sync_runs WHERE provider_id = '${providerId}'`,
      );
      expect(runs[0]?.n).toBe(1);
      const audits = await rows(t, `SELECT 1 FROM audit_log WHERE details->>'providerId' = '${providerId}'`);
      expect(audits).toEqual([]);
    });

    it('refuses a second run while one is in progress, and a dry run too', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      const running = await parkedRun(providerId, OWN, 'IN_PROGRESS');
      for (const query of ['', '?dryRun=true']) {
        const error = expectError(
          await call('POST', `/providers/${providerId}/sync${query}`),
          409,
          'sync_already_running',
        );
        expect(error.details).toMatchObject({ runId: running.id, status: 'IN_PROGRESS' });
      }
    });

    it('refuses a disabled provider', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()), { enabled: false });
      expectError(await call('POST', `/providers/${providerId}/sync`), 409, 'provider_disabled');
    });

    it("an unknown or another tenant's provider is 404; a malformed id or flag is 400", async () => {
      const theirs = await csvProvider(t, OTHER, writePackage(smallDistrict()));
      expectError(await call('POST', `/providers/${MISSING_PROVIDER}/sync`), 404, 'not_found');
      expectError(await call('POST', `/providers/${theirs}/sync`), 404, 'not_found');
      expectError(await call('POST', '/providers/not-a-uuid/sync'), 400, 'validation_failed');
      expectError(
        await call('POST', `/providers/${theirs}/sync?dryRun=perhaps`, platform),
        400,
        'validation_failed',
      );
      const runs = await rows(t, `SELECT 1 FROM sis_sync_runs WHERE provider_id = '${theirs}'`);
      expect(runs).toEqual([]);
    });
  });

  describe('POST /providers/:id/sync/cancel', () => {
    it('cancels a pending run at once, and audits it', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      const pending = await parkedRun(providerId, OWN, 'PENDING');
      const res = await call('POST', `/providers/${providerId}/sync/cancel`);
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toEqual({ runId: pending.id, status: 'CANCELLED', dryRun: false });
      const { run } = await getRun(pending.id);
      expect(run).toMatchObject({ status: 'CANCELLED', errorCode: 'cancelled' });
      expect(await auditOf(pending.id)).toEqual([
        expect.objectContaining({
          tenant_id: OWN,
          actor: 'dana@lincoln',
          action: 'sync.cancel',
          target_type: 'run',
          request_id: res.headers['x-request-id'],
        }),
      ]);
      // The provider is free again.
      expect((await syncViaApi(providerId)).status).toBe('SUCCESS');
    });

    it('asks a running run to stop at its next batch', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      const running = await parkedRun(providerId, OWN, 'IN_PROGRESS');
      const res = await call('POST', `/providers/${providerId}/sync/cancel`);
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toMatchObject({ runId: running.id, status: 'IN_PROGRESS' });
      expect((await getRun(running.id)).run.cancelRequested).toBe(true);
      expect((await auditOf(running.id)).map((a) => a.action)).toEqual(['sync.cancel']);
    });

    it('is 409 with nothing running or a held run, 404 for another tenant', async () => {
      const idle = await csvProvider(t, OWN, writePackage(smallDistrict()));
      expectError(await call('POST', `/providers/${idle}/sync/cancel`), 409, 'invalid_run_state');
      const { providerId, run } = await heldRun(OWN);
      const error = expectError(
        await call('POST', `/providers/${providerId}/sync/cancel`),
        409,
        'invalid_run_state',
      );
      expect(error.message).toContain(run.id);
      expect((await getRun(run.id)).run.status).toBe('HELD');
      expectError(await call('POST', `/providers/${providerId}/sync/cancel`, otherAdmin), 404, 'not_found');
    });
  });

  describe('GET /providers/:id/sync/status', () => {
    it('reports nothing before the first run, the running run while it runs, the last sync after', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      const before = await call('GET', `/providers/${providerId}/sync/status`);
      expect(before.statusCode, before.body).toBe(200);
      expect(before.json()).toEqual({
        isRunning: false,
        lastSync: null,
        lastStatus: null,
        currentRun: null,
        latestRun: null,
      });

      const running = await parkedRun(providerId, OWN, 'IN_PROGRESS');
      const during = (await call('GET', `/providers/${providerId}/sync/status`)).json<{
        isRunning: boolean;
        currentRun: { id: string; progress: Record<string, unknown> } | null;
      }>();
      expect(during.isRunning).toBe(true);
      expect(during.currentRun?.id).toBe(running.id);
      expect(during.currentRun?.progress).toEqual({
        phase: 'extracting',
        entity: 'users',
        staged: { users: 40 },
      });
      await call('POST', `/providers/${providerId}/sync/cancel`);
      await transitionRun(t.handle.db, running.id, 'IN_PROGRESS', 'CANCELLED', { finishedAt: new Date() });

      const done = await syncViaApi(providerId);
      const after = (await call('GET', `/providers/${providerId}/sync/status`)).json<{
        isRunning: boolean;
        lastSync: string | null;
        lastStatus: string | null;
        currentRun: unknown;
        latestRun: { id: string } | null;
      }>();
      expect(after).toMatchObject({ isRunning: false, lastStatus: 'SUCCESS', currentRun: null });
      expect(after.lastSync).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(after.latestRun?.id).toBe(done.id);
    });

    it('a held run is current but not running', async () => {
      const { providerId, run } = await heldRun(OWN);
      const status = (await call('GET', `/providers/${providerId}/sync/status`)).json<{
        isRunning: boolean;
        currentRun: { id: string; status: string } | null;
      }>();
      expect(status.isRunning).toBe(false);
      expect(status.currentRun).toMatchObject({ id: run.id, status: 'HELD' });
    });

    it("another tenant's provider is 404; no token is 401", async () => {
      const theirs = await csvProvider(t, OTHER, writePackage(smallDistrict()));
      expectError(await call('GET', `/providers/${theirs}/sync/status`), 404, 'not_found');
      expectError(await call('GET', `/providers/${theirs}/sync/status`, null), 401, 'unauthorized');
      expect((await call('GET', `/providers/${theirs}/sync/status`, otherAdmin)).statusCode).toBe(200);
    });
  });

  describe('GET /providers/:id/runs', () => {
    it('pages the history newest first, with the total', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await syncViaApi(providerId)).id);
      const first = await call('GET', `/providers/${providerId}/runs?limit=2`);
      expect(first.statusCode, first.body).toBe(200);
      const page1 = first.json<{ runs: { id: string }[]; total: number; limit: number; offset: number }>();
      expect(page1).toMatchObject({ total: 3, limit: 2, offset: 0 });
      expect(page1.runs.map((r) => r.id)).toEqual([ids[2], ids[1]]);
      const page2 = (await call('GET', `/providers/${providerId}/runs?limit=2&offset=2`)).json<{
        runs: { id: string }[];
        total: number;
      }>();
      expect(page2.total).toBe(3);
      expect(page2.runs.map((r) => r.id)).toEqual([ids[0]]);
      const beyond = (await call('GET', `/providers/${providerId}/runs?offset=10`)).json<{
        runs: unknown[];
      }>();
      expect(beyond.runs).toEqual([]);
    });

    it("refuses a bad page and another tenant's provider", async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      expectError(await call('GET', `/providers/${providerId}/runs?limit=0`), 400, 'validation_failed');
      expectError(await call('GET', `/providers/${providerId}/runs?limit=501`), 400, 'validation_failed');
      expectError(await call('GET', `/providers/${providerId}/runs?offset=-1`), 400, 'validation_failed');
      expectError(await call('GET', `/providers/${providerId}/runs`, otherAdmin), 404, 'not_found');
    });
  });

  describe('GET /runs/:runId', () => {
    it('pages the errors, each with its file, line and field', async () => {
      const d = smallDistrict();
      d.users[1] = { ...d.users[1]!, role: 'principal' };
      d.users[2] = { ...d.users[2]!, role: 'headmaster' };
      d.users[3] = { ...d.users[3]!, role: 'janitor' };
      const providerId = await csvProvider(t, OWN, writePackage(d));
      const run = await syncViaApi(providerId);
      expect(run.status).toBe('PARTIAL');
      expect(run.stats.users).toMatchObject({ errors: 3 });

      const all = await getRun(run.id, '?errorsLimit=1000');
      const total = all.errors.total;
      expect(total).toBe(all.errors.items.length);
      const roleErrors = all.errors.items.filter((e) => e.field === 'role');
      expect(roleErrors.map((e) => [e.externalId, e.file, e.line])).toEqual([
        ['u-s1', 'users.csv', 3],
        ['u-s2', 'users.csv', 4],
        ['u-s3', 'users.csv', 5],
      ]);
      expect(roleErrors[0]).toMatchObject({ code: 'invalid_value' });
      expect(roleErrors[0]?.message).toContain('users.csv line 3: role: "principal"');

      const page1 = await getRun(run.id, '?errorsLimit=2');
      const page2 = await getRun(run.id, `?errorsLimit=2&errorsOffset=2`);
      expect(page1.errors).toMatchObject({ total, limit: 2, offset: 0 });
      expect(page2.errors).toMatchObject({ total, limit: 2, offset: 2 });
      expect([...page1.errors.items, ...page2.errors.items]).toEqual(all.errors.items.slice(0, 4));
    });

    it("is 404 for an unknown run and another tenant's run; 400 for a malformed id or page", async () => {
      const providerId = await csvProvider(t, OTHER, writePackage(smallDistrict()));
      const theirs = await parkedRun(providerId, OTHER, 'PENDING');
      expectError(await call('GET', `/runs/${theirs.id}`), 404, 'not_found');
      expectError(await call('GET', `/runs/${MISSING_PROVIDER}`), 404, 'not_found');
      expectError(await call('GET', '/runs/42'), 400, 'validation_failed');
      expectError(
        await call('GET', `/runs/${theirs.id}?errorsLimit=0`, otherAdmin),
        400,
        'validation_failed',
      );
      expect((await call('GET', `/runs/${theirs.id}`, otherAdmin)).statusCode).toBe(200);
    });
  });

  describe('GET /runs/:runId/changes', () => {
    it("filters and pages what a run changed; another tenant's run is 404", async () => {
      // A tenant of its own: in lincoln these people already exist, and would be matched, not created.
      const providerId = await csvProvider(t, 'changes-api', writePackage(smallDistrict()));
      const run = await syncViaApi(providerId, platform);
      const all = await call('GET', `/runs/${run.id}/changes?entity=users&kind=created`, platform);
      const everyUser = all.json<{ changes: { externalId: string }[]; total: number }>();
      expect(everyUser.total).toBe(5);
      expect(everyUser.changes.map((c) => c.externalId).sort()).toEqual([
        'u-g1',
        'u-s1',
        'u-s2',
        'u-s3',
        'u-t1',
      ]);
      const res = await call(
        'GET',
        `/runs/${run.id}/changes?entity=users&kind=created&limit=2&offset=1`,
        platform,
      );
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{
        changes: { entity: string; kind: string; externalId: string }[];
        total: number;
        limit: number;
        offset: number;
      }>();
      expect(body).toMatchObject({ total: 5, limit: 2, offset: 1 });
      expect(body.changes.map((c) => c.externalId)).toEqual(
        everyUser.changes.slice(1, 3).map((c) => c.externalId),
      );
      expect(body.changes.every((c) => c.entity === 'users' && c.kind === 'created')).toBe(true);
      expectError(
        await call('GET', `/runs/${run.id}/changes?kind=exploded`, platform),
        400,
        'validation_failed',
      );
      expectError(await call('GET', `/runs/${run.id}/changes`, admin), 404, 'not_found');
    });
  });

  describe('POST /runs/:runId/approve and /discard', () => {
    it('approve applies a held run as reviewed, and is audited', async () => {
      const { providerId, run } = await heldRun('approve-api');
      expect(run.heldReason).toMatchObject({
        entities: [expect.objectContaining({ entity: 'users', activeBefore: 10, removing: 3 })],
      });
      // The internal load plan is not part of the API.
      expect(run.heldReason).not.toHaveProperty('plan');
      const changes = await call('GET', `/runs/${run.id}/changes?kind=deactivated&entity=users`, platform);
      expect(
        changes
          .json<{ changes: { externalId: string }[] }>()
          .changes.map((c) => c.externalId)
          .sort(),
      ).toEqual(['u-x2', 'u-x3', 'u-x4']);
      // While held, the provider takes no other run.
      const refused = expectError(
        await call('POST', `/providers/${providerId}/sync`, platform),
        409,
        'sync_already_running',
      );
      expect(refused.message).toContain('held for review');
      expect(await activeUsers('approve-api')).toBe(10);

      const res = await call('POST', `/runs/${run.id}/approve`, platform);
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json()).toEqual({ runId: run.id, status: 'IN_PROGRESS', dryRun: false, excluded: 0 });
      await t.idle();
      const applied = (await getRun(run.id, '', platform)).run;
      expect(applied).toMatchObject({ status: 'SUCCESS', reviewedBy: 'platform_admin@platform' });
      expect(await activeUsers('approve-api')).toBe(7);
      expect(await auditOf(run.id)).toEqual([
        expect.objectContaining({ action: 'sync.trigger' }),
        {
          tenant_id: 'approve-api',
          actor: 'platform_admin@platform',
          action: 'run.approve',
          target_type: 'run',
          target_id: run.id,
          request_id: res.headers['x-request-id'],
          details: { providerId, excluded: 0 },
        },
      ]);
      // Only a held run can be approved or discarded.
      expectError(await call('POST', `/runs/${run.id}/approve`, platform), 409, 'invalid_run_state');
      expectError(await call('POST', `/runs/${run.id}/discard`, platform), 409, 'invalid_run_state');
    });

    it('discard drops a held run, keeps the roster, frees the provider, and is audited', async () => {
      const { providerId, run } = await heldRun(OWN);
      const usersBefore = await rows(
        t,
        `SELECT id, active FROM users WHERE tenant_id = '${OWN}' ORDER BY id`,
      );
      const res = await call('POST', `/runs/${run.id}/discard`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ runId: run.id, status: 'DISCARDED', dryRun: false });
      expect(await rows(t, `SELECT id, active FROM users WHERE tenant_id = '${OWN}' ORDER BY id`)).toEqual(
        usersBefore,
      );
      const discarded = (await getRun(run.id)).run;
      expect(discarded).toMatchObject({ status: 'DISCARDED', reviewedBy: 'dana@lincoln' });
      expect((await auditOf(run.id)).map((a) => [a.action, a.actor])).toEqual([
        ['sync.trigger', 'dana@lincoln'],
        ['run.discard', 'dana@lincoln'],
      ]);
      expectError(await call('POST', `/runs/${run.id}/approve`), 409, 'invalid_run_state');
      expect((await call('GET', `/providers/${providerId}/sync/status`)).json()).toMatchObject({
        isRunning: false,
        currentRun: null,
      });
    });

    it('a provider whose run is held cannot be deleted until the run is discarded', async () => {
      const { providerId, run } = await heldRun(OWN);
      const refused = expectError(await call('DELETE', `/providers/${providerId}`), 409, 'conflict');
      expect(refused.message).toContain(run.id);
      expect((await getRun(run.id)).run.status).toBe('HELD');
      const discarded = await call('POST', `/runs/${run.id}/discard`);
      expect(discarded.statusCode, discarded.body).toBe(200);
      expect((await call('DELETE', `/providers/${providerId}`)).statusCode).toBe(204);
    });

    it("another tenant's held run is 404 to approve and to discard, and stays held", async () => {
      const { run } = await heldRun(OTHER);
      expectError(await call('POST', `/runs/${run.id}/approve`), 404, 'not_found');
      expectError(await call('POST', `/runs/${run.id}/discard`), 404, 'not_found');
      expectError(await call('POST', `/runs/${MISSING_PROVIDER}/discard`), 404, 'not_found');
      expect((await getRun(run.id, '', otherAdmin)).run.status).toBe('HELD');
      expect((await auditOf(run.id)).map((a) => a.action)).toEqual(['sync.trigger']);
    });
  });

  describe('POST /providers/:id/test', () => {
    it('reaches a local package folder, and audits the test', async () => {
      const providerId = await csvProvider(t, OWN, writePackage(smallDistrict()));
      const res = await call('POST', `/providers/${providerId}/test`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{
        ok: boolean;
        summary: string;
        error: unknown;
        details: Record<string, unknown>;
      }>();
      expect(body.ok).toBe(true);
      expect(body.error).toBeNull();
      expect(body.summary.length).toBeGreaterThan(0);
      expect(await auditOf(providerId)).toContainEqual(
        expect.objectContaining({
          tenant_id: OWN,
          actor: 'dana@lincoln',
          action: 'provider.test',
          target_type: 'provider',
          request_id: res.headers['x-request-id'],
          details: { ok: true, error: null },
        }),
      );
    });

    it('reports a missing folder as a failed test, not a server error', async () => {
      const gone = path.join(writePackage(smallDistrict()), 'no-such-folder');
      const providerId = await csvProvider(t, OWN, gone);
      const res = await call('POST', `/providers/${providerId}/test`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{
        ok: boolean;
        summary: string;
        error: { code: string; message: string } | null;
      }>();
      expect(body.ok).toBe(false);
      expect(body.error?.code).toEqual(expect.any(String));
      expect(body.error?.code).not.toBe('internal_error');
      expect(body.summary).toBe(body.error?.message);
      const audits = (await auditOf(providerId)).filter((a) => a.action === 'provider.test');
      expect(audits).toEqual([expect.objectContaining({ details: { ok: false, error: body.error?.code } })]);
    });

    it("another tenant's provider is 404, and leaves no audit row", async () => {
      const theirs = await csvProvider(t, OTHER, writePackage(smallDistrict()));
      expectError(await call('POST', `/providers/${theirs}/test`), 404, 'not_found');
      expect((await auditOf(theirs)).filter((a) => a.action === 'provider.test')).toEqual([]);
    });
  });

  it('the OpenAPI document lists every run route with its responses', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>();
    const expected: [string, string, string][] = [
      ['post', '/api/v1/providers/{providerId}/sync', '202'],
      ['post', '/api/v1/providers/{providerId}/sync/cancel', '202'],
      ['get', '/api/v1/providers/{providerId}/sync/status', '200'],
      ['get', '/api/v1/providers/{providerId}/runs', '200'],
      ['post', '/api/v1/providers/{providerId}/test', '200'],
      ['get', '/api/v1/runs/{runId}', '200'],
      ['get', '/api/v1/runs/{runId}/changes', '200'],
      ['post', '/api/v1/runs/{runId}/approve', '202'],
      ['post', '/api/v1/runs/{runId}/discard', '200'],
    ];
    for (const [method, route, success] of expected) {
      const operation = doc.paths[route]?.[method];
      expect(operation, `${method} ${route}`).toBeDefined();
      expect(Object.keys(operation?.responses ?? {})).toEqual(
        expect.arrayContaining([success, '401', '403', '404']),
      );
    }
  });
});
