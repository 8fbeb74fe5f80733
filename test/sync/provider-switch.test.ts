import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ENTITY_TYPES, type EntityType } from '../../src/domain/entity.js';
import { datasetFromOneRoster } from '../../src/simulators/clever/from-oneroster.js';
import {
  startCleverSimulator,
  type RunningCleverSimulator,
} from '../../src/simulators/clever/clever-server.js';
import {
  generateDistrictSource,
  type GeneratedDistrictSource,
} from '../../src/simulators/district-source.js';
import {
  startOneRosterServer,
  type RunningOneRosterServer,
} from '../../src/simulators/oneroster/oneroster-server.js';
import { cleverProvider, useCleverHttp } from '../connectors/clever-support.js';
import { FAST_HTTP, apiProvider } from '../connectors/oneroster-api-helpers.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { writePackage } from '../support/oneroster-package.js';
import { csvProvider, rows, runErrorsOf } from '../support/sync.js';

/*
 * Identity continuity across providers (issue 9): a tenant that moves from one hub to another
 * keeps its records and their ids. The new provider's first run is held with the proposed
 * re-links; once approved nothing is duplicated, and deleting the old provider deactivates
 * nothing the new one still has. Everything an admin does goes through the API.
 */

let t: TestApp;
let admin: string;
let district: GeneratedDistrictSource;
let oneroster: RunningOneRosterServer;
let clever: RunningCleverSimulator;

beforeAll(async () => {
  t = await createTestApp({ firstRunReview: true });
  useCleverHttp(t);
  admin = await t.token('PLATFORM_ADMIN');
  district = await generateDistrictSource({ students: 40, seed: 19 });
  oneroster = await startOneRosterServer({
    source: district.source,
    clients: new Map([['switch-client', 'switch-secret']]),
    signatureMethods: ['HMAC-SHA256'],
  });
  clever = await startCleverSimulator({ dataset: datasetFromOneRoster(district.source) });
});
afterAll(async () => {
  await clever.close();
  await oneroster.close();
  await t.close();
  await district.cleanup();
});

const api = async <T>(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) => {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { authorization: `Bearer ${admin}` },
    ...(payload === undefined ? {} : { payload }),
  });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return (res.body === '' ? undefined : res.json()) as T;
};

interface RunBody {
  id: string;
  status: string;
  errorMessage: string | null;
  heldReason: {
    entities: unknown[];
    relinks?: {
      message: string;
      entities: { entity: EntityType; matched: Record<string, number>; created: number }[];
    };
  } | null;
  progress: { wouldHold?: boolean };
  stats: Record<string, { created: number }>;
}

/** Starts a run through the API and waits for the worker; the run as the API shows it. */
async function sync(providerId: string, dryRun = false): Promise<RunBody> {
  const { runId } = await api<{ runId: string }>('POST', `/providers/${providerId}/sync?dryRun=${dryRun}`);
  await t.idle();
  return (await api<{ run: RunBody }>('GET', `/runs/${runId}`)).run;
}

async function approve(runId: string): Promise<RunBody> {
  await api('POST', `/runs/${runId}/approve`);
  await t.idle();
  return (await api<{ run: RunBody }>('GET', `/runs/${runId}`)).run;
}

