import type { EntityType } from '../../domain/entity.js';
import type { EntityRecordMap } from '../../domain/records.js';

/**
 * The typed columns each staging table keeps beside the record's JSON: the references and match
 * keys that load joins on, as `text` or `text[]` (`list`).
 */
export type StagingColumn<E extends EntityType> =
  | { column: string; type: 'text'; value(data: EntityRecordMap[E]): string | null }
  | { column: string; type: 'list'; value(data: EntityRecordMap[E]): readonly string[] };

const text = <E extends EntityType>(
  column: string,
  value: (d: EntityRecordMap[E]) => string | null,
): StagingColumn<E> => ({ column, type: 'text', value });
const textList = <E extends EntityType>(
  column: string,
  value: (d: EntityRecordMap[E]) => readonly string[],
): StagingColumn<E> => ({ column, type: 'list', value });

export const STAGING: { [E in EntityType]: { table: string; columns: StagingColumn<E>[] } } = {
  schools: { table: 'sis_raw_schools', columns: [text('parent_external_id', (d) => d.parentExternalId)] },
  terms: { table: 'sis_raw_terms', columns: [text('parent_external_id', (d) => d.parentExternalId)] },
  courses: {
    table: 'sis_raw_courses',
    columns: [
      text('school_external_id', (d) => d.schoolExternalId),
      text('school_year_external_id', (d) => d.schoolYearExternalId),
    ],
  },
  classes: {
    table: 'sis_raw_classes',
    columns: [
      text('course_external_id', (d) => d.courseExternalId),
      text('school_external_id', (d) => d.schoolExternalId),
      textList('term_external_ids', (d) => d.termExternalIds),
    ],
  },
  users: {
    table: 'sis_raw_users',
    columns: [
      text('email', (d) => d.email),
      text('identifier', (d) => d.identifier),
      text('username', (d) => d.username),
      text('role', (d) => d.role),
      textList('school_external_ids', (d) => d.schoolExternalIds),
      textList('agent_external_ids', (d) => d.agentExternalIds),
    ],
  },
  enrollments: {
    table: 'sis_raw_enrollments',
    columns: [
      text('class_external_id', (d) => d.classExternalId),
      text('user_external_id', (d) => d.userExternalId),
      text('school_external_id', (d) => d.schoolExternalId),
    ],
  },
};
