import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

import type { BlackoutWindow } from '../../domain/blackout.js';
import { PROVIDER_TYPES, type ProviderType } from '../../domain/provider-type.js';
import { RUN_STATUSES, type RunStatus } from '../../domain/run-status.js';
import { createdAt, instant, sqlList, updatedAt } from './columns.js';
import { tenants } from './tenancy.js';

export const sisProviders = pgTable(
  'sis_providers',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id),
    providerType: text('provider_type').$type<ProviderType>().notNull(),
    name: text('name').notNull(),
    /** AES-256-GCM ciphertext of the whole config (settings and secrets); see lib/secret-box. */
    configCiphertext: text('config_ciphertext').notNull(),
    /** Fingerprint of the key that encrypted the config, so keys can rotate. */
    configKeyId: text('config_key_id').notNull(),
    syncSchedule: text('sync_schedule'),
    syncTimezone: text('sync_timezone').notNull().default('UTC'),
    enabled: boolean('enabled').notNull().default(true),
    /** Local-date ranges in which scheduled runs are skipped (see domain/blackout). */
    blackoutWindows: jsonb('blackout_windows')
      .$type<BlackoutWindow[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** When the schedule next fires; null without a schedule or while disabled. */
    nextRunAt: instant('next_run_at'),
    /** The queued job that fires it; a job whose id is not this one is stale and does nothing. */
    scheduleJobId: uuid('schedule_job_id'),
    /** A run that would deactivate more than this share of an entity's active rows is held for review. */
    maxDeactivationRatio: doublePrecision('max_deactivation_ratio').notNull().default(0.1),
    /**
     * A record goes only after this many consecutive complete runs without it (1: the first run
     * that lacks it); until then its link stays active and counts `missing_runs`.
     */
    deactivationGraceRuns: integer('deactivation_grace_runs').notNull().default(1),
    lastSyncAt: instant('last_sync_at'),
    lastSyncStatus: text('last_sync_status').$type<RunStatus>(),
    createdBy: text('created_by').notNull(),
    updatedBy: text('updated_by').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    /** Deleted providers keep their runs, links and audit history; they are hidden from the API. */
    deletedAt: instant('deleted_at'),
  },
  (t) => [
    index('sis_providers_tenant_idx').on(t.tenantId),
    uniqueIndex('sis_providers_tenant_name_uq')
      .on(t.tenantId, sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} IS NULL`),
    check('sis_providers_type_check', sql`${t.providerType} IN (${sqlList(PROVIDER_TYPES)})`),
    check(
      'sis_providers_grace_runs_check',
      sql`${t.deactivationGraceRuns} >= 1 AND ${t.deactivationGraceRuns} <= 100`,
    ),
    check(
      'sis_providers_ratio_check',
      sql`${t.maxDeactivationRatio} >= 0 AND ${t.maxDeactivationRatio} <= 1`,
    ),
    check(
      'sis_providers_last_status_check',
      sql`${t.lastSyncStatus} IS NULL OR ${t.lastSyncStatus} IN (${sqlList(RUN_STATUSES)})`,
    ),
  ],
);
