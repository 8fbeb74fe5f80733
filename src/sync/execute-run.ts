import { sql } from 'drizzle-orm';

import type { Connector, ExtractMode, IncompleteEntity, SourceFileFacts } from '../connectors/connector.js';
import { ConnectorError } from '../connectors/connector.js';
import type { CopyRow, DatabaseHandle, Executor, Transaction } from '../db/client.js';
import { sisSyncRunErrors } from '../db/schema/index.js';
import { sqlSessionOf } from '../db/sql-session.js';
import { ENTITY_TYPES, type EntityType, type RunStats } from '../domain/entity.js';
import type { RecordError } from '../domain/records.js';
import type { Logger } from '../lib/logger.js';
import { isConnectionLost } from '../lib/pg-errors.js';
import { safeError } from '../lib/safe-error.js';
import { storableText } from '../lib/storable.js';
import type { ProviderRow } from '../repositories/providers-repository.js';
import {
  copyEntityWarnings,
  countEntityErrors,
  excludedCount,
  findLastAppliedRun,
  findRun,
  insertRunErrors,
  isCancelRequested,
  replaceRunChanges,
  transitionRun,
  updateRun,
  type NewRunError,
  type RunRow,
} from '../repositories/runs-repository.js';
import { diagnoseRun, fileFactsOf } from './diagnose/diagnose-run.js';
import { loadRun, type LoadOutcome, type LoadScopes } from './load/load-run.js';
import { prepareRun } from './load/prepare.js';
import { relinkReview } from './load/relinks.js';
import { REFERENCES } from './load/references.js';
import { finalStatus, withErrors, type ErrorTally } from './run-outcome.js';
import { stopwatch, withLoadTimes, type RunTimings } from './run-timings.js';
import { stagingCopyTarget, stagingRows } from './stage/staging-writer.js';
import { undoRun } from './undo-run.js';

export interface SyncEngineDeps {
  handle: DatabaseHandle;
  logger: Logger;
  /** The provider with its decrypted config; undefined once deleted. */
  loadProvider(id: string): Promise<{ row: ProviderRow; config: Record<string, unknown> } | undefined>;
  /** The connector for a provider, from the registry. */
  createConnector(row: ProviderRow, config: Record<string, unknown>): Connector;
  /** Changes listed per entity and kind on a run; beyond it they are only counted. */
  changeCap?: number;
  /** Told of each run's end: webhooks, metrics. */
  observer?: RunObserver;
  /**
   * Hold a provider's first run into a roster other providers feed, with the proposed re-links
   * (SIS_SYNC_FIRST_RUN_REVIEW; default true).
   */
  firstRunReview?: boolean;
}

/** What the rest of the service learns of a run from the engine. */
export interface RunObserver {
  /**
   * Inside the transaction that applies the run, after its final state is written: whatever must
   * exist exactly when the run's changes do (webhook notices and their jobs).
   */
  applied?(tx: Transaction, run: RunRow): Promise<void>;
  /**
   * Once a run this process executed reached its end or a hold, outside any transaction. A
   * failure here is logged; it never changes the run.
   */
  ended?(run: RunRow): Promise<void>;
}

class RunCancelledError extends Error {
  constructor() {
    super('cancelled on request');
  }
}

/** What a held run needs to be applied later exactly as previewed. */
interface HeldPlan {
  scopes: LoadScopes;
  pulled: EntityType[];
  incomplete: EntityType[];
  /** Entities skipped as unchanged, with the records their links hold (reported as unchanged). */
  skipped?: Partial<Record<EntityType, number>>;
  /**
   * The provider's grace period when the run was held: approving applies what was reviewed.
   * Plans held before grace periods existed have none (1).
   */
  graceRuns?: number;
}

/** The run was taken away while it loaded (its worker was presumed dead): its load must not commit. */
export class RunLostError extends Error {
  constructor(runId: string) {
    super(`run ${runId} was given up while it loaded (no heartbeat within SYNC_LOCK_TIMEOUT); rolled back`);
  }
}

/**
 * One sync run, from the moment a worker claimed it (IN_PROGRESS, see jobs/run-job) to its end: extract from the connector entity by entity into staging,
 * prepare (validate references, match users), then load everything in one transaction, or hold
 * it for review, or (a dry run) only preview it. Any failure leaves the roster as it was.
 */
