/**
 * The API's shapes, from the server's own contracts: the UI never re-declares one. Type-only
 * imports, so nothing of the server reaches the bundle.
 */
import type { Static } from 'typebox';

import type { ErrorCode, ErrorEnvelope } from '../../../src/api/contracts/errors';
import type {
  BlackoutWindowSchema,
  CreateProviderBody,
  Provider,
  ProviderListSchema,
  ProviderTypeInfo,
  ProviderTypeListSchema,
  UpcomingRunSchema,
  UpdateProviderBody,
} from '../../../src/api/contracts/providers';
import type {
  ApproveBody,
  ApproveResponseSchema,
  ConnectionTestSchema,
  DiagnosisFinding,
  EntityStatsSchema,
  GraceList,
  GraceRecord,
  Run,
  FieldChange,
  RunChange,
  RunChangeFilter,
  RunChangeListSchema,
  RunDetailSchema,
  RunError,
  RunErrorFilter,
  RunListSchema,
  SyncStatusSchema,
  TriggerResponseSchema,
} from '../../../src/api/contracts/runs';
import type { SchedulePreview } from '../../../src/api/contracts/schedules';
import type { DevToken, DevTokenBody, Me, SignInOptions } from '../../../src/api/contracts/session';

export type {
  ApproveBody,
  CreateProviderBody,
  GraceList,
  GraceRecord,
  DevToken,
  DevTokenBody,
  DiagnosisFinding,
  ErrorCode,
  ErrorEnvelope,
  Me,
  Provider,
  ProviderTypeInfo,
  Run,
  FieldChange,
  RunChange,
  RunChangeFilter,
  RunError,
  SignInOptions,
  RunErrorFilter,
  SchedulePreview,
  UpdateProviderBody,
};

export type ProviderList = Static<typeof ProviderListSchema>;
export type ProviderTypeList = Static<typeof ProviderTypeListSchema>;
export type BlackoutWindow = Static<typeof BlackoutWindowSchema>;
export type UpcomingRun = Static<typeof UpcomingRunSchema>;
export type ConnectionTest = Static<typeof ConnectionTestSchema>;
export type EntityStats = Static<typeof EntityStatsSchema>;
export type RunDetail = Static<typeof RunDetailSchema>;
export type RunList = Static<typeof RunListSchema>;
export type RunChangeList = Static<typeof RunChangeListSchema>;
export type ApproveResponse = Static<typeof ApproveResponseSchema>;
/** A record of a run, as a reviewer excludes it from an approval. */
export type ExcludedRecord = NonNullable<ApproveBody['exclude']>[number];
export type SyncStatus = Static<typeof SyncStatusSchema>;
export type TriggerResponse = Static<typeof TriggerResponseSchema>;

export type RunStatus = Run['status'];
export type RunTrigger = Run['trigger'];
export type ChangeKind = RunChange['kind'];
export type EntityType = RunChange['entity'];
export type MatchRule = NonNullable<RunChange['matchedBy']>;
export type ProviderType = Provider['providerType'];
export type Role = Me['roles'][number];
export type FieldIssue = NonNullable<NonNullable<ErrorEnvelope['error']['details']>['issues']>[number];
