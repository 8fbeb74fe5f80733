import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uuid,
} from 'drizzle-orm/pg-core';

import { ENTITY_TYPES, MATCH_RULES } from '../../domain/entity.js';
import { createdAt, instant, rosterColumns, sqlList, updatedAt } from './columns.js';

/*
 * The canonical roster. Every table leads with tenant_id in its keys and every foreign key
 * carries it, so the tables can be distributed by tenant (Citus) without changing a query.
 * Rows are never deleted by a sync: `active = false` and `deactivated_at` mark what a complete
 * snapshot no longer contains.
 */

export const schools = pgTable(
  'schools',
  {
    ...rosterColumns(),
    name: text('name').notNull(),
    /** Human-facing id such as an NCES or state school number. */
    identifier: text('identifier'),
    /** OneRoster org type: school, district, department, ... */
    orgType: text('org_type').notNull().default('school'),
    parentId: uuid('parent_id'),
  },
  (t) => [primaryKey({ name: 'schools_pk', columns: [t.tenantId, t.id] })],
);

export const terms = pgTable(
  'terms',
  {
    ...rosterColumns(),
    title: text('title').notNull(),
    /** OneRoster academic session type: schoolYear, semester, term, gradingPeriod. */
    termType: text('term_type').notNull(),
    startDate: date('start_date'),
    endDate: date('end_date'),
    schoolYear: integer('school_year'),
    parentId: uuid('parent_id'),
  },
  (t) => [primaryKey({ name: 'terms_pk', columns: [t.tenantId, t.id] })],
);

export const courses = pgTable(
  'courses',
  {
    ...rosterColumns(),
    title: text('title').notNull(),
    courseCode: text('course_code'),
    grades: text('grades')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    subjects: text('subjects')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    subjectCodes: text('subject_codes')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    schoolId: uuid('school_id'),
    schoolYearTermId: uuid('school_year_term_id'),
  },
  (t) => [primaryKey({ name: 'courses_pk', columns: [t.tenantId, t.id] })],
);

