import Type, { type Static } from 'typebox';

import { MAX_BLACKOUT_REASON_LENGTH, MAX_BLACKOUT_WINDOWS } from '../../domain/blackout.js';
import { MAX_GRACE_RUNS, MIN_GRACE_RUNS } from '../../domain/grace.js';
import { PROVIDER_TYPES } from '../../domain/provider-type.js';
import { TENANT_ID_PATTERN } from '../../domain/roles.js';
import { RUN_STATUSES } from '../../domain/run-status.js';
import { SCHEDULE_PRESETS } from '../../domain/schedule.js';
import { nullable } from './nullable.js';

export const ProviderTypeSchema = Type.Enum(PROVIDER_TYPES, { description: 'Which kind of SIS source.' });

export const TenantIdSchema = Type.String({
  pattern: TENANT_ID_PATTERN,
  description: 'Tenant (district) id, as the host application names it.',
});

const configDescription =
  'Settings and credentials; the shape depends on providerType (GET /api/v1/provider-types lists each schema). ' +
  'Secrets come back as "********". On update, a secret that is omitted or sent as "********" keeps its stored value, and null removes it.';

const scheduleDescription =
  `A five-field cron expression (minute hour day month weekday) or a preset: ${Object.keys(SCHEDULE_PRESETS).join(', ')}. ` +
  'null: no scheduled runs.';

const configSchema = Type.Record(Type.String(), Type.Unknown(), { description: configDescription });

const ratioSchema = Type.Number({
  minimum: 0,
  maximum: 1,
  description:
    "A run that would deactivate more than this share of an entity's active records is held for review (default 0.1).",
});

const graceRunsSchema = Type.Integer({
  minimum: MIN_GRACE_RUNS,
  maximum: MAX_GRACE_RUNS,
  description:
    'A record is deactivated only after this many consecutive complete runs without it (default 1: the first run ' +
    'that lacks it). Until then it stays active, in grace (GET /api/v1/providers/{providerId}/grace lists them).',
});

const blackoutDateDescription = 'A calendar date, YYYY-MM-DD, in the provider time zone (syncTimezone).';

const blackoutWindowFields = {
  start: Type.String({ description: `First day of the window. ${blackoutDateDescription}` }),
  end: Type.String({ description: `Last day of the window, on or after start. ${blackoutDateDescription}` }),
};

const blackoutWindowsDescription =
  'Whole local days (first and last included) in which scheduled runs are skipped and recorded as SKIPPED; ' +
  'manual runs still go. Windows may overlap; they come back sorted by start.';

export const BlackoutWindowSchema = Type.Object({
  ...blackoutWindowFields,
  reason: nullable(Type.String({ description: 'Why, shown with the skipped runs.' })),
});

const BlackoutWindowInputSchema = Type.Object(
  {
    ...blackoutWindowFields,
    reason: Type.Optional(
      nullable(
        Type.String({
          description: `Why, shown with the skipped runs; at most ${MAX_BLACKOUT_REASON_LENGTH} characters once trimmed. Empty or null: none.`,
        }),
      ),
    ),
  },
  { additionalProperties: false },
);

const blackoutWindowsInputSchema = Type.Array(BlackoutWindowInputSchema, {
  maxItems: MAX_BLACKOUT_WINDOWS,
  description: `${blackoutWindowsDescription} At most ${MAX_BLACKOUT_WINDOWS}. On update, the list sent replaces the stored one.`,
});

export const UpcomingRunSchema = Type.Object({
  at: Type.String({ format: 'date-time', description: 'When the schedule fires.' }),
  skipped: nullable(
    Type.String({
      description:
        'The blackout window that skips this run, e.g. "blackout window 2027-06-20 to 2027-08-15 (summer rollover)"; null: it runs.',
    }),
  ),
});

export const ProviderSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    tenantId: Type.String(),
    providerType: ProviderTypeSchema,
    name: Type.String(),
    config: configSchema,
    syncSchedule: nullable(Type.String({ description: scheduleDescription })),
    syncTimezone: Type.String({ description: 'IANA time zone the schedule runs in.' }),
    enabled: Type.Boolean(),
    maxDeactivationRatio: ratioSchema,
    deactivationGraceRuns: graceRunsSchema,
    lastSyncAt: nullable(Type.String({ format: 'date-time' })),
    lastSyncStatus: nullable(Type.Enum(RUN_STATUSES)),
    blackoutWindows: Type.Array(BlackoutWindowSchema, { description: blackoutWindowsDescription }),
    nextSyncAt: nullable(
      Type.String({
        format: 'date-time',
        description:
          'Next scheduled run that no blackout window skips; null when disabled, without a schedule, ' +
          'or when none falls in the next 366 days.',
      }),
    ),
    upcomingRuns: Type.Array(UpcomingRunSchema, {
      description:
        'The next 5 times the schedule fires, each with the blackout window that skips it; empty when disabled or without a schedule.',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Provider' },
);
export type Provider = Static<typeof ProviderSchema>;

export const ProviderListSchema = Type.Object({ providers: Type.Array(ProviderSchema) });

const nameSchema = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const timezoneSchema = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA time zone; default UTC.',
});

export const CreateProviderBodySchema = Type.Object(
  {
    tenantId: TenantIdSchema,
    providerType: ProviderTypeSchema,
    name: nameSchema,
    config: configSchema,
    syncSchedule: Type.Optional(nullable(Type.String({ maxLength: 200, description: scheduleDescription }))),
    syncTimezone: Type.Optional(timezoneSchema),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    maxDeactivationRatio: Type.Optional(ratioSchema),
    deactivationGraceRuns: Type.Optional(graceRunsSchema),
    blackoutWindows: Type.Optional(blackoutWindowsInputSchema),
  },
  { additionalProperties: false },
);
export type CreateProviderBody = Static<typeof CreateProviderBodySchema>;

export const UpdateProviderBodySchema = Type.Object(
  {
    name: Type.Optional(nameSchema),
    config: Type.Optional(configSchema),
    syncSchedule: Type.Optional(nullable(Type.String({ maxLength: 200, description: scheduleDescription }))),
    syncTimezone: Type.Optional(timezoneSchema),
    enabled: Type.Optional(Type.Boolean()),
    maxDeactivationRatio: Type.Optional(ratioSchema),
    deactivationGraceRuns: Type.Optional(graceRunsSchema),
    blackoutWindows: Type.Optional(blackoutWindowsInputSchema),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateProviderBody = Static<typeof UpdateProviderBodySchema>;

export const TenantParamsSchema = Type.Object({ tenantId: TenantIdSchema });
export const ProviderParamsSchema = Type.Object({ providerId: Type.String({ format: 'uuid' }) });

export const ProviderTypeInfoSchema = Type.Object({
  type: ProviderTypeSchema,
  displayName: Type.String(),
  description: Type.String(),
  configSchema: Type.Object({}, { additionalProperties: true, description: 'JSON Schema of the config.' }),
  secretFields: Type.Array(Type.String(), {
    description: 'Dotted paths of the config fields that are secrets.',
  }),
});
export const ProviderTypeListSchema = Type.Object({ providerTypes: Type.Array(ProviderTypeInfoSchema) });
export type ProviderTypeInfo = Static<typeof ProviderTypeInfoSchema>;
