import type { EntityType } from '../../domain/entity.js';
import type { EntityRecordMap, ExtractedRecord, RecordError } from '../../domain/records.js';
import { ConnectorError, type ExtractBatch } from '../connector.js';
import type { CleverClient } from './clever-client.js';
import {
  checkSection,
  checkUserObject,
  enrollmentId,
  enrollmentsOfSection,
  mapCourse,
  mapDistrict,
  mapSchool,
  mapSection,
  mapTerm,
  mapUser,
  studentsOfContact,
  type MapResult,
} from './clever-mapping.js';
import { checker, cleverEventSchema, type CleverEvent } from './clever-schemas.js';
import { readList, recordErrors, recordOf, type Incomplete } from './clever-pages.js';

/*
 * Clever's Events API as the delta source. Events are read once, when the session opens, from
 * the checkpoint (the last event id a loaded run reached) to the newest, oldest first; each
 * record keeps the state of its last event. Created and updated objects become records,
 * deleted ones tombstones; a section's membership change becomes enrollment records and
 * tombstones for the members it lost.
 */

const checkEvent = checker(cleverEventSchema);

export interface EventFeed {
  events: CleverEvent[];
  /** The newest event id read, or the checkpoint when there was nothing new. */
  newest: string | null;
  errors: RecordError[];
}

/** Every event after `after` (all retained events when null). */
export async function readEvents(
  client: CleverClient,
  after: string | null,
  signal: AbortSignal,
): Promise<EventFeed> {
  const events: CleverEvent[] = [];
  const errors: RecordError[] = [];
  const state: { failure: ConnectorError | null } = { failure: null };
  const pages = readList(
    client,
    'users',
    '/events',
    after === null ? {} : { starting_after: after },
    signal,
    (problem) => {
      state.failure ??= new ConnectorError(
        problem.code === 'short_page' ? 'invalid_payload' : 'provider_unavailable',
        problem.message,
      );
    },
    (item, source) => {
      const checked = checkEvent(item);
      if (checked.ok) events.push(checked.value);
      else {
        const id = (item as { id?: unknown } | null)?.id;
        errors.push(...recordErrors('event', typeof id === 'string' ? id : null, checked.issues, source));
      }
      return { records: [], errors: [] };
    },
  );
  for await (const _ of pages) {
    // Events are collected by the mapper above.
  }
  if (state.failure !== null) throw state.failure;
  return { events, newest: events.at(-1)?.id ?? after, errors };
}

type Entry<E extends EntityType> = ExtractedRecord<E> | { error: RecordError[] };

/** The records of each entity that the events leave, in event order, last state per id. */
export class EventDelta {
  private readonly entries: { [E in EntityType]: Map<string, Entry<E>> } = {
    schools: new Map(),
    terms: new Map(),
    courses: new Map(),
    classes: new Map(),
    users: new Map(),
    enrollments: new Map(),
  };
  /** Users by id as their last event left them; mapped once contacts are known. */
  private readonly users = new Map<
    string,
    { object: Record<string, unknown>; deleted: boolean; event: string }
  >();

  constructor(events: readonly CleverEvent[]) {
    for (const event of events) this.apply(event);
  }

  /** Whether a student's user record changed, which needs the district's contacts to map. */
  get needsContacts(): boolean {
    return [...this.users.values()].some((u) => !u.deleted && hasRole(u.object, 'student'));
  }

  private apply(event: CleverEvent): void {
    const [recordType, action] = event.type.split('.') as [string, string];
    const object = event.data.object as Record<string, unknown> & { id: string };
    const source = { page: `/events (event ${event.id}: ${event.type})` };
    const deleted = action === 'deleted';
    const put = <E extends EntityType>(entity: E, kind: string, mapped: MapResult<E>) => {
      if (deleted) {
        this.entries[entity].set(object.id, tombstone<E>(object.id, source));
      } else if (mapped.ok) {
        this.entries[entity].set(object.id, recordOf(mapped.value, source));
      } else {
        this.entries[entity].set(object.id, { error: recordErrors(kind, object.id, mapped.issues, source) });
      }
    };
    switch (recordType) {
      case 'districts':
        put('schools', 'district', mapDistrict(object));
        return;
      case 'schools':
        put('schools', 'school', mapSchool(object));
        return;
      case 'terms':
        put('terms', 'term', mapTerm(object));
        return;
      case 'courses':
        put('courses', 'course', mapCourse(object));
        return;
      case 'sections':
        put('classes', 'section', mapSection(object));
        this.applyMembership(object, event.data.previous_attributes ?? null, deleted, source);
        return;
      case 'users':
        this.users.set(object.id, { object, deleted, event: event.id });
        return;
      default:
        // resources.* and anything newer: not roster data this service keeps.
        return;
    }
  }

