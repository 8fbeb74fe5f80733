import type { EntityType } from '../../domain/entity.js';

/** A reference from a staged record to another entity, by external id. */
export interface Reference {
  /**
   * Staging column holding the external id(s), or, for a scalar reference without one of its own,
   * an expression on the staged row's JSON (`data->>'field'`): both are read as `r.<column>`.
   */
  column: string;
  /** Field of the canonical record, named in error messages. */
  field: string;
  target: EntityType;
  list: boolean;
  /** A required reference that does not resolve makes the record invalid; an optional one is dropped. */
  required: boolean;
}

const ref = (
  column: string,
  field: string,
  target: EntityType,
  required: boolean,
  list = false,
): Reference => ({
  column,
  field,
  target,
  required,
  list,
});

export const REFERENCES: Record<EntityType, Reference[]> = {
  schools: [ref('parent_external_id', 'parentExternalId', 'schools', false)],
  terms: [ref('parent_external_id', 'parentExternalId', 'terms', false)],
  courses: [
    ref('school_external_id', 'schoolExternalId', 'schools', true),
    ref('school_year_external_id', 'schoolYearExternalId', 'terms', false),
  ],
  classes: [
    ref('course_external_id', 'courseExternalId', 'courses', true),
    ref('school_external_id', 'schoolExternalId', 'schools', true),
    ref('term_external_ids', 'termExternalIds', 'terms', true, true),
  ],
  users: [
    ref('school_external_ids', 'schoolExternalIds', 'schools', true, true),
    ref('agent_external_ids', 'agentExternalIds', 'users', false, true),
    // OneRoster 1.2 only and rare, so read from the JSON rather than given a staging column (and a
    // migration): sis_raw_users keeps the record as `data`.
    ref("data->>'primarySchoolExternalId'", 'primarySchoolExternalId', 'schools', false),
  ],
  enrollments: [
    ref('class_external_id', 'classExternalId', 'classes', true),
    ref('user_external_id', 'userExternalId', 'users', true),
    ref('school_external_id', 'schoolExternalId', 'schools', false),
  ],
};
