import { expect } from 'vitest';

import type { TestApp } from './app.js';
import { rows } from './sync.js';

const ENTITIES = ['schools', 'terms', 'courses', 'classes', 'users', 'enrollments'] as const;
type Entity = (typeof ENTITIES)[number];

/**
 * Fields a change event does not name: identity, timestamps that move with every write, and what
 * the API adds beside the record's own fields (its links).
 */
const UNTRACKED = new Set(['tenantId', 'id', 'createdAt', 'updatedAt', 'deactivatedAt', 'links']);

export interface FeedEvent {
  seq: number;
  entity: Entity;
  id: string;
  kind: 'created' | 'updated' | 'deactivated' | 'reactivated';
  changedFields: string[];
  /** The record's current state, as the feed gives it. */
  record: Record<string, unknown>;
}

/** Reads the events after `after`, each with its record's current state. */
export type FeedReader = (tenant: string, after: number) => Promise<FeedEvent[]>;
/** Every record of an entity now, by id, shaped as the feed shapes them. */
export type RosterReader = (tenant: string, entity: Entity) => Promise<Map<string, Record<string, unknown>>>;

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Each canonical row as JSON with camelCase keys (the API's field names). */
export async function canonicalRecords(
  t: TestApp,
  tenant: string,
  entity: Entity,
  ids?: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const only = ids === undefined ? '' : `AND id = ANY('{${ids.join(',')}}'::uuid[])`;
  const found = await rows<{ id: string; record: Record<string, unknown> }>(
    t,
    `SELECT id::text AS id, to_jsonb(c) AS record FROM ${entity} c WHERE tenant_id = '${tenant}' ${only}`,
  );
  return new Map(
    found.map(({ id, record }) => [
      id,
      Object.fromEntries(Object.entries(record).map(([key, value]) => [camel(key), value])),
    ]),
  );
}

/** The feed read straight from the database: what the API's change feed serves. */
export const databaseFeed =
  (t: TestApp): FeedReader =>
  async (tenant, after) => {
    const events = await rows<Omit<FeedEvent, 'record'>>(
      t,
      `SELECT seq::int AS seq, entity, entity_id::text AS id, kind, changed_fields AS "changedFields"
       FROM sis_change_events WHERE tenant_id = '${tenant}' AND seq > ${after} ORDER BY seq LIMIT 500`,
    );
    const records = new Map<Entity, Map<string, Record<string, unknown>>>();
    for (const entity of ENTITIES) {
      const ids = events.filter((e) => e.entity === entity).map((e) => e.id);
      if (ids.length > 0) records.set(entity, await canonicalRecords(t, tenant, entity, ids));
    }
    return events.map((e) => ({ ...e, record: records.get(e.entity)!.get(e.id)! }));
  };

/**
 * A downstream application's copy of one tenant's roster, kept only from the change feed: it polls
 * from cursor zero, applies each event by upserting its record, and can be compared with the
 * canonical tables at any time.
 */
export class FeedReplica {
  cursor = 0;
  readonly copy = new Map<Entity, Map<string, Record<string, unknown>>>(ENTITIES.map((e) => [e, new Map()]));

  /**
   * `checkChangedFields`: compare each event's changed fields with what changed in the copy. Only
   * for a reader that catches up after every run: one that reads several runs at once sees a
   * record's newest state at its first event.
   */
  constructor(
    private readonly tenant: string,
    private readonly read: FeedReader,
    private readonly options: { checkChangedFields: boolean } = { checkChangedFields: true },
  ) {}

  /**
   * Reads and applies every event after the cursor. Checks as it goes that each record's changed
   * fields are exactly the fields that differ from the copy's previous state. Resolves to the
   * number of events applied.
   */
  async catchUp(where: string): Promise<number> {
    let applied = 0;
    for (;;) {
      const page = await this.read(this.tenant, this.cursor);
      if (page.length === 0) return applied;
      const byRecord = new Map<string, FeedEvent[]>();
      for (const event of page) {
        expect(event.seq, `${where}: seq order`).toBeGreaterThan(this.cursor);
        this.cursor = event.seq;
        const key = `${event.entity}:${event.id}`;
        byRecord.set(key, [...(byRecord.get(key) ?? []), event]);
      }
      for (const events of byRecord.values()) {
        const last = events.at(-1)!;
        const copy = this.copy.get(last.entity)!;
        const before = copy.get(last.id);
        if (before === undefined) {
          expect(events[0]!.kind, `${where}: the first event of ${last.entity} ${last.id}`).toBe('created');
        } else if (this.options.checkChangedFields) {
          const told = new Set(events.flatMap((e) => e.changedFields));
          expect([...told].sort(), `${where}: changed fields of ${last.entity} ${last.id}`).toEqual(
            differingFields(before, last.record),
          );
        }
        copy.set(last.id, last.record);
      }
      applied += page.length;
    }
  }

  /** The copy equals the roster (by default read straight from the canonical tables), record for record. */
  async expectEqualToRoster(
    t: TestApp,
    where: string,
    roster: RosterReader = (tenant, entity) => canonicalRecords(t, tenant, entity),
  ): Promise<void> {
    for (const entity of ENTITIES) {
      const canonical = await roster(this.tenant, entity);
      expect(
        Object.fromEntries([...this.copy.get(entity)!].sort()),
        `${where}: the feed's copy of ${entity}`,
      ).toEqual(Object.fromEntries([...canonical].sort()));
    }
  }
}

function differingFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys]
    .filter((key) => !UNTRACKED.has(key))
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .sort();
}
