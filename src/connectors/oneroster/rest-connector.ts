import { ENTITY_TYPES, type EntityType } from '../../domain/entity.js';
import type { ProviderType } from '../../domain/provider-type.js';
import type {
  ConnectionReport,
  Connector,
  ConnectorContext,
  ExtractBatch,
  ExtractMode,
  ExtractSession,
} from '../connector.js';
import type { AuthStrategy } from '../http/auth.js';
import { createHttpClient, type HttpClientDeps, type HttpSettings } from '../http/http-client.js';
import { oneRosterEntities } from './entities.js';
import { createOneRosterRestClient, type OneRosterRestClient } from './rest-client.js';
import { mapRestObject, restRecordError } from './rest-object.js';
import { describeImsxFailure } from './rest-status.js';
import type { OneRosterVersion } from './row-reader.js';

/*
 * A connector over a OneRoster REST server (1.1, or 1.2 rostering), shared by ONEROSTER_API and
 * CLASSLINK: they differ only in how the base URL and the credentials are configured. Objects are
 * mapped by the same OneRoster mapping as CSV rows. 1.2 differs for users only (`roles[]`, the new
 * name fields); paging, filters and envelopes are the same (1.2 OpenAPI).
 */

export interface DeltaPolicy {
  /** Ask for `dateLastModified>` changes when the engine tells when the last pull started. */
  enabled: boolean;
  /** A full pull at least this often: deltas never reveal records a provider silently dropped. */
  fullPullEveryHours: number;
  /** Subtracted from the last pull's start: clock skew and second-granular timestamps. */
  overlapSeconds: number;
}

export interface OneRosterRestOptions {
  type: ProviderType;
  /** "OneRoster API", "ClassLink": for messages. */
  label: string;
  /** Default 1.1. */
  version?: OneRosterVersion;
  baseUrl: string;
  /** Built per session, so an OAuth 2 token lives as long as one pull. */
  auth: (deps: HttpClientDeps) => AuthStrategy;
  settings: HttpSettings;
  pageSize: number;
  delta: DeltaPolicy;
  /** Extra facts for run records (mode, tenant). Never a credential. */
  sourceInfo?: Record<string, unknown>;
  /** The HTTP clients' other deps: the observer that counts requests; tests also shorten the waits. */
  httpDeps?: Omit<HttpClientDeps, 'logger'>;
}

const BATCH_SIZE = 1000;

export function createOneRosterRestConnector(options: OneRosterRestOptions): Connector {
  const version = options.version ?? '1.1';
  const clientFor = (ctx: ConnectorContext): OneRosterRestClient => {
    const deps: HttpClientDeps = { ...options.httpDeps, logger: ctx.logger };
    const http = createHttpClient(
      {
        provider: options.label,
        auth: options.auth(deps),
        settings: options.settings,
        describeFailure: describeImsxFailure,
      },
      deps,
    );
    return createOneRosterRestClient({ baseUrl: options.baseUrl, http, pageSize: options.pageSize });
  };

  return {
    type: options.type,

    async testConnection(ctx): Promise<ConnectionReport> {
      const client = clientFor(ctx);
      const orgs = await client.first('schools', 100, ctx.signal);
      const users = await client.first('users', 1, ctx.signal);
      const names = orgs.objects
        .map((o) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>) : {}))
        .sort((a, b) => (a.type === 'district' ? -1 : b.type === 'district' ? 1 : 0))
        .map((o) => (typeof o.name === 'string' ? o.name : null))
        .filter((n): n is string => n !== null);
      const userCount =
        users.total === null ? 'an unknown number of users' : `${users.total.toLocaleString('en-US')} users`;
      return {
        summary: `${options.label} OneRoster ${version} at ${options.baseUrl}: ${names[0] ?? 'no orgs'}${
          orgs.total === null ? '' : ` (${orgs.total} orgs)`
        }, ${userCount}`,
        details: {
          baseUrl: options.baseUrl,
          orgNames: names.slice(0, 20),
          orgCount: orgs.total,
          userCount: users.total,
        },
      };
    },

    open(ctx): Promise<ExtractSession> {
      const client = clientFor(ctx);
      const startedAt = new Date();
      const previous = parseCheckpoint(ctx.checkpoint);
      const since = deltaSince(options.delta, previous, startedAt);
      const mode: ExtractMode = since === null ? 'snapshot' : 'delta';
      const modes = Object.fromEntries(ENTITY_TYPES.map((e) => [e, mode])) as Record<EntityType, ExtractMode>;
      const filter = since === null ? undefined : `dateLastModified>'${since.toISOString()}'`;
      let incomplete = false;
      const session: ExtractSession = {
        modes,
        sourceInfo: {
          format: `OneRoster ${version} REST`,
          baseUrl: options.baseUrl,
          pull: since === null ? 'full' : `changes since ${since.toISOString()}`,
          ...options.sourceInfo,
        },
        warnings: [],
        // Where the next pull may start from. After an incomplete pull there is no safe point to
        // resume from, so the next pull is a full one.
        get checkpoint() {
          if (incomplete) return null;
          const lastFullPullAt = since === null ? startedAt : (previous?.lastFullPullAt ?? startedAt);
          return formatCheckpoint({ startedAt, lastFullPullAt });
        },
        extract: (entity, onIncomplete) =>
          extractCollection(client, entity, version, mode === 'delta', filter, ctx.signal, (problem) => {
            incomplete = true;
            onIncomplete(problem);
          }),
        close: () => Promise.resolve(),
      };
      return Promise.resolve(session);
    },
  };
}

