import { createHash } from 'node:crypto';

import type { Database } from '../db/client.js';
import { ENTITY_SINGULAR, ENTITY_TYPES, type EntityType } from '../domain/entity.js';
import { NotFoundError, TenantAccessDeniedError, ValidationError } from '../domain/errors.js';
import { canAccessTenant, type Principal } from '../domain/roles.js';
import {
  findRosterRecords,
  listChangeEvents,
  listEnrollmentPeriods,
  listRosterLinks,
  listRosterRecords,
  type ChangeEventRow,
  type EnrollmentPeriodRow,
  type RosterFilters,
  type RosterLinkRow,
  type RosterRows,
} from '../repositories/roster-repository.js';

export type { RosterFilters, RosterRows } from '../repositories/roster-repository.js';

export interface RosterContext {
  principal: Principal;
}

export type RosterLink = Omit<RosterLinkRow, 'entityId'>;

/** A roster record as stored, with the provider records behind it. */
export interface RosterRecord<E extends EntityType = EntityType> {
  row: RosterRows[E];
  links: RosterLink[];
}

export interface RosterPage<E extends EntityType> {
  records: RosterRecord<E>[];
  /** Null on the last page. */
  nextCursor: string | null;
}

export interface ChangeEventView {
  seq: number;
  entity: EntityType;
  entityId: string;
  kind: ChangeEventRow['kind'];
  changedFields: string[];
  runId: string;
  providerId: string;
  occurredAt: Date;
  /** The record as it is now; null only if it is gone from the table. */
  record: RosterRecord | null;
}

export interface ChangePageView {
  events: ChangeEventView[];
  /** The last event's seq, or the `after` asked for when there was none. */
  nextCursor: string;
  hasMore: boolean;
}

/*
 * A list cursor names the last id of the page, the entity and a fingerprint of the filters, so
 * that a cursor reused with other filters or on another entity (which would silently skip or
 * repeat records) is refused rather than followed. It is not signed: it grants nothing, as the
 * tenant and the filters always come from the request, so a hand-made one only moves the start.
 */
const CURSOR_VERSION = 'v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function filterFingerprint(filter: object): string {
  const given = Object.entries(filter)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(given)).digest('base64url').slice(0, 16);
}