  private applyMembership(
    object: Record<string, unknown> & { id: string },
    previous: Record<string, unknown> | null,
    deleted: boolean,
    source: { page: string },
  ): void {
    const checked = checkSection(object);
    const enrollments = this.entries.enrollments;
    const members = (value: unknown): string[] =>
      Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    const current = checked.ok ? enrollmentsOfSection(checked.value) : [];
    if (!checked.ok) {
      enrollments.set(`${object.id}:*`, {
        error: recordErrors('section', object.id, checked.issues, source),
      });
      return;
    }
    if (deleted) {
      for (const e of current) enrollments.set(e.externalId, tombstone(e.externalId, source));
      return;
    }
    const now = new Set(current.map((e) => e.externalId));
    const before = [
      ...members(previous?.students).map((u) => enrollmentId(object.id, u, 'student')),
      ...members(previous?.teachers).map((u) => enrollmentId(object.id, u, 'teacher')),
      ...(typeof previous?.teacher === 'string' && previous.teacher !== ''
        ? [enrollmentId(object.id, previous.teacher, 'teacher')]
        : []),
    ];
    for (const id of before) if (!now.has(id)) enrollments.set(id, tombstone(id, source));
    for (const e of current) enrollments.set(e.externalId, recordOf(e, source));
  }

  /** One batch of an entity's delta; users need `contactsOf` for their students. */
  batch<E extends EntityType>(
    entity: E,
    contactsOf: (studentId: string) => readonly string[],
  ): ExtractBatch<E> {
    if (entity === 'users') this.mapUsers(contactsOf);
    const batch: ExtractBatch<E> = { records: [], errors: [] };
    for (const entry of this.entries[entity].values()) {
      if ('error' in entry) batch.errors.push(...entry.error);
      else batch.records.push(entry);
    }
    return batch;
  }

  private mapUsers(contactsOf: (studentId: string) => readonly string[]): void {
    for (const [id, user] of this.users) {
      const source = { page: `/events (event ${user.event}: users.${user.deleted ? 'deleted' : 'changed'})` };
      if (user.deleted) {
        this.entries.users.set(id, tombstone<'users'>(id, source));
        continue;
      }
      const mapped = mapUser(user.object, contactsOf);
      this.entries.users.set(
        id,
        mapped.ok
          ? recordOf(mapped.value, source)
          : { error: recordErrors('user', id, mapped.issues, source) },
      );
    }
  }
}

/** The district's contacts by student, for students that changed. */
export async function contactIndex(
  client: CleverClient,
  signal: AbortSignal,
  onIncomplete: Incomplete,
): Promise<Map<string, string[]> | null> {
  const index = new Map<string, string[]>();
  const pages = readList(client, 'users', '/users', { role: 'contact' }, signal, onIncomplete, (item) => {
    const checked = checkUserObject(item);
    if (checked.ok) {
      for (const student of studentsOfContact(checked.value)) {
        index.set(student, [...(index.get(student) ?? []), checked.value.id]);
      }
    }
    return { records: [], errors: [] };
  });
  let complete = true;
  for (;;) {
    const step = await pages.next();
    if (step.done === true) {
      complete = step.value;
      break;
    }
  }
  return complete ? index : null;
}

function tombstone<E extends EntityType>(externalId: string, source: { page: string }): ExtractedRecord<E> {
  // A tombstone needs only its id; the engine reads no data from it.
  return { externalId, deleted: true, data: {} as EntityRecordMap[E], raw: null, source };
}

const hasRole = (object: Record<string, unknown>, role: string): boolean => {
  const roles = object.roles;
  return typeof roles === 'object' && roles !== null && role in roles;
};
