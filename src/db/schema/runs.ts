import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

import type { DiagnosisFinding } from '../../domain/diagnosis.js';
import type { RunStats } from '../../domain/entity.js';
import { ENTITY_TYPES } from '../../domain/entity.js';
import { ACTIVE_RUN_STATUSES, RUN_STATUSES, type RunStatus } from '../../domain/run-status.js';
import { createdAt, instant, sqlList } from './columns.js';
import { sisProviders } from './providers.js';

/** What started a run: the schedule, a person through the API, or the local operator at the command line. */
export const RUN_TRIGGERS = ['SCHEDULE', 'MANUAL', 'CLI'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const sisSyncRuns = pgTable(
  'sis_sync_runs',
  {
    id: uuid('id')
      .primaryKey()
      .default(sql`gen_random_uuid()`),
    tenantId: text('tenant_id').notNull(),
    providerId: uuid('provider_id')
      .notNull()
      .references(() => sisProviders.id),
    status: text('status').$type<RunStatus>().notNull().default('PENDING'),
    trigger: text('trigger').$type<(typeof RUN_TRIGGERS)[number]>().notNull(),
    /** Token subject of the person who asked for the run; null for scheduled runs. */
    triggeredBy: text('triggered_by'),
    dryRun: boolean('dry_run').notNull().default(false),
    /** Where a running sync is: queued, extracting, loading, ... */
    phase: text('phase'),
    progress: jsonb('progress').$type<Record<string, unknown>>().notNull().default({}),
    stats: jsonb('stats').$type<RunStats>().notNull().default({}),
    /** Entities whose pull was incomplete: nothing of theirs was deactivated. */
    incompleteEntities: text('incomplete_entities')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Connector checkpoints (cursors, event ids) to resume or to start the next delta from. */
    checkpoint: jsonb('checkpoint').$type<Record<string, unknown>>(),
    /** Why a run was held for review: counts and thresholds per entity. */
    heldReason: jsonb('held_reason').$type<Record<string, unknown>>(),
    /**
     * Likely causes of a large change, found by comparing the pull with the last good one before
     * the load (renamed headers, header-only files, lost leading zeros, ...); null: not examined.
     */
    diagnosis: jsonb('diagnosis').$type<DiagnosisFinding[]>(),
    /** Set on an undo run: the applied run whose changes it reverts. */
    undoesRunId: uuid('undoes_run_id'),
    reviewedBy: text('reviewed_by'),
    reviewedAt: instant('reviewed_at'),
    /** Set by a cancel request; the run stops at its next batch boundary and rolls back. */
    cancelRequestedAt: instant('cancel_requested_at'),
    /** What the connector reported about the source (package version, system name, ...). */
    sourceInfo: jsonb('source_info').$type<Record<string, unknown>>(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    workerId: text('worker_id'),
    heartbeatAt: instant('heartbeat_at'),
    createdAt: createdAt(),
    startedAt: instant('started_at'),
    finishedAt: instant('finished_at'),
  },
  (t) => [
    index('sis_sync_runs_provider_created_idx').on(t.providerId, t.createdAt),
    index('sis_sync_runs_tenant_created_idx').on(t.tenantId, t.createdAt),
    // One run per provider at a time, enforced by the database itself.
    uniqueIndex('sis_sync_runs_one_active_uq')
      .on(t.providerId)
      .where(sql`${t.status} IN (${sqlList(ACTIVE_RUN_STATUSES)})`),
    check('sis_sync_runs_status_check', sql`${t.status} IN (${sqlList(RUN_STATUSES)})`),
    check('sis_sync_runs_trigger_check', sql`${t.trigger} IN (${sqlList(RUN_TRIGGERS)})`),
  ],
);

/** A record the run could not take, with enough to find it in the source. */
export const sisSyncRunErrors = pgTable(
  'sis_sync_run_errors',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid('run_id')
      .notNull()
      .references(() => sisSyncRuns.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    entity: text('entity'),
    externalId: text('external_id'),
    /** File name (CSV) or request path (API). */
    sourceFile: text('source_file'),
    sourceLine: integer('source_line'),
    /** Page number or cursor for API sources. */
    sourcePage: text('source_page'),
    field: text('field'),
    code: text('code').notNull(),
    message: text('message').notNull(),
    /** `warning`: reported, but does not make the run PARTIAL. */
    severity: text('severity').$type<'error' | 'warning'>().notNull().default('error'),
    createdAt: createdAt(),
  },
  (t) => [
    index('sis_sync_run_errors_run_idx').on(t.runId, t.id),
    check('sis_sync_run_errors_severity_check', sql`${t.severity} IN ('error', 'warning')`),
    check(
      'sis_sync_run_errors_entity_check',
      sql`${t.entity} IS NULL OR ${t.entity} IN (${sqlList(ENTITY_TYPES)})`,
    ),
  ],
);

export const CHANGE_KINDS = ['created', 'updated', 'deactivated', 'reactivated'] as const;
/**
 * What a reviewed change may also be: `linked`, a provider record tied to a canonical record
 * that already existed (another provider's, by a matching rule) with no value changed, which a
 * first run of a new provider shows as a proposed re-link. The change feed never carries it.
 */
export const REVIEW_CHANGE_KINDS = [...CHANGE_KINDS, 'linked'] as const;
export type ReviewChangeKind = (typeof REVIEW_CHANGE_KINDS)[number];
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/**
 * The records a held or dry run would change, for review: which record, how, and a label an
 * admin recognises (a name, an email).
 */
export const sisSyncRunChanges = pgTable(
  'sis_sync_run_changes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid('run_id')
      .notNull()
      .references(() => sisSyncRuns.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    entity: text('entity').notNull(),
    kind: text('kind').$type<ReviewChangeKind>().notNull(),
    entityId: uuid('entity_id'),
    externalId: text('external_id').notNull(),
    label: text('label'),
    /** The API fields an update or reactivation would change: `{ field: { old, new } }`. */
    fields: jsonb('fields').$type<Record<string, { old: unknown; new: unknown }>>(),
    /** For a record tied to an existing canonical record: the rule that tied it. */
    matchedBy: text('matched_by'),
    createdAt: createdAt(),
  },
  (t) => [
    index('sis_sync_run_changes_run_idx').on(t.runId, t.entity, t.kind, t.id),
    check('sis_sync_run_changes_kind_check', sql`${t.kind} IN (${sqlList(REVIEW_CHANGE_KINDS)})`),
    check('sis_sync_run_changes_entity_check', sql`${t.entity} IN (${sqlList(ENTITY_TYPES)})`),
  ],
);
