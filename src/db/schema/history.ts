import { sql } from 'drizzle-orm';
import { check, date, index, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

import { ENTITY_TYPES } from '../../domain/entity.js';
import { createdAt, instant, sqlList } from './columns.js';
import { sisSyncRuns } from './runs.js';

/*
 * What lets an admin look back and go back: the records a reviewer kept out of an approved run,
 * the state a run overwrote (so it can be undone), and the periods in which each enrollment was
 * active.
 */

/** Records an admin excluded when approving a held run: the approved load leaves them as they were. */
export const sisSyncRunExclusions = pgTable(
  'sis_sync_run_exclusions',
  {
    runId: uuid('run_id')
      .notNull()
      .references(() => sisSyncRuns.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    entity: text('entity').notNull(),
    externalId: text('external_id').notNull(),
    excludedBy: text('excluded_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'sis_sync_run_exclusions_pk', columns: [t.runId, t.entity, t.externalId] }),
    check('sis_sync_run_exclusions_entity_check', sql`${t.entity} IN (${sqlList(ENTITY_TYPES)})`),
  ],
);

/**
 * A canonical record as it was before an applied run changed it (updated, reactivated or
 * deactivated), so the run can be undone. Records the run created have no image: the change feed
 * says which they were. Kept as long as the run's staging (the retention period).
 */
export const sisRunRecordImages = pgTable(
  'sis_run_record_images',
  {
    tenantId: text('tenant_id').notNull(),
    runId: uuid('run_id').notNull(),
    entity: text('entity').notNull(),
    entityId: uuid('entity_id').notNull(),
    /** The row's columns before the run, by SQL column name. */
    before: jsonb('before').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({ name: 'sis_run_record_images_pk', columns: [t.tenantId, t.runId, t.entity, t.entityId] }),
    check('sis_run_record_images_entity_check', sql`${t.entity} IN (${sqlList(ENTITY_TYPES)})`),
  ],
);

/**
 * A provider link as it was before an applied run changed it. Links the run created have no
 * image: their `first_seen_run_id` is the run.
 */
export const sisRunLinkImages = pgTable(
  'sis_run_link_images',
  {
    tenantId: text('tenant_id').notNull(),
    runId: uuid('run_id').notNull(),
    providerId: uuid('provider_id').notNull(),
    entityType: text('entity_type').notNull(),
    externalId: text('external_id').notNull(),
    /** The link's columns before the run, by SQL column name. */
    before: jsonb('before').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    primaryKey({
      name: 'sis_run_link_images_pk',
      columns: [t.tenantId, t.runId, t.entityType, t.externalId],
    }),
    check('sis_run_link_images_entity_check', sql`${t.entityType} IN (${sqlList(ENTITY_TYPES)})`),
  ],
);

/**
 * The periods in which an enrollment was active: one opens when the enrollment is created or comes
 * back, and closes when it goes, so a mid-year move leaves a history instead of an overwrite.
 * `begin_date` / `end_date` are the SIS's dates for the period where it gave them.
 */
export const enrollmentPeriods = pgTable(
  'enrollment_periods',
  {
    tenantId: text('tenant_id').notNull(),
    id: uuid('id')
      .notNull()
      .default(sql`gen_random_uuid()`),
    enrollmentId: uuid('enrollment_id').notNull(),
    beginDate: date('begin_date'),
    endDate: date('end_date'),
    openedAt: instant('opened_at').notNull(),
    closedAt: instant('closed_at'),
    openedByRunId: uuid('opened_by_run_id'),
    closedByRunId: uuid('closed_by_run_id'),
  },
  (t) => [
    primaryKey({ name: 'enrollment_periods_pk', columns: [t.tenantId, t.id] }),
    index('enrollment_periods_enrollment_idx').on(t.tenantId, t.enrollmentId, t.openedAt),
    // At most one open period per enrollment.
    uniqueIndex('enrollment_periods_open_uq')
      .on(t.tenantId, t.enrollmentId)
      .where(sql`${t.closedAt} IS NULL`),
  ],
);