export async function executeRun(deps: SyncEngineDeps, runId: string): Promise<RunRow | undefined> {
  const started = await findRun(deps.handle.db, runId);
  if (started?.status !== 'IN_PROGRESS' || started.phase !== 'extracting') return started;
  if (started.undoesRunId !== null) return ended(deps, await undo(deps, started));
  return ended(deps, await syncRun(deps, started));
}

/** An undo run extracts nothing: it reverts its target run (sync/undo-run.ts). */
async function undo(deps: SyncEngineDeps, run: RunRow): Promise<RunRow | undefined> {
  try {
    return await undoRun(deps, run);
  } catch (error) {
    return fail(deps, run.id, error, deps.logger.child({ runId: run.id, providerId: run.providerId }));
  }
}

/** Applies a held run after approval: the same staging, the same plan, no threshold. */
export async function applyApprovedRun(deps: SyncEngineDeps, runId: string): Promise<RunRow | undefined> {
  const run = await findRun(deps.handle.db, runId);
  if (run?.status !== 'IN_PROGRESS' || run.phase !== 'approved') return run;
  return ended(deps, await applyRun(deps, run));
}

async function ended(deps: SyncEngineDeps, run: RunRow | undefined): Promise<RunRow | undefined> {
  if (run === undefined || deps.observer?.ended === undefined) return run;
  try {
    await deps.observer.ended(run);
  } catch (error) {
    deps.logger.warn({ runId: run.id, error: safeError(error) }, 'could not report the end of a run');
  }
  return run;
}

async function syncRun(deps: SyncEngineDeps, started: RunRow): Promise<RunRow | undefined> {
  const { db } = deps.handle;
  const run = started;
  const runId = run.id;
  const log = deps.logger.child({ runId, providerId: run.providerId });
  const cancellation = cancellationCheck(deps, runId);
  try {
    // Cancelled while it waited (a shutdown cancels queued runs too): do not reach the provider.
    await cancellation();
    const provider = await deps.loadProvider(run.providerId);
    if (provider === undefined) throw new ConnectorError('not_found', 'the provider was deleted');
    const clock = stopwatch();
    const extraction = await extract(deps, started, provider, cancellation, log);
    const extractMs = clock.lap();
    await updateRun(db, runId, { phase: 'preparing' });
    // A skipped entity is neither prepared nor a complete snapshot: its references resolve
    // through the links its last load left, which are exactly its unchanged file's records.
    const completeSnapshots = new Set(
      extraction.loaded.filter(
        (e) => extraction.modes[e] === 'snapshot' && !extraction.incomplete.includes(e),
      ),
    );
    await db.transaction((tx) =>
      prepareRun(sqlSessionOf(tx), {
        runId,
        tenantId: run.tenantId,
        providerId: run.providerId,
        present: new Set(extraction.loaded),
        incomplete: new Set(extraction.incomplete),
        completeSnapshots,
      }),
    );
    await recordDiagnosis(deps, run, log, {
      runId,
      tenantId: run.tenantId,
      providerId: run.providerId,
      completeSnapshots,
      loaded: new Set(extraction.loaded),
      threshold: provider.row.maxDeactivationRatio,
      fileFacts: extraction.fileFacts,
      lastGood: extraction.lastApplied,
    });
    const timings: RunTimings = {
      extractMs,
      prepareMs: clock.lap(),
      loadMs: 0,
      entities: extraction.timings,
    };
    const plan: HeldPlan = {
      scopes: scopesOf(extraction.modes, extraction.incomplete, extraction.loaded),
      pulled: extraction.pulled,
      incomplete: extraction.incomplete,
      skipped: extraction.skipped,
      graceRuns: provider.row.deactivationGraceRuns,
    };
    return await load(deps, started, plan, {
      maxDeactivationRatio: provider.row.maxDeactivationRatio,
      firstIntoSharedRoster: await isFirstIntoSharedRoster(deps, run),
      preview: run.dryRun,
      cancellation,
      timings,
    });
  } catch (error) {
    return fail(deps, runId, error, log);
  }
}

