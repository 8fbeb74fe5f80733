import { ENTITY_TYPES, type EntityType } from '../../domain/entity.js';
import type { RecordError } from '../../domain/records.js';
import {
  ConnectorError,
  httpDepsOf,
  type ConnectionReport,
  type Connector,
  type ConnectorContext,
  type ConnectorDeps,
  type ExtractMode,
  type ExtractSession,
} from '../connector.js';
import { CleverClient, type CleverHttpOptions } from './clever-client.js';
import { contactIndex, EventDelta, readEvents, type EventFeed } from './clever-events-delta.js';
import { pullEntity } from './clever-full-pull.js';
import { checker, cleverDistrictSchema } from './clever-schemas.js';
import type { CleverConfig } from './config.js';

/*
 * The Clever Data API v3.0 connector. A full pull reads every entity from the Data API; when
 * the engine hands back the checkpoint of the last loaded run (the newest Clever event id it
 * had seen), the pull is a delta from the Events API instead, and falls back to a full pull when
 * the events cannot be read (not enabled for the app, or older than Clever keeps).
 */

export interface CleverConnectorDeps extends ConnectorDeps {
  /** HTTP settings and waits; tests shorten them. */
  http?: CleverHttpOptions;
}

const checkDistrict = checker(cleverDistrictSchema);

export function createCleverConnector(config: CleverConfig, deps: CleverConnectorDeps): Connector {
  const http: CleverHttpOptions = {
    ...deps.http,
    ...httpDepsOf(deps),
  };
  const client = (ctx: ConnectorContext) => new CleverClient(config, ctx.logger, http);

  return {
    type: 'CLEVER',

    async testConnection(ctx) {
      const api = client(ctx);
      const districts = await api.firstPage('/districts', { limit: '1' }, ctx.signal);
      const district = districts.items[0];
      const checked = checkDistrict(district);
      if (!checked.ok) {
        throw new ConnectorError(
          'invalid_payload',
          'Clever: GET /districts answered without a district this token can read',
        );
      }
      // `count=true` asks Clever for the total; only when it gives none is one full page counted.
      let users = await api.firstPage('/users', { limit: '1', count: 'true' }, ctx.signal);
      if (users.count === null) users = await api.firstPage('/users', {}, ctx.signal);
      const counted = users.count ?? users.items.length;
      const atLeast = users.count === null && users.more;
      return {
        summary: `Clever district "${checked.value.name}": ${atLeast ? 'more than ' : ''}${counted.toLocaleString('en-US')} users`,
        details: {
          districtId: checked.value.id,
          districtName: checked.value.name,
          userCount: counted,
          userCountIsLowerBound: atLeast,
          baseUrl: api.baseUrl.href,
        },
      } satisfies ConnectionReport;
    },

    async open(ctx) {
      const api = client(ctx);
      const warnings: RecordError[] = [];
      const previous = parseCheckpoint(ctx.checkpoint);
      const startedAt = new Date();
      if (previous !== null && startedAt.getTime() - previous.lastFullPullAt.getTime() < FULL_PULL_EVERY_MS) {
        try {
          const feed = await readEvents(api, previous.eventId, ctx.signal);
          return deltaSession(api, ctx, feed, previous);
        } catch (error) {
          if (!(error instanceof ConnectorError) || isFinal(error)) throw error;
          warnings.push(
            warning(
              'events_unavailable',
              `Clever events after ${previous.eventId ?? 'the last full pull'} could not be read (${error.message}); this run is a full pull`,
            ),
          );
        }
      }
      // The newest event id is taken before the full pull, so nothing changed during the pull is missed next time.
      let eventId: string | null = null;
      let eventsReadable = true;
      try {
        eventId = (await readEvents(api, null, ctx.signal)).newest;
      } catch (error) {
        if (!(error instanceof ConnectorError) || isFinal(error)) throw error;
        eventsReadable = false;
        warnings.push(
          warning(
            'events_unavailable',
            `the Clever Events API could not be read (${error.message}); the next run is a full pull too`,
          ),
        );
      }
      return fullSession(api, ctx, eventsReadable ? { eventId, lastFullPullAt: startedAt } : null, warnings);
    },
  };
}

