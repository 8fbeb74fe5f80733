import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';

import { createdAt } from './columns.js';

/**
 * Staging: what one run read from its provider, before load. Keyed by run id, with the
 * provider's external id, the normalized record, the provider's raw record (credentials
 * such as passwords stripped) and a content hash that load compares with the stored one.
 * An external id may appear twice (a duplicate in the source): load finds and refuses those.
 * `invalid` rows failed validation: they count as present (nothing is deactivated because a
 * record was malformed) but are not applied.
 */
const stagingColumns = () => ({
  runId: uuid('run_id').notNull(),
  tenantId: text('tenant_id').notNull(),
  providerId: uuid('provider_id').notNull(),
  externalId: text('external_id').notNull(),
  /** `active`, or `tobedeleted` for a delta tombstone. */
  status: text('status').notNull().default('active'),
  contentHash: text('content_hash').notNull(),
  data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  raw: jsonb('raw').$type<Record<string, unknown>>(),
  invalid: boolean('invalid').notNull().default(false),
  sourceFile: text('source_file'),
  sourceLine: integer('source_line'),
  sourcePage: text('source_page'),
  createdAt: createdAt(),
});

/**
 * Set by matching across providers when a record has no link of this provider yet: the existing
 * canonical record it joins, and the rule (users keep their own pair, `matched_user_id`).
 */
const matchColumns = () => ({
  matchedId: uuid('matched_id'),
  matchedBy: text('matched_by'),
});

const stagingConstraints =
  (name: string) => (t: { runId: AnyPgColumn; externalId: AnyPgColumn; status: AnyPgColumn }) => [
    index(`${name}_run_external_idx`).on(t.runId, t.externalId),
    check(`${name}_status_check`, sql`${t.status} IN ('active', 'tobedeleted')`),
  ];

export const sisRawSchools = pgTable(
  'sis_raw_schools',
  { ...stagingColumns(), ...matchColumns(), parentExternalId: text('parent_external_id') },
  stagingConstraints('sis_raw_schools'),
);

export const sisRawTerms = pgTable(
  'sis_raw_terms',
  { ...stagingColumns(), ...matchColumns(), parentExternalId: text('parent_external_id') },
  stagingConstraints('sis_raw_terms'),
);

export const sisRawCourses = pgTable(
  'sis_raw_courses',
  {
    ...stagingColumns(),
    ...matchColumns(),
    schoolExternalId: text('school_external_id'),
    schoolYearExternalId: text('school_year_external_id'),
  },
  stagingConstraints('sis_raw_courses'),
);

export const sisRawClasses = pgTable(
  'sis_raw_classes',
  {
    ...stagingColumns(),
    ...matchColumns(),
    courseExternalId: text('course_external_id'),
    schoolExternalId: text('school_external_id'),
    termExternalIds: text('term_external_ids')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
  },
  stagingConstraints('sis_raw_classes'),
);

export const sisRawUsers = pgTable(
  'sis_raw_users',
  {
    ...stagingColumns(),
    email: text('email'),
    identifier: text('identifier'),
    username: text('username'),
    role: text('role'),
    schoolExternalIds: text('school_external_ids')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    agentExternalIds: text('agent_external_ids')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Set by matching when the user has no link yet: the canonical user it joins, and the rule. */
    matchedUserId: uuid('matched_user_id'),
    matchedBy: text('matched_by'),
  },
  stagingConstraints('sis_raw_users'),
);

export const sisRawEnrollments = pgTable(
  'sis_raw_enrollments',
  {
    ...stagingColumns(),
    ...matchColumns(),
    classExternalId: text('class_external_id'),
    userExternalId: text('user_external_id'),
    schoolExternalId: text('school_external_id'),
  },
  stagingConstraints('sis_raw_enrollments'),
);