async function applyRun(deps: SyncEngineDeps, run: RunRow): Promise<RunRow | undefined> {
  const { db } = deps.handle;
  const runId = run.id;
  const log = deps.logger.child({ runId, providerId: run.providerId });
  await updateRun(db, runId, { phase: 'loading' });
  try {
    const plan = (run.heldReason as { plan?: HeldPlan } | null)?.plan;
    if (plan === undefined) throw new Error('the held run has no load plan');
    // Extraction and preparation happened before the hold; their times stay as they were.
    const held = (run.progress as { timings?: RunTimings } | null)?.timings;
    return await load(deps, run, plan, {
      maxDeactivationRatio: null,
      firstIntoSharedRoster: false,
      preview: false,
      cancellation: cancellationCheck(deps, runId),
      timings: held ?? { extractMs: 0, prepareMs: 0, loadMs: 0, entities: {} },
    });
  } catch (error) {
    return fail(deps, runId, error, log);
  }
}

interface Extraction {
  modes: Record<EntityType, ExtractMode>;
  /** Every entity of the pull, skipped or not. */
  pulled: EntityType[];
  /** The entities read and staged: `pulled` without `skipped`. */
  loaded: EntityType[];
  incomplete: EntityType[];
  skipped: Partial<Record<EntityType, number>>;
  timings: RunTimings['entities'];
  /** What each source file looked like, this pull's and, for skipped entities, the last applied run's. */
  fileFacts: Record<string, SourceFileFacts>;
  lastApplied: RunRow | undefined;
}

async function extract(
  deps: SyncEngineDeps,
  run: RunRow,
  provider: { row: ProviderRow; config: Record<string, unknown> },
  cancellation: (db?: Executor) => Promise<void>,
  log: Logger,
): Promise<Extraction> {
  const { db } = deps.handle;
  const abort = new AbortController();
  const connector = deps.createConnector(provider.row, provider.config);
  const lastApplied = await findLastAppliedRun(db, run.providerId);
  const lastCheckpoint = lastApplied?.checkpoint?.value;
  const session = await connector.open({
    signal: abort.signal,
    logger: log,
    checkpoint: typeof lastCheckpoint === 'string' ? lastCheckpoint : null,
  });
  const fingerprints: Partial<Record<EntityType, string>> = {};
  const skipped: Partial<Record<EntityType, number>> = {};
  const target = { runId: run.id, tenantId: run.tenantId, providerId: run.providerId };
  const staged: Partial<Record<EntityType, number>> = {};
  const incomplete = new Map<EntityType, IncompleteEntity[]>();
  const timings: RunTimings['entities'] = {};
  try {
    await updateRun(db, run.id, { sourceInfo: { ...session.sourceInfo, modes: session.modes } });
    await insertRunErrors(
      db,
      session.warnings.map((w) => toRunError(run, null, w)),
    );
    let lastProgress = 0;
    for (const entity of ENTITY_TYPES) {
      if (session.modes[entity] === 'absent') continue;
      const clock = stopwatch();
      const fingerprint = session.modes[entity] === 'snapshot' ? await session.fingerprint?.(entity) : null;
      if (typeof fingerprint === 'string') fingerprints[entity] = fingerprint;
      const unchanged = await unchangedSinceLastLoad(deps, run, lastApplied, entity, fingerprint, skipped);
      if (unchanged !== null) {
        skipped[entity] = unchanged;
        timings[entity] = { extractMs: clock.lap(), skipped: true };
        log.info({ entity }, `${entity}: unchanged since run ${lastApplied?.id}, not read again`);
        continue;
      }
      staged[entity] = 0;
      const onIncomplete = (problem: IncompleteEntity) => {
        incomplete.set(entity, [...(incomplete.get(entity) ?? []), problem]);
      };
      // The connector's batches become staging rows; the database takes them while the next batch
      // is read (on PostgreSQL), and pulls no faster than it writes.
      async function* rows(): AsyncGenerator<CopyRow[]> {
        for await (const batch of session.extract(entity, onIncomplete)) {
          await cancellation();
          const written = stagingRows(target, entity, batch.records, batch.errors);
          staged[entity] = (staged[entity] ?? 0) + written.staged + written.invalid;
          if (batch.errors.length > 0) {
            await insertRunErrors(
              db,
              batch.errors.map((e) => toRunError(run, entity, e)),
            );
          }
          if (written.rows.length > 0) yield written.rows;
          if (Date.now() - lastProgress > 1000) {
            lastProgress = Date.now();
            await updateRun(db, run.id, { progress: { phase: 'extracting', entity, staged } });
          }
        }
      }
      await deps.handle.copyFrom(stagingCopyTarget(entity), rows());
      timings[entity] = { extractMs: clock.lap() };
    }
  } catch (error) {
    abort.abort();
    throw error;
  } finally {
    await session.close();
  }
  const fileFacts = { ...factsOfSkipped(lastApplied, skipped), ...session.fileFacts };
  await updateRun(db, run.id, {
    sourceInfo: {
      ...session.sourceInfo,
      modes: session.modes,
      fingerprints,
      ...(session.fileFacts === undefined ? {} : { fileFacts }),
    },
  });
  await guardEmptySnapshots(deps, run, session.modes, staged, incomplete, skipped);
  // A pull with an incomplete entity is no base for a delta: the next one starts over in full.
  const checkpoint = incomplete.size === 0 ? (session.checkpoint ?? null) : null;
  await updateRun(db, run.id, { checkpoint: checkpoint === null ? null : { value: checkpoint } });
  const problems = [...incomplete.values()].flat();
  if (problems.length > 0) {
    await insertRunErrors(
      db,
      problems.map((p) => ({
        ...toRunError(run, p.entity, {
          externalId: null,
          field: null,
          code: p.code,
          message: `${p.message}; nothing of ${p.entity} is deactivated in this run`,
          source: p.source,
        }),
      })),
    );
  }
  await updateRun(db, run.id, {
    progress: { phase: 'extracted', staged },
    incompleteEntities: [...incomplete.keys()],
  });
  const pulled = ENTITY_TYPES.filter((e) => session.modes[e] !== 'absent');
  return {
    modes: session.modes,
    pulled,
    loaded: pulled.filter((e) => skipped[e] === undefined),
    incomplete: [...incomplete.keys()],
    skipped,
    timings,
    fileFacts,
    lastApplied,
  };
}