function encodeCursor(entity: EntityType, fingerprint: string, lastId: string): string {
  return Buffer.from(`${CURSOR_VERSION}:${entity}:${fingerprint}:${lastId}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, entity: EntityType, fingerprint: string): string {
  const refuse = (message: string) => new ValidationError([{ path: 'cursor', message }]);
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [version, named, print, lastId, ...rest] = text.split(':');
  // Node decodes base64url leniently; a cursor that does not re-encode to itself was altered.
  if (
    Buffer.from(text, 'utf8').toString('base64url') !== cursor ||
    version !== CURSOR_VERSION ||
    rest.length > 0 ||
    lastId === undefined ||
    !UUID.test(lastId)
  ) {
    throw refuse("is not a cursor this API gave: pass the previous page's nextCursor unchanged");
  }
  if (named !== entity) {
    const other = ENTITY_TYPES.find((e) => e === named) ?? 'another list';
    throw refuse(`was given for ${other}, not ${entity}`);
  }
  if (print !== fingerprint) {
    throw refuse(
      "was given for other filters: keep the first page's filters while paging, or start without a cursor",
    );
  }
  return lastId;
}

function entityOf(event: ChangeEventRow): EntityType {
  // The column is checked against the entity types; anything else is a bug.
  const entity = ENTITY_TYPES.find((e) => e === event.entity);
  if (entity === undefined) throw new Error(`change event ${event.seq} names no entity type`);
  return entity;
}

export interface RosterServiceDeps {
  db: Database;
}

/** Reading a tenant's roster and its change feed, under the tenant rules. */
export function createRosterService(deps: RosterServiceDeps) {
  const checkTenant = (ctx: RosterContext, tenantId: string) => {
    if (!canAccessTenant(ctx.principal, tenantId)) throw new TenantAccessDeniedError(tenantId);
  };

  /** The records with their links: one query for all of them. */
  const withLinks = async <E extends EntityType>(
    tenantId: string,
    entity: E,
    rows: RosterRows[E][],
  ): Promise<RosterRecord<E>[]> => {
    const links = await listRosterLinks(
      deps.db,
      tenantId,
      entity,
      rows.map((r) => r.id),
    );
    const byRecord = new Map<string, RosterLink[]>();
    for (const { entityId, ...link } of links) {
      const list = byRecord.get(entityId);
      if (list === undefined) byRecord.set(entityId, [link]);
      else list.push(link);
    }
    return rows.map((row) => ({ row, links: byRecord.get(row.id) ?? [] }));
  };

  return {
    /** One page of an entity's records in id order; `cursor` is the previous page's nextCursor. */
    async list<E extends EntityType>(
      ctx: RosterContext,
      tenantId: string,
      entity: E,
      request: { filter: RosterFilters[E]; limit: number; cursor?: string | undefined },
    ): Promise<RosterPage<E>> {
      checkTenant(ctx, tenantId);
      const { filter, limit } = request;
      if (filter.providerId !== undefined && filter.externalId === undefined) {
        throw new ValidationError([
          { path: 'providerId', message: 'narrows externalId: give externalId too' },
        ]);
      }
      const fingerprint = filterFingerprint(filter);
      const afterId =
        request.cursor === undefined ? undefined : decodeCursor(request.cursor, entity, fingerprint);
      // One more than the page: whether it exists says whether there is a next page.
      const rows = await listRosterRecords(deps.db, tenantId, entity, filter, { afterId, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        records: await withLinks(tenantId, entity, page),
        nextCursor:
          rows.length > limit && last !== undefined ? encodeCursor(entity, fingerprint, last.id) : null,
      };
    },

    /** One record; another tenant's, or none, is not found. */
    async get<E extends EntityType>(
      ctx: RosterContext,
      tenantId: string,
      entity: E,
      id: string,
    ): Promise<RosterRecord<E>> {
      checkTenant(ctx, tenantId);
      const rows = await findRosterRecords(deps.db, tenantId, entity, [id]);
      const [record] = await withLinks(tenantId, entity, rows);
      if (record === undefined) throw new NotFoundError(ENTITY_SINGULAR[entity], id);
      return record;
    },

    /** The periods in which one of the tenant's enrollments was active; another tenant's is not found. */
    async enrollmentPeriods(
      ctx: RosterContext,
      tenantId: string,
      id: string,
    ): Promise<EnrollmentPeriodRow[]> {
      checkTenant(ctx, tenantId);
      const [enrollment] = await findRosterRecords(deps.db, tenantId, 'enrollments', [id]);
      if (enrollment === undefined) throw new NotFoundError(ENTITY_SINGULAR.enrollments, id);
      return listEnrollmentPeriods(deps.db, tenantId, id);
    },

    /**
     * The tenant's change events after `after` (a seq; absent = from the start), each with its
     * record's current state: one query for the events, then one per entity for the records and
     * one per entity for their links, however many events the page holds.
     */
    async changes(
      ctx: RosterContext,
      tenantId: string,
      request: { after?: string | undefined; limit: number; entities?: readonly EntityType[] | undefined },
    ): Promise<ChangePageView> {
      checkTenant(ctx, tenantId);
      const afterSeq = request.after === undefined ? 0 : Number(request.after);
      if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) {
        throw new ValidationError([{ path: 'after', message: 'is not a cursor this feed gave' }]);
      }
      const rows = await listChangeEvents(deps.db, tenantId, {
        afterSeq,
        limit: request.limit + 1,
        entities: request.entities,
      });
      const page = rows.slice(0, request.limit);

      const idsByEntity = new Map<EntityType, Set<string>>();
      for (const event of page) {
        const entity = entityOf(event);
        const ids = idsByEntity.get(entity) ?? new Set<string>();
        ids.add(event.entityId);
        idsByEntity.set(entity, ids);
      }
      const current = new Map<string, RosterRecord>();
      for (const [entity, ids] of idsByEntity) {
        const found = await findRosterRecords(deps.db, tenantId, entity, [...ids]);
        for (const record of await withLinks(tenantId, entity, found)) {
          current.set(`${entity}:${record.row.id}`, record);
        }
      }

      const events = page.map((event): ChangeEventView => ({
        seq: event.seq,
        entity: entityOf(event),
        entityId: event.entityId,
        kind: event.kind,
        changedFields: event.changedFields,
        runId: event.runId,
        providerId: event.providerId,
        occurredAt: event.createdAt,
        record: current.get(`${event.entity}:${event.entityId}`) ?? null,
      }));
      return {
        events,
        nextCursor: String(page.at(-1)?.seq ?? afterSeq),
        hasMore: rows.length > request.limit,
      };
    },
  };
}

export type RosterService = ReturnType<typeof createRosterService>;
