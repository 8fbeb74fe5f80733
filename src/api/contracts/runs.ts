import Type, { type Static } from 'typebox';

import { DIAGNOSIS_CODES, DIAGNOSIS_SEVERITIES } from '../../domain/diagnosis.js';
import { ENTITY_TYPES, MATCH_RULES } from '../../domain/entity.js';
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

export const DiagnosisFindingSchema = Type.Object({
  code: Type.Enum(DIAGNOSIS_CODES),
  severity: Type.Enum(DIAGNOSIS_SEVERITIES, {
    description:
      'error: applying as is would very likely damage the roster; warning: a likely cause to check; info: a change sis-sync copes with.',
  }),
  entity: Type.Optional(Type.Enum(ENTITY_TYPES)),
  file: Type.Optional(Type.String({ description: 'The source file, as named in the package.' })),
  message: Type.String(),
  evidence: json('The facts behind the finding: headers before and after, counts, sample ids.'),
});
export type DiagnosisFinding = Static<typeof DiagnosisFindingSchema>;

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
    progress: json(
      'Progress while running: the entity being read and rows staged so far. Once loaded, inGrace counts per entity ' +
        "this provider's records in their grace period (missing from complete runs, not yet deactivated).",
    ),
    stats: Type.Record(Type.String(), EntityStatsSchema, {
      description: `Per entity (${ENTITY_TYPES.join(', ')}): what the run did, or for a held or dry run what it would do.`,
    }),
    incompleteEntities: Type.Array(Type.String(), {
      description: 'Entities whose pull was incomplete: nothing of theirs was deactivated.',
    }),
    heldReason: nullable(
      json(
        "For a held run: the entities whose removals crossed the threshold (`entities`) and, for a provider's first run into a roster other providers feed, the proposed re-links (`relinks`: per entity, records matched by each rule and records created).",
      ),
    ),
    diagnosis: nullable(
      Type.Array(DiagnosisFindingSchema, {
        description:
          "Likely causes of a large change, found by comparing the pull with the provider's last applied one before loading it, most severe first; null when there was none to compare with.",
      }),
    ),
    excluded: Type.Integer({
      description: 'Records the approval of a held run excluded: the run left them as they were.',
    }),
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

export const FieldChangeSchema = Type.Object({ old: Type.Unknown(), new: Type.Unknown() });
export type FieldChange = Static<typeof FieldChangeSchema>;

export const RunChangeSchema = Type.Object({
  id: Type.Integer(),
  entity: Type.Enum(ENTITY_TYPES),
  kind: Type.Enum(REVIEW_CHANGE_KINDS),
  entityId: nullable(Type.String({ format: 'uuid' })),
  externalId: Type.String(),
  label: nullable(Type.String()),
  fields: Type.Record(Type.String(), FieldChangeSchema, {
    description:
      'The API fields the change sets, old and new, as the roster API shows them (references as ids, dates as YYYY-MM-DD): for an update or reactivation those that differ, for a deactivation `active`, for a created record its values (old null).',
  }),
  matchedBy: nullable(
    Type.Enum(MATCH_RULES, {
      description:
        "For a record tied to an existing canonical record (another provider's): the rule that tied it.",
    }),
  ),
});
export type RunChange = Static<typeof RunChangeSchema>;

/** Query fields that narrow a run's listed changes. */
export const runChangeFilterFields = {
  entity: Type.Optional(Type.Enum(ENTITY_TYPES, { description: 'Only changes of this entity.' })),
  kind: Type.Optional(Type.Enum(REVIEW_CHANGE_KINDS, { description: 'Only changes of this kind.' })),
  field: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'Only changes that set this API field, e.g. familyName.',
    }),
  ),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Only changes whose label or external id contains this text (any case).',
    }),
  ),
};
export const RunChangeFilterSchema = Type.Object(runChangeFilterFields);
export type RunChangeFilter = Static<typeof RunChangeFilterSchema>;

export const RunChangeListSchema = Type.Object({
  changes: Type.Array(RunChangeSchema),
  ...page,
  counts: Type.Array(
    Type.Object({ entity: Type.Enum(ENTITY_TYPES), kind: Type.Enum(REVIEW_CHANGE_KINDS), n: Type.Integer() }),
    { description: 'For a filter bar: changes per entity and kind under the field and q filters alone.' },
  ),
  fields: Type.Array(Type.String(), { description: 'Every API field that the run’s listed changes set.' }),
});
export type RunChangeList = Static<typeof RunChangeListSchema>;

/** The most records one approval may exclude: the changes a run lists per entity and kind. */
export const MAX_EXCLUDED_RECORDS = 10_000;

export const ApproveBodySchema = Type.Object(
  {
    exclude: Type.Optional(
      Type.Array(
        Type.Object(
          { entity: Type.Enum(ENTITY_TYPES), externalId: Type.String({ minLength: 1, maxLength: 255 }) },
          { additionalProperties: false },
        ),
        {
          maxItems: MAX_EXCLUDED_RECORDS,
          description: 'Listed changes of the run to leave out: those records stay as they are.',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ApproveBody = Static<typeof ApproveBodySchema>;

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

export const ApproveResponseSchema = Type.Object({
  ...TriggerResponseSchema.properties,
  excluded: Type.Integer({ description: 'Records the approval leaves as they are.' }),
});

export const ConnectionTestSchema = Type.Object({
  ok: Type.Boolean(),
  summary: Type.String(),
  details: json('What the connector reached.'),
  error: nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  durationMs: Type.Integer(),
});

export const GraceRecordSchema = Type.Object({
  entity: Type.Enum(ENTITY_TYPES),
  externalId: Type.String({ description: "The provider's id of the record." }),
  entityId: Type.String({ format: 'uuid', description: 'The canonical record, still active.' }),
  label: nullable(Type.String({ description: 'A short name, as the run changes show it.' })),
  missingRuns: Type.Integer({ description: 'Consecutive complete runs that lacked it.' }),
  runsLeft: Type.Integer({
    description: 'Further complete runs without it before it is deactivated (1: the next one).',
  }),
  lastSeenRunId: nullable(
    Type.String({
      format: 'uuid',
      description: "The provider's last applied run before the first that lacked it.",
    }),
  ),
  lastSeenAt: nullable(Type.String({ format: 'date-time', description: 'When that run finished.' })),
});
export type GraceRecord = Static<typeof GraceRecordSchema>;

export const GraceListSchema = Type.Object({
  records: Type.Array(GraceRecordSchema),
  nextCursor: nullable(Type.String({ description: 'Pass as cursor for the next page; null on the last.' })),
});
export type GraceList = Static<typeof GraceListSchema>;

export const GraceQuerySchema = Type.Object({
  entity: Type.Optional(Type.Enum(ENTITY_TYPES, { description: 'Only records of this entity.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
});

export const PageQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

export const RunParamsSchema = Type.Object({ runId: Type.String({ format: 'uuid' }) });
