import { sql } from 'drizzle-orm';

import type { Database } from '../db/client.js';
import { ENTITY_TYPES, type EntityType } from '../domain/entity.js';
import { PROVIDER_TYPES, type ProviderType } from '../domain/provider-type.js';
import { RUN_STATUSES, type RunStatus } from '../domain/run-status.js';

/*
 * The run figures of /metrics, read from the database at each scrape rather than counted in the
 * process: every instance of a deployment then reports the same numbers, whichever instance ran
 * the sync, and they survive restarts. Each query is one aggregate over `sis_sync_runs`.
 */

/** Upper bounds of the run duration buckets, in seconds: a small CSV package (1 s) to a large first sync (2 h). */
export const RUN_DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200] as const;

/** What a run did to a record, as its `stats` count it (`errors` is not something applied). */
export const APPLIED_KINDS = ['created', 'updated', 'deactivated', 'reactivated', 'unchanged'] as const;
export type AppliedKind = (typeof APPLIED_KINDS)[number];

/** Runs whose stats were written to the roster (a dry run's or a held run's were not). */
const APPLIED_STATUSES = ['SUCCESS', 'PARTIAL'] as const satisfies readonly RunStatus[];

export interface RunCount {
  providerType: ProviderType;
  status: RunStatus;
  runs: number;
}

export interface RunDurations {
  providerType: ProviderType;
  status: RunStatus;
  /** Cumulative: runs that took at most each of RUN_DURATION_BUCKETS, in that order. */
  buckets: number[];
  count: number;
  sumSeconds: number;
}

export interface AppliedRecords {
  entity: EntityType;
  kind: AppliedKind;
  records: number;
}

export interface DatabaseFigures {
  runs: RunCount[];
  durations: RunDurations[];
  applied: AppliedRecords[];
}

/** Counts come back as float8: a bigint would arrive as a string, and sums over years of runs outgrow int4. */
export async function readDatabaseFigures(db: Database): Promise<DatabaseFigures> {
  return {
    runs: await readRunCounts(db),
    durations: await readRunDurations(db),
    applied: await readAppliedRecords(db),
  };
}

async function readRunCounts(db: Database): Promise<RunCount[]> {
  const result = await db.execute(sql`
    SELECT p.provider_type, r.status, count(*)::float8 AS runs
    FROM sis_sync_runs r JOIN sis_providers p ON p.id = r.provider_id
    GROUP BY p.provider_type, r.status`);
  return rowsOf<{ provider_type: string; status: string; runs: number }>(result).flatMap((row) => {
    const providerType = providerTypeOf(row.provider_type);
    const status = statusOf(row.status);
    return providerType === undefined || status === undefined
      ? []
      : [{ providerType, status, runs: row.runs }];
  });
}

/**
 * From a worker taking the run to its end, over runs that ended after starting (a run cancelled
 * while PENDING or a SKIPPED one has no duration). A held run that was approved or discarded
 * includes the time it waited for review. Negative spans (clocks of two instances) count as 0.
 */
async function readRunDurations(db: Database): Promise<RunDurations[]> {
  const buckets = sql.join(
    RUN_DURATION_BUCKETS.map(
      (le, i) => sql`count(*) FILTER (WHERE seconds <= ${le})::float8 AS ${sql.identifier(`le_${i}`)}`,
    ),
    sql`, `,
  );
  const result = await db.execute(sql`
    SELECT provider_type, status, count(*)::float8 AS count, coalesce(sum(seconds), 0)::float8 AS sum, ${buckets}
    FROM (
      SELECT p.provider_type, r.status,
        greatest(extract(epoch FROM r.finished_at - r.started_at), 0) AS seconds
      FROM sis_sync_runs r JOIN sis_providers p ON p.id = r.provider_id
      WHERE r.started_at IS NOT NULL AND r.finished_at IS NOT NULL
    ) AS finished
    GROUP BY provider_type, status`);
  type Row = { provider_type: string; status: string; count: number; sum: number } & Partial<
    Record<`le_${number}`, number>
  >;
  return rowsOf<Row>(result).flatMap((row) => {
    const providerType = providerTypeOf(row.provider_type);
    const status = statusOf(row.status);
    if (providerType === undefined || status === undefined) return [];
    return [
      {
        providerType,
        status,
        buckets: RUN_DURATION_BUCKETS.map((_le, i) => row[`le_${i}`] ?? 0),
        count: row.count,
        sumSeconds: row.sum,
      },
    ];
  });
}

/** Sums the per-entity counts of the `stats` of every applied run that was not a dry run. */
async function readAppliedRecords(db: Database): Promise<AppliedRecords[]> {
  const result = await db.execute(sql`
    SELECT e.entity, k.kind, coalesce(sum((e.counts ->> k.kind)::float8), 0)::float8 AS records
    FROM sis_sync_runs r
    CROSS JOIN LATERAL jsonb_each(r.stats) AS e(entity, counts)
    CROSS JOIN unnest(${sql.param(APPLIED_KINDS)}::text[]) AS k(kind)
    WHERE r.status = ANY(${sql.param(APPLIED_STATUSES)}::text[]) AND NOT r.dry_run
      AND jsonb_typeof(e.counts) = 'object'
    GROUP BY e.entity, k.kind`);
  return rowsOf<{ entity: string; kind: string; records: number }>(result).flatMap((row) => {
    const entity = ENTITY_TYPES.find((e) => e === row.entity);
    const kind = APPLIED_KINDS.find((k) => k === row.kind);
    return entity === undefined || kind === undefined ? [] : [{ entity, kind, records: row.records }];
  });
}

const rowsOf = <Row>(result: unknown): Row[] => (result as { rows: Row[] }).rows;

/** Only known values become labels: a label value is never free text from a row. */
const providerTypeOf = (value: string): ProviderType | undefined => PROVIDER_TYPES.find((t) => t === value);
const statusOf = (value: string): RunStatus | undefined => RUN_STATUSES.find((s) => s === value);
