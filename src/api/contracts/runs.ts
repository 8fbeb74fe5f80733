import Type, { type Static } from 'typebox';

import { ENTITY_TYPES } from '../../domain/entity.js';
import { RUN_STATUSES } from '../../domain/run-status.js';
import { REVIEW_CHANGE_KINDS, RUN_TRIGGERS } from '../../db/schema/index.js';
import { nullable } from './nullable.js';

const dateTime = Type.String({ format: 'date-time' });
const json = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

export const EntityStatsSchema = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  deactivated: Type.Integer(),
  reactivated: Type.Integer(),
  errors: Type.Integer(),
});

export const RunSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tenantId: Type.String(),
    providerId: Type.String({ format: 'uuid' }),
    status: Type.Enum(RUN_STATUSES),
    trigger: Type.Enum(RUN_TRIGGERS, { description: 'SCHEDULE, MANUAL (API) or CLI.' }),
    triggeredBy: nullable(Type.String({ description: 'Token subject of whoever asked for the run.' })),
    dryRun: Type.Boolean(),
    phase: nullable(
      Type.String({ description: 'extracting, preparing, loading, previewing, held, approved, done.' }),
    ),
    progress: json('Progress while running: the entity being read and rows staged so far.'),
    stats: Type.Record(Type.String(), EntityStatsSchema, {
      description: `Per entity (${ENTITY_TYPES.join(', ')}): what the run did, or for a held or dry run what it would do.`,
    }),
    incompleteEntities: Type.Array(Type.String(), {
      description: 'Entities whose pull was incomplete: nothing of theirs was deactivated.',
    }),
    heldReason: nullable(json('For a held run: the entities whose removals crossed the threshold.')),
    reviewedBy: nullable(Type.String()),
    reviewedAt: nullable(dateTime),
    errorCode: nullable(Type.String()),
    errorMessage: nullable(Type.String()),
    sourceInfo: nullable(json('What the connector reported about the source.')),
    cancelRequested: Type.Boolean(),
    undoesRunId: nullable(
      Type.String({
        format: 'uuid',
        description: 'On an undo run: the applied run whose changes it reverts.',
      }),
    ),
    undoneByRunId: Type.Optional(
      nullable(
        Type.String({
          format: 'uuid',
          description:
            'The undo run that reverted this run, once it committed. Given by GET /runs/:runId and the run lists.',
        }),
      ),
    ),
    createdAt: dateTime,
    startedAt: nullable(dateTime),
    finishedAt: nullable(dateTime),
    durationMs: nullable(Type.Integer()),
  },
  { description: 'A sync run.' },
);
export type Run = Static<typeof RunSchema>;

export const RUN_ERROR_SEVERITIES = ['error', 'warning'] as const;

export const RunErrorSchema = Type.Object({
  id: Type.Integer(),
  entity: nullable(Type.String()),
  externalId: nullable(Type.String()),
  file: nullable(Type.String()),
  line: nullable(Type.Integer()),
  page: nullable(Type.String()),
  field: nullable(Type.String()),
  code: Type.String(),
  message: Type.String(),
  severity: Type.Enum(RUN_ERROR_SEVERITIES),
});
export type RunError = Static<typeof RunErrorSchema>;

const page = {
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
};

/** Query fields that narrow a run's errors: each one given must match exactly. */
export const runErrorFilterFields = {
  entity: Type.Optional(Type.Enum(ENTITY_TYPES, { description: 'Only errors of this entity.' })),
  severity: Type.Optional(
    Type.Enum(RUN_ERROR_SEVERITIES, {
      description: 'error: the record was not applied; warning: it was, with something dropped.',
    }),
  ),
  code: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'Only errors with this code, e.g. missing_required.',
    }),
  ),
};
export const RunErrorFilterSchema = Type.Object(runErrorFilterFields);
export type RunErrorFilter = Static<typeof RunErrorFilterSchema>;

export const RunDetailSchema = Type.Object({
  run: RunSchema,
  errors: Type.Object({ items: Type.Array(RunErrorSchema), ...page }),
});

export const RunListSchema = Type.Object({ runs: Type.Array(RunSchema), ...page });

export const RunChangeSchema = Type.Object({
  id: Type.Integer(),
  entity: Type.Enum(ENTITY_TYPES),
  kind: Type.Enum(REVIEW_CHANGE_KINDS),
  entityId: nullable(Type.String({ format: 'uuid' })),
  externalId: Type.String(),
  label: nullable(Type.String()),
});
export type RunChange = Static<typeof RunChangeSchema>;
export const RunChangeListSchema = Type.Object({ changes: Type.Array(RunChangeSchema), ...page });

export const SyncStatusSchema = Type.Object({
  isRunning: Type.Boolean(),
  lastSync: nullable(dateTime),
  lastStatus: nullable(Type.Enum(RUN_STATUSES)),
  currentRun: nullable(RunSchema),
  latestRun: nullable(RunSchema),
});

export const TriggerResponseSchema = Type.Object({
  runId: Type.String({ format: 'uuid' }),
  status: Type.Enum(RUN_STATUSES),
  dryRun: Type.Boolean(),
});

export const ConnectionTestSchema = Type.Object({
  ok: Type.Boolean(),
  summary: Type.String(),
  details: json('What the connector reached.'),
  error: nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  durationMs: Type.Integer(),
});

export const PageQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

export const RunParamsSchema = Type.Object({ runId: Type.String({ format: 'uuid' }) });
