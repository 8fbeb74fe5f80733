import type { EntityType } from '../../domain/entity.js';

/*
 * How each canonical table's columns come from a staged row `r` (its JSON `data` and typed
 * columns) and from references resolved through this provider's active links.
 */

export interface ScalarRef {
  alias: string;
  target: EntityType;
  /** Staging column with the external id. */
  column: string;
}

export interface CanonicalSpec {
  table: string;
  /** Canonical column -> SQL expression over `r` and the ref aliases. */
  columns: Record<string, string>;
  refs: ScalarRef[];
  /** A reference into the same table, resolved after the rows exist (parents loaded in the same pull). */
  selfParent?: { column: string; stagingColumn: string };
  /** A short human label over the canonical row `c`, for change lists. */
  label: string;
  /**
   * Columns that say which record this is: a provider record that keeps its id but changes one of
   * them (an enrollment moved to another class) becomes a new canonical record, and the old one
   * goes (docs/decisions/0009-enrollment-moves-and-periods.md).
   */
  identity?: string[];
}

/** The API's name of a canonical column: the Drizzle property, camelCase of the SQL name. */
export function apiField(column: string): string {
  return column.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

const txt = (field: string) => `(r.data->>'${field}')`;
const list = (field: string) =>
  `ARRAY(SELECT jsonb_array_elements_text(coalesce(r.data->'${field}', '[]'::jsonb)))`;
/**
 * A reference resolved through this provider's active links, from an external id in the record's
 * JSON. Looked up only when there is one: most sources never send it, and a first sync writes
 * every row.
 */
const refOf = (target: EntityType, field: string) =>
  `CASE WHEN ${txt(field)} IS NOT NULL THEN (SELECT l.entity_id FROM sis_external_links l
    WHERE l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${target}'
      AND l.external_id = ${txt(field)} AND l.active) END`;
const refList = (target: EntityType, column: string) =>
  `ARRAY(SELECT l.entity_id FROM unnest(r.${column}) WITH ORDINALITY AS x(id, n)
         JOIN sis_external_links l ON l.tenant_id = $2 AND l.provider_id = $3 AND l.entity_type = '${target}'
          AND l.external_id = x.id AND l.active ORDER BY x.n)`;

export const CANONICAL: Record<EntityType, CanonicalSpec> = {
  schools: {
    table: 'schools',
    columns: { name: txt('name'), identifier: txt('identifier'), org_type: txt('orgType') },
    refs: [],
    selfParent: { column: 'parent_id', stagingColumn: 'parent_external_id' },
    label: 'c.name',
  },
  terms: {
    table: 'terms',
    columns: {
      title: txt('title'),
      term_type: txt('termType'),
      start_date: `${txt('startDate')}::date`,
      end_date: `${txt('endDate')}::date`,
      school_year: `${txt('schoolYear')}::int`,
    },
    refs: [],
    selfParent: { column: 'parent_id', stagingColumn: 'parent_external_id' },
    label: 'c.title',
  },
  courses: {
    table: 'courses',
    columns: {
      title: txt('title'),
      course_code: txt('courseCode'),
      grades: list('grades'),
      subjects: list('subjects'),
      subject_codes: list('subjectCodes'),
      school_id: 'ref_school.entity_id',
      school_year_term_id: 'ref_year.entity_id',
    },
    refs: [
      { alias: 'ref_school', target: 'schools', column: 'school_external_id' },
      { alias: 'ref_year', target: 'terms', column: 'school_year_external_id' },
    ],
    label: "c.title || coalesce(' (' || c.course_code || ')', '')",
  },
  classes: {
    table: 'classes',
    columns: {
      title: txt('title'),
      class_code: txt('classCode'),
      class_type: txt('classType'),
      location: txt('location'),
      grades: list('grades'),
      subjects: list('subjects'),
      subject_codes: list('subjectCodes'),
      periods: list('periods'),
      course_id: 'ref_course.entity_id',
      school_id: 'ref_school.entity_id',
      term_ids: refList('terms', 'term_external_ids'),
    },
    refs: [
      { alias: 'ref_course', target: 'courses', column: 'course_external_id' },
      { alias: 'ref_school', target: 'schools', column: 'school_external_id' },
    ],
    label: "c.title || coalesce(' (' || c.class_code || ')', '')",
  },
  users: {
    table: 'users',
    columns: {
      role: txt('role'),
      roles: list('roles'),
      username: txt('username'),
      given_name: `coalesce(${txt('givenName')}, '')`,
      family_name: `coalesce(${txt('familyName')}, '')`,
      middle_name: txt('middleName'),
      email: txt('email'),
      identifier: txt('identifier'),
      sms: txt('sms'),
      phone: txt('phone'),
      grades: list('grades'),
      school_ids: refList('schools', 'school_external_ids'),
      user_ids: `coalesce(r.data->'userIds', '[]'::jsonb)`,
      enabled: `coalesce((r.data->>'enabled')::boolean, true)`,
      preferred_given_name: txt('preferredGivenName'),
      preferred_middle_name: txt('preferredMiddleName'),
      preferred_family_name: txt('preferredFamilyName'),
      pronouns: txt('pronouns'),
      master_identifier: txt('masterIdentifier'),
      // Optional: prepare reports one that does not resolve (references.ts), and it is left null.
      primary_school_id: refOf('schools', 'primarySchoolExternalId'),
    },
    refs: [],
    label: "btrim(c.given_name || ' ' || c.family_name) || coalesce(' <' || c.email || '>', '')",
  },
  enrollments: {
    table: 'enrollments',
    columns: {
      class_id: 'ref_class.entity_id',
      user_id: 'ref_user.entity_id',
      school_id: 'ref_school.entity_id',
      role: txt('role'),
      is_primary: `coalesce((r.data->>'isPrimary')::boolean, false)`,
      begin_date: `${txt('beginDate')}::date`,
      end_date: `${txt('endDate')}::date`,
    },
    refs: [
      { alias: 'ref_class', target: 'classes', column: 'class_external_id' },
      { alias: 'ref_user', target: 'users', column: 'user_external_id' },
      { alias: 'ref_school', target: 'schools', column: 'school_external_id' },
    ],
    identity: ['class_id', 'user_id'],
    label: `c.role || ': ' || coalesce((SELECT btrim(u.given_name || ' ' || u.family_name) FROM users u
              WHERE u.tenant_id = c.tenant_id AND u.id = c.user_id), '?')
            || ' in ' || coalesce((SELECT k.title FROM classes k WHERE k.tenant_id = c.tenant_id AND k.id = c.class_id), '?')`,
  },
};