/** A skipped entity's files are the last applied run's: so are their facts, for the next comparison. */
function factsOfSkipped(
  lastApplied: RunRow | undefined,
  skipped: Partial<Record<EntityType, number>>,
): Record<string, SourceFileFacts> {
  if (lastApplied === undefined) return {};
  return Object.fromEntries(
    Object.entries(fileFactsOf(lastApplied)).filter(([, facts]) => skipped[facts.entity] !== undefined),
  );
}

/**
 * Names on the run the likely causes of a large change (see sync/diagnose). It only informs: a
 * failure here is logged and leaves the diagnosis unset, never the run failed.
 */
async function recordDiagnosis(
  deps: SyncEngineDeps,
  run: RunRow,
  log: Logger,
  input: Parameters<typeof diagnoseRun>[1],
): Promise<void> {
  try {
    const diagnosis = await diagnoseRun(deps.handle.db, input);
    await updateRun(deps.handle.db, run.id, { diagnosis });
  } catch (error) {
    log.warn({ error: safeError(error) }, 'could not diagnose the pull');
  }
}

/**
 * An entity need not be read again when its source is byte-for-byte what the last applied run
 * loaded (equal fingerprints), that run recorded no error on it, had all of it and excluded
 * nothing on approval, every entity it refers to is skipped too (so no reference can resolve
 * differently), and none of its records is in grace (each complete run without them counts, so it
 * must be read). Its warnings are carried over. Returns the records its links hold (reported as
 * unchanged), or null to read it.
 */
async function unchangedSinceLastLoad(
  deps: SyncEngineDeps,
  run: RunRow,
  lastApplied: RunRow | undefined,
  entity: EntityType,
  fingerprint: string | null | undefined,
  skipped: Partial<Record<EntityType, number>>,
): Promise<number | null> {
  if (typeof fingerprint !== 'string' || lastApplied === undefined) return null;
  const before = (lastApplied.sourceInfo as { fingerprints?: Partial<Record<EntityType, string>> } | null)
    ?.fingerprints?.[entity];
  if (before !== fingerprint || lastApplied.incompleteEntities.includes(entity)) return null;
  // An approval that excluded records left the roster short of its files: read them again.
  if (excludedCount(lastApplied) > 0) return null;
  if (REFERENCES[entity].some((r) => r.target !== entity && skipped[r.target] === undefined)) return null;
  const { db } = deps.handle;
  if ((await countEntityErrors(db, lastApplied.id, entity)) > 0) return null;
  if (await hasRecordsInGrace(deps, run, entity)) return null;
  await copyEntityWarnings(db, lastApplied.id, run.id, entity);
  return activeLinks(deps, run, entity);
}

