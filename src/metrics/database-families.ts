import { ENTITY_TYPES } from '../domain/entity.js';
import { PROVIDER_TYPES } from '../domain/provider-type.js';
import { ACTIVE_RUN_STATUSES, TERMINAL_RUN_STATUSES, type RunStatus } from '../domain/run-status.js';
import { histogramSamples, type ComputedFamily, type Sample } from './computed-family.js';
import {
  APPLIED_KINDS,
  RUN_DURATION_BUCKETS,
  type AppliedKind,
  type DatabaseFigures,
} from './database-figures.js';

/** Jobs queued and not yet taken, per queue, as read at the scrape. */
export type QueuedJobs = readonly { queue: string; jobs: number }[];

const FROM_DATABASE =
  'Read from the database at each scrape: every instance reports the same figures, and they survive restarts.';

/**
 * The families of /metrics that come from the database. Label sets a dashboard or an alert
 * expects are present at 0 before anything happened (every provider type and status, every
 * entity and kind), so that `increase()` sees the first run; labels are only provider types,
 * run statuses, entities, kinds and queue names, never a tenant, a provider or a person.
 */
export function databaseFamilies(figures: DatabaseFigures, queued: QueuedJobs): ComputedFamily[] {
  const runs = (status: RunStatus, providerType: string) =>
    figures.runs.find((r) => r.status === status && r.providerType === providerType)?.runs ?? 0;
  const byTypeAndStatus = (statuses: readonly RunStatus[]): Sample[] =>
    PROVIDER_TYPES.flatMap((providerType) =>
      statuses.map((status) => ({
        labels: { provider_type: providerType, status },
        value: runs(status, providerType),
      })),
    );
  const applied = (entity: string, kind: AppliedKind) =>
    figures.applied.find((a) => a.entity === entity && a.kind === kind)?.records ?? 0;

  return [
    {
      name: 'sis_sync_runs_total',
      help: `Sync runs that reached a final status, by provider type and status. ${FROM_DATABASE}`,
      type: 'counter',
      samples: byTypeAndStatus(TERMINAL_RUN_STATUSES),
    },
    {
      name: 'sis_sync_runs_unfinished',
      help: `Sync runs waiting (PENDING), executing (IN_PROGRESS) or held for review (HELD), by provider type and status. ${FROM_DATABASE}`,
      type: 'gauge',
      samples: byTypeAndStatus(ACTIVE_RUN_STATUSES),
    },
    {
      name: 'sis_sync_run_duration_seconds',
      help: `Duration of sync runs from start to end (a held run includes its wait for review), by provider type and final status. ${FROM_DATABASE}`,
      type: 'histogram',
      samples: figures.durations.flatMap((d) =>
        histogramSamples(
          'sis_sync_run_duration_seconds',
          { provider_type: d.providerType, status: d.status },
          RUN_DURATION_BUCKETS,
          d.buckets,
          d.count,
          d.sumSeconds,
        ),
      ),
    },
    {
      name: 'sis_sync_records_applied_total',
      help: `Records that applied sync runs (SUCCESS or PARTIAL, not dry runs) created, updated, deactivated, reactivated or found unchanged, by entity and kind. ${FROM_DATABASE}`,
      type: 'counter',
      samples: ENTITY_TYPES.flatMap((entity) =>
        APPLIED_KINDS.map((kind) => ({ labels: { entity, kind }, value: applied(entity, kind) })),
      ),
    },
    {
      name: 'sis_sync_queue_jobs',
      help: `Jobs queued and not yet taken, by queue (due or not: a schedule's next fire waits there). ${FROM_DATABASE}`,
      type: 'gauge',
      samples: queued.map(({ queue, jobs }) => ({ labels: { queue }, value: jobs })),
    },
  ];
}