export interface RestCheckpoint {
  /** When the last loaded pull started: changes after it are what a delta asks for. */
  startedAt: Date;
  lastFullPullAt: Date;
}

export function formatCheckpoint(checkpoint: RestCheckpoint): string {
  return JSON.stringify({
    oneRosterRest: 1,
    startedAt: checkpoint.startedAt.toISOString(),
    lastFullPullAt: checkpoint.lastFullPullAt.toISOString(),
  });
}

/** A checkpoint this connector wrote; anything else (another connector's, garbage) is none. */
export function parseCheckpoint(text: string | null | undefined): RestCheckpoint | null {
  if (text === null || text === undefined) return null;
  try {
    const value = JSON.parse(text) as {
      oneRosterRest?: unknown;
      startedAt?: unknown;
      lastFullPullAt?: unknown;
    };
    if (
      value.oneRosterRest !== 1 ||
      typeof value.startedAt !== 'string' ||
      typeof value.lastFullPullAt !== 'string'
    ) {
      return null;
    }
    const startedAt = new Date(value.startedAt);
    const lastFullPullAt = new Date(value.lastFullPullAt);
    return Number.isNaN(startedAt.getTime()) || Number.isNaN(lastFullPullAt.getTime())
      ? null
      : { startedAt, lastFullPullAt };
  } catch {
    return null;
  }
}

/** When a delta pull may be asked for, the time it starts from; null for a full pull. */
export function deltaSince(policy: DeltaPolicy, previous: RestCheckpoint | null, now: Date): Date | null {
  if (!policy.enabled || previous === null) return null;
  if (now.getTime() - previous.lastFullPullAt.getTime() >= policy.fullPullEveryHours * 3600_000) return null;
  return new Date(previous.startedAt.getTime() - policy.overlapSeconds * 1000);
}

async function* extractCollection<E extends EntityType>(
  client: OneRosterRestClient,
  entity: E,
  version: OneRosterVersion,
  delta: boolean,
  filter: string | undefined,
  signal: AbortSignal,
  onIncomplete: Parameters<ExtractSession['extract']>[1],
): AsyncGenerator<ExtractBatch<E>> {
  const spec = oneRosterEntities(version)[entity];
  let legacyReported = false;
  const pages = client.pages(entity, { ...(filter === undefined ? {} : { filter }), signal }, (problem) =>
    onIncomplete({
      entity,
      code: problem.code,
      message: problem.message,
      source: { file: problem.path, page: `offset=${problem.offset}` },
    }),
  );
  let batch: ExtractBatch<E> = { records: [], errors: [] };
  for await (const page of pages) {
    page.objects.forEach((object, index) => {
      const mapped = mapRestObject(spec, version, delta, object, {
        path: page.path,
        offset: page.offset,
        index,
      });
      if (mapped.legacyRole && !legacyReported) {
        // Once per pull: a server that has not moved to `roles[]` sends no user with it.
        legacyReported = true;
        batch.errors.push({
          ...restRecordError(
            mapped.externalId,
            {
              field: 'roles',
              code: 'legacy_role',
              message:
                'sends a OneRoster 1.1 role and orgs instead of roles[]; users like it are read as holding that role at each of their orgs',
            },
            page.path,
            page.offset + index,
            mapped.source,
          ),
          severity: 'warning',
        });
      }
      batch.errors.push(...mapped.errors);
      if (mapped.record !== null) batch.records.push(mapped.record);
    });
    if (batch.records.length + batch.errors.length >= BATCH_SIZE) {
      yield batch;
      batch = { records: [], errors: [] };
    }
  }
  if (batch.records.length + batch.errors.length > 0) yield batch;
}
