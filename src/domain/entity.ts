/** The roster entities a sync run moves, in load order (referenced before referencing). */
export const ENTITY_TYPES = ['schools', 'terms', 'courses', 'classes', 'users', 'enrollments'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** One record of each entity, as messages name it. */
export const ENTITY_SINGULAR: Record<EntityType, string> = {
  schools: 'school',
  terms: 'term',
  courses: 'course',
  classes: 'class',
  users: 'user',
  enrollments: 'enrollment',
};

export interface EntityStats {
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  reactivated: number;
  errors: number;
}

export type RunStats = Partial<Record<EntityType, EntityStats>>;

/**
 * How a provider record was tied to a canonical record: its own link (`external_id`), a user's
 * email or student number, another provider's link with the same sourced id (`sourced_id`), a
 * school's or user's SIS identifier (`identifier`), an entity's natural key such as a term's title
 * and dates or an enrollment's class, user and role (`natural_key`), or none (`created`).
 */
export const MATCH_RULES = [
  'external_id',
  'email',
  'student_number',
  'sourced_id',
  'identifier',
  'natural_key',
  'created',
] as const;
export type MatchRule = (typeof MATCH_RULES)[number];