const counts = async (tenant: string) => {
  const out: Record<string, number> = {};
  for (const entity of ENTITY_TYPES) {
    const [row] = await rows<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM ${entity} WHERE tenant_id = '${tenant}' AND active`,
    );
    out[entity] = row?.n ?? 0;
  }
  return out;
};
const totals = async (tenant: string) => {
  const out: Record<string, number> = {};
  for (const entity of ENTITY_TYPES) {
    const [row] = await rows<{ n: number }>(
      t,
      `SELECT count(*)::int AS n FROM ${entity} WHERE tenant_id = '${tenant}'`,
    );
    out[entity] = row?.n ?? 0;
  }
  return out;
};
/** A provider's links: entity, external id -> canonical id, rule, active. */
const linksOf = (providerId: string) =>
  rows<{ entity_type: string; external_id: string; entity_id: string; matched_by: string; active: boolean }>(
    t,
    `SELECT entity_type, external_id, entity_id, matched_by, active FROM sis_external_links
     WHERE provider_id = '${providerId}' ORDER BY entity_type, external_id`,
  );
const eventsOf = (tenant: string) =>
  rows<{ run_id: string; kind: string; n: number }>(
    t,
    `SELECT run_id, kind, count(*)::int AS n FROM sis_change_events WHERE tenant_id = '${tenant}' GROUP BY 1, 2`,
  );

describe(`moving a tenant between providers on ${driver}`, () => {
  it('OneRoster CSV -> OneRoster REST: held with the proposed re-links, then every record keeps its id', async () => {
    const tenant = 'switch-csv-api';
    const csv = await csvProvider(t, tenant, district.dir);
    expect((await sync(csv)).status).toBe('SUCCESS');
    const before = await counts(tenant);
    const csvLinks = await linksOf(csv);

    const rest = await apiProvider(t, tenant, 'ONEROSTER_API', {
      baseUrl: oneroster.baseUrl,
      authMethod: 'oauth1',
      signatureMethod: 'HMAC-SHA256',
      clientId: 'switch-client',
      clientSecret: 'switch-secret',
      http: FAST_HTTP,
    });
    // A dry run shows what the first run proposes, and applies nothing.
    const dry = await sync(rest, true);
    expect(dry.status, dry.errorMessage ?? '').toBe('SUCCESS');
    expect(dry.progress.wouldHold).toBe(true);
    expect(dry.heldReason?.relinks?.entities.map((e) => e.entity)).toEqual([...ENTITY_TYPES]);
    expect(await linksOf(rest)).toEqual([]);

    const held = await sync(rest);
    expect(held.status).toBe('HELD');
    expect(held.heldReason?.entities).toEqual([]);
    expect(held.heldReason?.relinks?.message).toMatch(
      /first run of this provider in a roster that other providers/,
    );
    for (const e of held.heldReason?.relinks?.entities ?? []) {
      expect(e, e.entity).toEqual({
        entity: e.entity,
        matched: { sourced_id: before[e.entity] },
        created: 0,
      });
    }
    expect(await counts(tenant)).toEqual(before);
    const linked = await api<{
      changes: { kind: string; matchedBy: string; label: string }[];
      total: number;
    }>('GET', `/runs/${held.id}/changes?kind=linked&entity=users&limit=1000`);
    expect(linked.total).toBeGreaterThan(0);
    expect(linked.changes.every((c) => c.kind === 'linked' && c.matchedBy === 'sourced_id')).toBe(true);
    expect(linked.changes[0]?.label).toEqual(expect.any(String));

    const applied = await approve(held.id);
    expect(applied.status).toBe('SUCCESS');
    expect(await counts(tenant)).toEqual(before);
    const restLinks = await linksOf(rest);
    expect(restLinks.map((l) => [l.entity_type, l.external_id, l.entity_id])).toEqual(
      csvLinks.map((l) => [l.entity_type, l.external_id, l.entity_id]),
    );
    expect(new Set(restLinks.map((l) => l.matched_by))).toEqual(new Set(['sourced_id']));
    // Nothing new, nothing gone: the change feed has no event of the switch.
    expect((await eventsOf(tenant)).filter((e) => e.run_id === held.id)).toEqual([]);

    // The old provider goes: nothing the new one has is deactivated, and the old links no longer
    // keep records alive that the new provider may drop later.
    await api('DELETE', `/providers/${csv}`);
    expect(await counts(tenant)).toEqual(before);
    expect((await linksOf(csv)).filter((l) => l.active)).toEqual([]);
    expect((await eventsOf(tenant)).filter((e) => e.kind === 'deactivated')).toEqual([]);
    const again = await sync(rest);
    expect(again.status).toBe('SUCCESS');
    expect(await counts(tenant)).toEqual(before);
  }, 300_000);

  it('Clever -> ClassLink: schools by identifier, users by sis_id, the rest by natural key; nothing duplicated', async () => {
    const tenant = 'switch-clever-classlink';
    const fromClever = await cleverProvider(t, tenant, clever);
    expect((await sync(fromClever)).status).toBe('SUCCESS');
    const cleverLinks = await linksOf(fromClever);

    const classlink = await apiProvider(t, tenant, 'CLASSLINK', {
      mode: 'direct',
      baseUrl: oneroster.baseUrl,
      clientId: 'switch-client',
      clientSecret: 'switch-secret',
      http: FAST_HTTP,
    });
    const held = await sync(classlink);
    expect(held.status, held.errorMessage ?? '').toBe('HELD');
    const proposed = Object.fromEntries(
      (held.heldReason?.relinks?.entities ?? []).map((e) => [e.entity, e.matched]),
    );
    expect(proposed.schools).toEqual({ identifier: expect.any(Number) });
    // Clever's staff carry no sis_id: they are found by email.
    expect(proposed.users).toEqual({ sourced_id: expect.any(Number), email: expect.any(Number) });
    expect(proposed.enrollments).toEqual({ natural_key: expect.any(Number) });

    expect((await approve(held.id)).status).toBe('SUCCESS');
    const classlinkLinks = await linksOf(classlink);
    // Every record Clever brought is one ClassLink stands for too (ClassLink carries more: guardians'
    // enrollments, aides), and every canonical record is one of ClassLink's.
    const byClasslink = new Set(classlinkLinks.map((l) => `${l.entity_type}:${l.entity_id}`));
    expect(cleverLinks.filter((l) => !byClasslink.has(`${l.entity_type}:${l.entity_id}`))).toEqual([]);
    const all = await totals(tenant);
    for (const entity of ENTITY_TYPES) {
      expect(all[entity], entity).toBe(classlinkLinks.filter((l) => l.entity_type === entity).length);
    }
    const active = await counts(tenant);
    await api('DELETE', `/providers/${fromClever}`);
    expect(await counts(tenant)).toEqual(active);
    expect((await eventsOf(tenant)).filter((e) => e.kind === 'deactivated')).toEqual([]);
  }, 300_000);

  it('ambiguity creates, not merges: a rule with two candidates links to neither, with a warning', async () => {
    const tenant = 'switch-ambiguous';
    const school = (sourcedId: string, name: string) => ({
      sourcedId,
      name,
      type: 'school',
      identifier: '0420',
    });
    const old = await csvProvider(
      t,
      tenant,
      writePackage({ orgs: [school('a1', 'North'), school('a2', 'North annex')] }),
      {
        name: 'old',
      },
    );
    expect((await sync(old)).status).toBe('SUCCESS');
    const next = await csvProvider(t, tenant, writePackage({ orgs: [school('b1', 'North')] }), {
      name: 'new',
    });
    const held = await sync(next);
    expect(held.status).toBe('HELD');
    expect(held.heldReason?.relinks?.entities).toEqual([{ entity: 'schools', matched: {}, created: 1 }]);
    const run = (await rows<{ id: string }>(t, `SELECT id FROM sis_sync_runs WHERE id = '${held.id}'`))[0]!;
    expect(await runErrorsOf(t, run as never)).toEqual([
      {
        entity: 'schools',
        code: 'ambiguous_match',
        severity: 'warning',
        message:
          'school b1: identifier 0420 matches 2 existing schools; linked to none of them, a new school is created',
      },
    ]);
    expect((await approve(held.id)).status).toBe('SUCCESS');
    expect(await counts(tenant)).toMatchObject({ schools: 3 });
  });
});
