import type { EntityType } from '../../domain/entity.js';
import type { ExtractBatch } from '../connector.js';
import type { CleverClient } from './clever-client.js';
import {
  checkSection,
  checkUserObject,
  enrollmentsOfSection,
  mapCourse,
  mapDistrict,
  mapSchool,
  mapSection,
  mapTerm,
  mapUser,
  studentsOfContact,
} from './clever-mapping.js';
import { itemsOf, noItems, readList, recordOf, type Incomplete, type PageItems } from './clever-pages.js';

/*
 * A full pull from the Data API, entity by entity: the complete current set of each, which is
 * what lets the engine deactivate what Clever no longer shares.
 */

const hasRole = (item: unknown, role: string): boolean => {
  if (typeof item !== 'object' || item === null) return false;
  const roles = (item as { roles?: unknown }).roles;
  return typeof roles === 'object' && roles !== null && role in roles;
};

export async function* pullEntity<E extends EntityType>(
  client: CleverClient,
  entity: E,
  signal: AbortSignal,
  onIncomplete: Incomplete,
): AsyncGenerator<ExtractBatch<E>> {
  // Each branch yields batches of its own entity; `E` is that entity.
  const batches = pull(client, entity, signal, onIncomplete) as AsyncGenerator<ExtractBatch<E>>;
  yield* batches;
}

async function* pull(
  client: CleverClient,
  entity: EntityType,
  signal: AbortSignal,
  onIncomplete: Incomplete,
): AsyncGenerator<ExtractBatch> {
  switch (entity) {
    case 'schools':
      yield* readList(client, 'schools', '/districts', {}, signal, onIncomplete, (item, source) =>
        itemsOf('district', mapDistrict(item), source),
      );
      yield* readList(client, 'schools', '/schools', {}, signal, onIncomplete, (item, source) =>
        itemsOf('school', mapSchool(item), source),
      );
      return;
    case 'terms':
      yield* readList(client, 'terms', '/terms', {}, signal, onIncomplete, (item, source) =>
        itemsOf('term', mapTerm(item), source),
      );
      return;
    case 'courses':
      yield* readList(client, 'courses', '/courses', {}, signal, onIncomplete, (item, source) =>
        itemsOf('course', mapCourse(item), source),
      );
      return;
    case 'classes':
      yield* readList(client, 'classes', '/sections', {}, signal, onIncomplete, (item, source) =>
        itemsOf('section', mapSection(item), source),
      );
      return;
    case 'users':
      yield* pullUsers(client, signal, onIncomplete);
      return;
    case 'enrollments':
      yield* readList(client, 'enrollments', '/sections', {}, signal, onIncomplete, (item, source) => {
        const checked = checkSection(item);
        if (checked.ok) {
          return { records: enrollmentsOfSection(checked.value).map((e) => recordOf(e, source)), errors: [] };
        }
        // Its members are unknown, so every enrollment it had would look gone.
        const id = (item as { id?: unknown } | null)?.id;
        onIncomplete({
          entity: 'enrollments',
          code: 'invalid_section',
          message: `Clever ${source.page ?? ''}: section ${typeof id === 'string' ? id : '(no id)'} cannot be read (${checked.issues
            .map((i) => i.message)
            .join('; ')}), so its enrollments are unknown`,
          source,
        });
        return noItems<'enrollments'>();
      });
      return;
  }
}

/**
 * Users in two passes: contacts first (Clever records a guardian link only on the contact, as
 * `student_relationships`), then everyone else, each student with the contacts that name it.
 * Without the complete contact list, students would arrive without some guardians and those
 * links would be dropped, so a contact pass that failed or came short ends the users pull there.
 */
async function* pullUsers(
  client: CleverClient,
  signal: AbortSignal,
  onIncomplete: Incomplete,
): AsyncGenerator<ExtractBatch<'users'>> {
  const contactsByStudent = new Map<string, string[]>();
  const contactsRead = yield* readList(
    client,
    'users',
    '/users',
    { role: 'contact' },
    signal,
    onIncomplete,
    (item, source): PageItems<'users'> => {
      const checked = checkUserObject(item);
      if (checked.ok) {
        for (const student of studentsOfContact(checked.value)) {
          const list = contactsByStudent.get(student);
          if (list === undefined) contactsByStudent.set(student, [checked.value.id]);
          else if (!list.includes(checked.value.id)) list.push(checked.value.id);
        }
      }
      // The check above is the one mapUser would make: passed on, not made twice.
      return itemsOf(
        'user',
        mapUser(item, () => [], checked),
        source,
      );
    },
  );
  if (!contactsRead) return;
  yield* readList(client, 'users', '/users', {}, signal, onIncomplete, (item, source) =>
    hasRole(item, 'contact')
      ? noItems<'users'>()
      : itemsOf(
          'user',
          mapUser(item, (id) => contactsByStudent.get(id) ?? []),
          source,
        ),
  );
}
