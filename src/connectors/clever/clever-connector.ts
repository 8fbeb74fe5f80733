import { ENTITY_TYPES, type EntityType } from '../../domain/entity.js';
import type { RecordError } from '../../domain/records.js';
import {
  ConnectorError,
  type ConnectionReport,
  type Connector,
  type ConnectorContext,
  type ConnectorDeps,
  type ExtractMode,
  type ExtractSession,
} from '../connector.js';
import { CleverClient, type CleverHttpOptions } from './clever-client.js';
import { contactIndex, EventDelta, readEvents } from './clever-events-delta.js';
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
  const client = (ctx: ConnectorContext) => new CleverClient(config, ctx.logger, deps.http);

  return {
    type: 'CLEVER',

    async testConnection(ctx) {
      const api = client(ctx);
      const districts = await firstPage(api, '/districts', { limit: '1' }, ctx.signal);
      const district = districts.items[0];
      const checked = checkDistrict(district);
      if (!checked.ok) {
        throw new ConnectorError(
          'invalid_payload',
          'Clever: GET /districts answered without a district this token can read',
        );
      }
      // `count=true` asks Clever for a total; when it gives none, one page of ids is counted.
      const users = await firstPage(
        api,
        '/users',
        { limit: String(api.pageLimit), count: 'true' },
        ctx.signal,
      );
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
      if (ctx.checkpoint !== undefined && ctx.checkpoint !== null) {
        try {
          const feed = await readEvents(api, ctx.checkpoint, ctx.signal);
          return deltaSession(api, ctx, feed.events, feed.newest, feed.errors);
        } catch (error) {
          if (!(error instanceof ConnectorError) || error.code === 'cancelled') throw error;
          warnings.push(
            warning(
              'events_unavailable',
              `Clever events after ${ctx.checkpoint} could not be read (${error.message}); this run is a full pull`,
            ),
          );
        }
      }
      // The newest event id is taken before the full pull, so nothing changed during the pull is missed next time.
      let checkpoint: string | null = null;
      try {
        checkpoint = (await readEvents(api, null, ctx.signal)).newest;
      } catch (error) {
        if (!(error instanceof ConnectorError) || error.code === 'cancelled') throw error;
        warnings.push(
          warning(
            'events_unavailable',
            `the Clever Events API could not be read (${error.message}); the next run is a full pull too`,
          ),
        );
      }
      return fullSession(api, ctx, checkpoint, warnings);
    },
  };
}

async function firstPage(
  api: CleverClient,
  path: string,
  params: Record<string, string>,
  signal: AbortSignal,
): Promise<{ items: unknown[]; count: number | null; more: boolean }> {
  for await (const page of api.pages(path, params, signal)) {
    return { items: page.items, count: page.count, more: page.more };
  }
  return { items: [], count: null, more: false };
}

function fullSession(
  api: CleverClient,
  ctx: ConnectorContext,
  checkpoint: string | null,
  warnings: RecordError[],
): ExtractSession {
  return {
    modes: modesOf('snapshot'),
    sourceInfo: {
      format: 'Clever Data API v3.0',
      baseUrl: api.baseUrl.href,
      pull: 'full',
      pageLimit: api.pageLimit,
    },
    warnings,
    checkpoint,
    extract: (entity, onIncomplete) => pullEntity(api, entity, ctx.signal, onIncomplete),
    close: () => Promise.resolve(),
  };
}

function deltaSession(
  api: CleverClient,
  ctx: ConnectorContext,
  events: ConstructorParameters<typeof EventDelta>[0],
  newest: string | null,
  eventErrors: RecordError[],
): ExtractSession {
  const delta = new EventDelta(events);
  return {
    modes: modesOf('delta'),
    sourceInfo: {
      format: 'Clever Data API v3.0',
      baseUrl: api.baseUrl.href,
      pull: 'events',
      after: ctx.checkpoint ?? null,
      events: events.length,
    },
    warnings: eventErrors,
    checkpoint: newest,
    async *extract<E extends EntityType>(entity: E, onIncomplete: Parameters<ExtractSession['extract']>[1]) {
      let contacts: Map<string, string[]> | null = new Map();
      if (entity === 'users' && delta.needsContacts) {
        contacts = await contactIndex(api, ctx.signal, onIncomplete);
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

function modesOf(mode: ExtractMode): Record<EntityType, ExtractMode> {
  return Object.fromEntries(ENTITY_TYPES.map((e) => [e, mode])) as Record<EntityType, ExtractMode>;
}

function warning(code: string, message: string): RecordError {
  return { externalId: null, field: null, code, message, source: {}, severity: 'warning' };
}
