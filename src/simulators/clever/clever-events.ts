import { isDeepStrictEqual } from 'node:util';

import { objectsOf, RECORD_TYPES, type CleverDataset, type CleverObject } from './clever-dataset.js';

/*
 * The Events API side of the simulator: when the served data changes, the changes become
 * `<type>.created|updated|deleted` events, oldest first, the way Clever reports a district sync.
 * An update carries the whole new object and `previous_attributes` with the old values of the
 * top-level fields that changed (a section's membership change shows `students`/`teachers`).
 */

export interface CleverEventRecord {
  id: string;
  type: string;
  created: string;
  data: { object: CleverObject; previous_attributes?: Record<string, unknown> };
}

/** Event ids sort in the order the events happened (paging compares ids as strings). */
export function eventId(sequence: number): string {
  return `e${sequence.toString(16).padStart(23, '0')}`;
}

export function diffDatasets(
  before: CleverDataset,
  after: CleverDataset,
  sequenceStart: number,
  now: number,
): CleverEventRecord[] {
  const events: CleverEventRecord[] = [];
  const created = new Date(now).toISOString();
  const push = (type: string, object: CleverObject, previous?: Record<string, unknown>) => {
    events.push({
      id: eventId(sequenceStart + events.length + 1),
      type,
      created,
      data: previous === undefined ? { object } : { object, previous_attributes: previous },
    });
  };
  for (const recordType of RECORD_TYPES) {
    const old = new Map(objectsOf(before, recordType).map((o) => [o.id, o]));
    const next = objectsOf(after, recordType);
    for (const object of next) {
      const previous = old.get(object.id);
      if (previous === undefined) {
        push(`${recordType}.created`, object);
        continue;
      }
      const changed: Record<string, unknown> = {};
      for (const key of new Set([...Object.keys(previous), ...Object.keys(object)])) {
        if (!isDeepStrictEqual(previous[key], object[key])) changed[key] = previous[key] ?? null;
      }
      if (Object.keys(changed).length > 0) push(`${recordType}.updated`, object, changed);
    }
    const kept = new Set(next.map((o) => o.id));
    for (const [id, object] of old) if (!kept.has(id)) push(`${recordType}.deleted`, object);
  }
  return events;
}