/** How many records of an entity this run's provider stands for now (its active links). */
async function activeLinks(deps: SyncEngineDeps, run: RunRow, entity: EntityType): Promise<number> {
  const rows = await deps.handle.db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM sis_external_links
        WHERE tenant_id = ${run.tenantId} AND provider_id = ${run.providerId} AND entity_type = ${entity} AND active`,
  );
  return (rows as { rows: { n: number }[] }).rows[0]?.n ?? 0;
}

/** Whether the run's provider has records of the entity in grace (the grace index answers). */
async function hasRecordsInGrace(deps: SyncEngineDeps, run: RunRow, entity: EntityType): Promise<boolean> {
  const rows = await deps.handle.db.execute<{ found: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM sis_external_links
        WHERE tenant_id = ${run.tenantId} AND provider_id = ${run.providerId} AND entity_type = ${entity}
          AND active AND missing_runs > 0) AS found`,
  );
  return (rows as { rows: { found: boolean }[] }).rows[0]?.found ?? false;
}

/**
 * A provider's first run (none applied yet) into a roster that other providers already feed (they
 * link records of the tenant): what it would tie to existing records, or add beside them, is
 * reviewed before anything is applied.
 */
async function isFirstIntoSharedRoster(deps: SyncEngineDeps, run: RunRow): Promise<boolean> {
  if (deps.firstRunReview === false) return false;
  if ((await findLastAppliedRun(deps.handle.db, run.providerId)) !== undefined) return false;
  const rows = await deps.handle.db.execute<{ shared: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM sis_providers p WHERE p.tenant_id = ${run.tenantId} AND p.id <> ${run.providerId}
          AND EXISTS (SELECT 1 FROM sis_external_links l WHERE l.tenant_id = ${run.tenantId} AND l.provider_id = p.id))
        AS shared`,
  );
  return (rows as { rows: { shared: boolean }[] }).rows[0]?.shared === true;
}

/**
 * A snapshot that arrives empty while this provider holds records of it is far likelier a broken
 * export than a district without students: it is treated as incomplete, so nothing is deactivated.
 */
async function guardEmptySnapshots(
  deps: SyncEngineDeps,
  run: RunRow,
  modes: Record<EntityType, ExtractMode>,
  staged: Partial<Record<EntityType, number>>,
  incomplete: Map<EntityType, IncompleteEntity[]>,
  skipped: Partial<Record<EntityType, number>>,
): Promise<void> {
  for (const entity of ENTITY_TYPES) {
    if (modes[entity] !== 'snapshot' || incomplete.has(entity) || skipped[entity] !== undefined) continue;
    if ((staged[entity] ?? 0) > 0) continue;
    const known = await activeLinks(deps, run, entity);
    if (known > 0) {
      incomplete.set(entity, [
        {
          entity,
          code: 'empty_snapshot',
          message: `the ${entity} snapshot is empty while the last sync had ${known} active ${entity}`,
          source: {},
        },
      ]);
    }
  }
}

function scopesOf(
  modes: Record<EntityType, ExtractMode>,
  incomplete: readonly EntityType[],
  loaded: readonly EntityType[],
): LoadScopes {
  const scopes: LoadScopes = {};
  for (const entity of loaded) {
    const mode = modes[entity];
    scopes[entity] = incomplete.includes(entity) ? 'none' : mode === 'snapshot' ? 'snapshot' : 'tombstones';
  }
  return scopes;
}

async function load(
  deps: SyncEngineDeps,
  run: RunRow,
  plan: HeldPlan,
  options: {
    maxDeactivationRatio: number | null;
    /** Held for review of the proposed re-links whatever it would do (see isFirstIntoSharedRoster). */
    firstIntoSharedRoster: boolean;
    preview: boolean;
    cancellation: () => Promise<void>;
    timings: RunTimings;
  },
): Promise<RunRow | undefined> {
  const { db } = deps.handle;
  await updateRun(db, run.id, { phase: options.preview ? 'previewing' : 'loading' });
  const clock = stopwatch();
  const timingsOf = (outcome: LoadOutcome) => withLoadTimes(options.timings, clock.lap(), outcome.loadMs);
  const errors = await tallyErrors(deps, run.id);
  const status = finalStatus({ errors, incomplete: plan.incomplete, pulled: plan.pulled });
  const statsOf = (outcome: LoadOutcome): RunStats =>
    withErrors({ ...skippedStats(plan.skipped), ...outcome.stats }, errors, plan.pulled);
  if (status === 'FAILURE') {
    // Nothing of the pull can be trusted, so nothing of it is applied: a failure leaves the
    // roster exactly as it was (the errors already name each incomplete entity).
    return transitionRun(db, run.id, 'IN_PROGRESS', 'FAILURE', {
      stats: withErrors({}, errors, plan.pulled),
      errorCode: 'incomplete_pull',
      errorMessage: `every entity of the pull was incomplete (${plan.incomplete.join(', ')}); nothing was applied`,
      progress: { phase: 'done', timings: options.timings },
      phase: 'done',
      finishedAt: new Date(),
    });
  }
  const changeRows = (outcome: LoadOutcome) =>
    outcome.changes.map((c) => ({
      runId: run.id,
      tenantId: run.tenantId,
      entity: c.entity,
      kind: c.kind,
      entityId: c.entityId,
      externalId: c.externalId,
      label: c.label,
      fields: c.fields,
      matchedBy: c.matchedBy ?? null,
    }));
  const outcome = await loadRun(db, {
    ctx: { runId: run.id, tenantId: run.tenantId, providerId: run.providerId },
    scopes: plan.scopes,
    maxDeactivationRatio: options.maxDeactivationRatio,
    deactivationGraceRuns: plan.graceRuns ?? 1,
    holdForReview: options.firstIntoSharedRoster,
    mode: options.preview ? 'preview' : 'apply',
    changeCap: deps.changeCap ?? 10_000,
    throwIfCancelled: options.cancellation,
    onApplied: async (tx: Transaction, applied) => {
      await replaceRunChanges(tx, run.id, changeRows(applied));
      const finished = await transitionRun(tx, run.id, 'IN_PROGRESS', status, {
        stats: statsOf(applied),
        progress: {
          phase: 'done',
          changesTruncated: applied.truncated,
          inGrace: applied.inGrace,
          timings: timingsOf(applied),
        },
        phase: 'done',
        finishedAt: new Date(),
      });
      if (finished === undefined) throw new RunLostError(run.id);
      await deps.observer?.applied?.(tx, finished);
    },
  });
  if (outcome.applied) return findRun(db, run.id);
  // Nothing was applied: a dry run, or a held run. Keep what it would have done, for review.
  const timings = timingsOf(outcome);
  await replaceRunChanges(db, run.id, changeRows(outcome));
  const relinks = options.firstIntoSharedRoster
    ? { relinks: relinkReview(outcome.relinks, outcome.stats) }
    : {};
  const wouldHold = outcome.held.length > 0 || options.firstIntoSharedRoster;
  if (wouldHold && !options.preview) {
    return transitionRun(db, run.id, 'IN_PROGRESS', 'HELD', {
      stats: statsOf(outcome),
      heldReason: { entities: outcome.held, ...relinks, plan },
      progress: { phase: 'held', changesTruncated: outcome.truncated, inGrace: outcome.inGrace, timings },
      phase: 'held',
    });
  }
  return transitionRun(db, run.id, 'IN_PROGRESS', status, {
    stats: statsOf(outcome),
    heldReason: wouldHold ? { entities: outcome.held, ...relinks, plan } : null,
    progress: {
      phase: 'done',
      changesTruncated: outcome.truncated,
      inGrace: outcome.inGrace,
      wouldHold,
      timings,
    },
    phase: 'done',
    finishedAt: new Date(),
  });
}

function skippedStats(skipped: HeldPlan['skipped'] = {}): LoadOutcome['stats'] {
  const stats: LoadOutcome['stats'] = {};
  for (const [entity, unchanged] of Object.entries(skipped) as [EntityType, number][]) {
    stats[entity] = { created: 0, updated: 0, unchanged, deactivated: 0, reactivated: 0 };
  }
  return stats;
}

async function tallyErrors(deps: SyncEngineDeps, runId: string): Promise<ErrorTally> {
  const rows = await deps.handle.db
    .select({ entity: sisSyncRunErrors.entity, n: sql<number>`count(*)::int` })
    .from(sisSyncRunErrors)
    .where(sql`${sisSyncRunErrors.runId} = ${runId} AND ${sisSyncRunErrors.severity} = 'error'`)
    .groupBy(sisSyncRunErrors.entity);
  const tally: ErrorTally = { byEntity: {}, other: 0 };
  for (const row of rows) {
    if (row.entity === null) tally.other += row.n;
    else tally.byEntity[row.entity as EntityType] = row.n;
  }
  return tally;
}

async function fail(
  deps: SyncEngineDeps,
  runId: string,
  error: unknown,
  log: Logger,
): Promise<RunRow | undefined> {
  const { db } = deps.handle;
  if (error instanceof RunLostError) {
    // Another worker already recorded its end (FAILURE, worker_lost); nothing to add.
    log.warn(error.message);
    return findRun(db, runId);
  }
  const cancelled = error instanceof RunCancelledError;
  const lost = !cancelled && !(error instanceof ConnectorError) && isConnectionLost(error);
  const code = cancelled
    ? 'cancelled'
    : error instanceof ConnectorError
      ? error.code
      : lost
        ? 'database_unavailable'
        : 'internal_error';
  const message = cancelled
    ? 'cancelled on request; nothing was applied'
    : error instanceof ConnectorError
      ? error.message
      : lost
        ? `the connection to the database was lost (${safeError(error).message}); nothing was applied`
        : `the sync stopped on an unexpected error (${safeError(error).message}); nothing was applied`;
  if (cancelled) log.info('run cancelled');
  else if (error instanceof ConnectorError || lost) log.warn({ code }, `run failed: ${message}`);
  else log.error({ error: safeError(error) }, 'run failed');
  return whenDatabaseIsBack(log, () =>
    transitionRun(db, runId, 'IN_PROGRESS', cancelled ? 'CANCELLED' : 'FAILURE', {
      errorCode: code,
      errorMessage: message,
      phase: 'done',
      finishedAt: new Date(),
    }),
  );
}

/** How long a run whose database went away keeps trying to record its end (a restart, a failover). */
const RECORD_END_PATIENCE_MS = 60_000;

/**
 * Runs `write`, again while the database cannot be reached, for up to RECORD_END_PATIENCE_MS: a run
 * whose load died with its connection must still end FAILURE once the server is back, rather than
 * stay IN_PROGRESS, holding its provider, until a worker gives it up for want of a heartbeat.
 */
async function whenDatabaseIsBack<T>(log: Logger, write: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + RECORD_END_PATIENCE_MS;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5_000)) {
    try {
      return await write();
    } catch (error) {
      if (!isConnectionLost(error) || Date.now() + wait > deadline) throw error;
      log.warn({ error: safeError(error) }, `the database cannot be reached; trying again in ${wait} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * Throws when a cancel was requested; asks at most every half second. Inside a transaction it
 * must ask through that transaction.
 */
function cancellationCheck(deps: SyncEngineDeps, runId: string): (db?: Executor) => Promise<void> {
  let lastAsked = 0;
  return async (db = deps.handle.db) => {
    if (Date.now() - lastAsked < 500) return;
    lastAsked = Date.now();
    if (await isCancelRequested(db, runId)) throw new RunCancelledError();
  };
}

function toRunError(run: RunRow, entity: EntityType | null, error: RecordError): NewRunError {
  return {
    runId: run.id,
    tenantId: run.tenantId,
    entity,
    // Messages quote what was read, which may hold what a text column cannot (a NUL byte).
    externalId: error.externalId === null ? null : storableText(error.externalId),
    sourceFile: error.source.file ?? null,
    sourceLine: error.source.line ?? null,
    sourcePage: error.source.page ?? null,
    field: error.field === null ? null : storableText(error.field),
    code: error.code,
    message: storableText(error.message),
    severity: error.severity ?? 'error',
  };
}
