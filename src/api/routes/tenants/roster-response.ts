import type { EntityType } from '../../../domain/entity.js';
import type { ChangePageView, RosterRecord } from '../../../services/roster-service.js';
import type { ChangePage, RosterObjects } from '../../contracts/roster.js';

/**
 * A roster record as the API gives it: every column under its Drizzle name, instants as ISO
 * strings (date columns are already YYYY-MM-DD strings), and its links. The list, the one-record
 * and the change-feed routes all answer through this, so a feed's `record` equals a read's.
 */
export function toRosterObject<E extends EntityType>(record: RosterRecord<E>): RosterObjects[E] {
  const object: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record.row)) {
    object[key] = value instanceof Date ? value.toISOString() : value;
  }
  object.links = record.links;
  // The contracts list exactly these columns (test/api/roster.test.ts checks the types and the keys).
  return object as RosterObjects[E];
}

export function toChangePage(page: ChangePageView): ChangePage {
  return {
    events: page.events.map((event) => ({
      seq: String(event.seq),
      entity: event.entity,
      id: event.entityId,
      kind: event.kind,
      changedFields: event.changedFields,
      runId: event.runId,
      providerId: event.providerId,
      occurredAt: event.occurredAt.toISOString(),
      record: event.record === null ? null : toRosterObject(event.record),
    })),
    nextCursor: page.nextCursor,
    hasMore: page.hasMore,
  };
}