export const classes = pgTable(
  'classes',
  {
    ...rosterColumns(),
    title: text('title').notNull(),
    classCode: text('class_code'),
    /** homeroom or scheduled. */
    classType: text('class_type').notNull().default('scheduled'),
    location: text('location'),
    grades: text('grades')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    subjects: text('subjects')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    subjectCodes: text('subject_codes')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    periods: text('periods')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    courseId: uuid('course_id'),
    schoolId: uuid('school_id'),
    termIds: uuid('term_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
  },
  (t) => [
    primaryKey({ name: 'classes_pk', columns: [t.tenantId, t.id] }),
    index('classes_school_idx').on(t.tenantId, t.schoolId),
  ],
);

export const users = pgTable(
  'users',
  {
    ...rosterColumns(),
    /** Primary role: student, teacher, administrator, aide, guardian, ... */
    role: text('role').notNull(),
    /** Every role the user holds across providers (Clever users may hold several). */
    roles: text('roles')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    username: text('username'),
    givenName: text('given_name').notNull().default(''),
    familyName: text('family_name').notNull().default(''),
    middleName: text('middle_name'),
    email: text('email'),
    /** The SIS's human-facing id: student or staff number (OneRoster `identifier`, Clever `student_number`). */
    identifier: text('identifier'),
    sms: text('sms'),
    phone: text('phone'),
    grades: text('grades')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    schoolIds: uuid('school_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** Other identifiers the SIS holds (OneRoster userIds: LDAP, Fed, StateID, ...). */
    userIds: jsonb('user_ids').$type<{ type: string; identifier: string }[]>().notNull().default([]),
    /** OneRoster enabledUser: the record is current but sign-in is curtailed when false. */
    enabled: boolean('enabled').notNull().default(true),
    /** OneRoster 1.2: the names the person goes by, and their pronouns. */
    preferredGivenName: text('preferred_given_name'),
    preferredMiddleName: text('preferred_middle_name'),
    preferredFamilyName: text('preferred_family_name'),
    pronouns: text('pronouns'),
    /** OneRoster 1.2 userMasterIdentifier: the SIS's person id, stable across its records. */
    masterIdentifier: text('master_identifier'),
    /** OneRoster 1.2 primaryOrg: the school the SIS names as the user's main one. */
    primarySchoolId: uuid('primary_school_id'),
  },
  (t) => [
    primaryKey({ name: 'users_pk', columns: [t.tenantId, t.id] }),
    // Matching looks users up by trimmed, case-folded email and by student number.
    index('users_email_idx').on(t.tenantId, sql`lower(btrim(${t.email}))`),
    index('users_identifier_idx').on(t.tenantId, t.identifier),
  ],
);

export const enrollments = pgTable(
  'enrollments',
  {
    ...rosterColumns(),
    classId: uuid('class_id').notNull(),
    userId: uuid('user_id').notNull(),
    schoolId: uuid('school_id'),
    /** student, teacher, administrator or proctor. */
    role: text('role').notNull(),
    /** The class's primary teacher; co-teachers are false. */
    isPrimary: boolean('is_primary').notNull().default(false),
    beginDate: date('begin_date'),
    endDate: date('end_date'),
  },
  (t) => [
    primaryKey({ name: 'enrollments_pk', columns: [t.tenantId, t.id] }),
    index('enrollments_class_idx').on(t.tenantId, t.classId),
    index('enrollments_user_idx').on(t.tenantId, t.userId),
  ],
);

/** Guardian / contact relationships between users (OneRoster agents, Clever contacts). */
export const userRelationships = pgTable(
  'user_relationships',
  {
    tenantId: text('tenant_id').notNull(),
    userId: uuid('user_id').notNull(),
    relatedUserId: uuid('related_user_id').notNull(),
    /** guardian, parent, relative, ... as the provider names it. */
    relationship: text('relationship').notNull().default('guardian'),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ name: 'user_relationships_pk', columns: [t.tenantId, t.userId, t.relatedUserId] })],
);

/**
 * Which provider record stands behind which canonical record. One canonical user fed by two
 * providers has two links. `matched_by` records the rule that tied them, so a merge can be
 * audited; `content_hash` is the provider record's hash at the last load.
 */
export const sisExternalLinks = pgTable(
  'sis_external_links',
  {
    tenantId: text('tenant_id').notNull(),
    providerId: uuid('provider_id').notNull(),
    entityType: text('entity_type').notNull(),
    externalId: text('external_id').notNull(),
    entityId: uuid('entity_id').notNull(),
    matchedBy: text('matched_by').notNull(),
    contentHash: text('content_hash').notNull(),
    /** False once the provider's complete snapshot no longer holds the record. */
    active: boolean('active').notNull().default(true),
    firstSeenRunId: uuid('first_seen_run_id'),
    lastSeenRunId: uuid('last_seen_run_id'),
    /** Consecutive complete runs that lacked the record (for a grace period before deactivation). */
    missingRuns: integer('missing_runs').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    removedAt: instant('removed_at'),
  },
  (t) => [
    primaryKey({
      name: 'sis_external_links_pk',
      columns: [t.tenantId, t.providerId, t.entityType, t.externalId],
    }),
    index('sis_external_links_entity_idx').on(t.tenantId, t.entityType, t.entityId),
    // Records in their grace period: still linked, missing from the last complete run(s).
    index('sis_external_links_grace_idx')
      .on(t.tenantId, t.providerId, t.entityType)
      .where(sql`${t.active} AND ${t.missingRuns} > 0`),
    check('sis_external_links_entity_type_check', sql`${t.entityType} IN (${sqlList(ENTITY_TYPES)})`),
    check('sis_external_links_matched_by_check', sql`${t.matchedBy} IN (${sqlList(MATCH_RULES)})`),
  ],
);