function fullSession(
  api: CleverClient,
  ctx: ConnectorContext,
  next: CleverCheckpoint | null,
  warnings: RecordError[],
): ExtractSession {
  let incomplete = false;
  return {
    modes: modesOf('snapshot'),
    sourceInfo: {
      format: 'Clever Data API v3.0',
      baseUrl: api.baseUrl.href,
      pull: 'full',
      pageLimit: api.pageLimit,
    },
    warnings,
    // After an incomplete pull nothing is a safe place to resume from: the next pull is full.
    get checkpoint() {
      return incomplete || next === null ? null : formatCheckpoint(next);
    },
    extract: (entity, onIncomplete) =>
      pullEntity(api, entity, ctx.signal, (problem) => {
        incomplete = true;
        onIncomplete(problem);
      }),
    close: () => Promise.resolve(),
  };
}

function deltaSession(
  api: CleverClient,
  ctx: ConnectorContext,
  feed: EventFeed,
  previous: CleverCheckpoint,
): ExtractSession {
  const delta = new EventDelta(feed.events);
  let incomplete = false;
  return {
    modes: modesOf('delta'),
    sourceInfo: {
      format: 'Clever Data API v3.0',
      baseUrl: api.baseUrl.href,
      pull: 'events',
      after: previous.eventId,
      events: feed.events.length,
    },
    warnings: feed.errors,
    get checkpoint() {
      return incomplete
        ? null
        : formatCheckpoint({ eventId: feed.newest, lastFullPullAt: previous.lastFullPullAt });
    },
    async *extract<E extends EntityType>(entity: E, onIncomplete: Parameters<ExtractSession['extract']>[1]) {
      let contacts: Map<string, string[]> | null = new Map();
      if (entity === 'users' && delta.needsContacts) {
        contacts = await contactIndex(api, ctx.signal, (problem) => {
          incomplete = true;
          onIncomplete(problem);
        });
        // Without every contact, students' guardian links would be rewritten from half a list.
        if (contacts === null) return;
      }
      const index = contacts;
      const batch = delta.batch(entity, (id) => index.get(id) ?? []);
      if (batch.records.length + batch.errors.length > 0) yield batch;
    },
    close: () => Promise.resolve(),
  };
}

/** Where the next pull starts: the newest event seen, and when the last full pull began. */
export interface CleverCheckpoint {
  eventId: string | null;
  lastFullPullAt: Date;
}

/**
 * Errors after which a full pull cannot fare better: the credentials were refused, or the run
 * was cancelled. Anything else about the Events API only costs this run its delta.
 */
function isFinal(error: ConnectorError): boolean {
  return error.code === 'cancelled' || error.code === 'auth_failed';
}

/** Clever requires apps to be able to pull everything at least daily; deltas never go longer. */
export const FULL_PULL_EVERY_MS = 24 * 60 * 60 * 1000;

export function formatCheckpoint(checkpoint: CleverCheckpoint): string {
  return JSON.stringify({
    clever: 'events',
    eventId: checkpoint.eventId,
    lastFullPullAt: checkpoint.lastFullPullAt.toISOString(),
  });
}

/** A checkpoint this connector wrote; anything else (another connector's, garbage) is none. */
export function parseCheckpoint(value: string | null | undefined): CleverCheckpoint | null {
  if (value === undefined || value === null) return null;
  try {
    const parsed = JSON.parse(value) as { clever?: unknown; eventId?: unknown; lastFullPullAt?: unknown };
    if (parsed.clever !== 'events' || typeof parsed.lastFullPullAt !== 'string') return null;
    const at = new Date(parsed.lastFullPullAt);
    if (Number.isNaN(at.getTime())) return null;
    if (parsed.eventId !== null && typeof parsed.eventId !== 'string') return null;
    return { eventId: parsed.eventId, lastFullPullAt: at };
  } catch {
    return null;
  }
}

function modesOf(mode: ExtractMode): Record<EntityType, ExtractMode> {
  return Object.fromEntries(ENTITY_TYPES.map((e) => [e, mode])) as Record<EntityType, ExtractMode>;
}

function warning(code: string, message: string): RecordError {
  return { externalId: null, field: null, code, message, source: {}, severity: 'warning' };
}
