import type { Connector } from '../connectors/connector.js';
import { ConnectorError } from '../connectors/connector.js';
import type { Database } from '../db/client.js';
import {
  ConflictError,
  InvalidRunStateError,
  NotFoundError,
  ProviderDisabledError,
  RunNotUndoableError,
  SyncAlreadyRunningError,
  ValidationError,
} from '../domain/errors.js';
import { canAccessTenant, type Principal } from '../domain/roles.js';
import type { Logger } from '../lib/logger.js';
import { safeError } from '../lib/safe-error.js';
import { recordAudit } from '../repositories/audit-log-repository.js';
import { findProvider, type ProviderRow } from '../repositories/providers-repository.js';
import { isRunDataPruned } from '../repositories/retention-repository.js';
import {
  createRun,
  findActiveRun,
  findLatestRun,
  findRun,
  findUndoneBy,
  listProviderRuns,
  listRunErrors,
  readRunErrors,
  requestCancel,
  transitionRun,
  type RunErrorFilter,
  type RunRow,
} from '../repositories/runs-repository.js';
import {
  findUnlistedChanges,
  insertRunExclusions,
  listRunChanges,
  type RunChangeFilter,
  type RunRecordRef,
} from '../repositories/run-review-repository.js';
import type { RunTrigger } from '../db/schema/index.js';
import type { EntityType } from '../domain/entity.js';
import { listGraceRecords } from './grace.js';
import type { RunDispatcher } from './runner.js';

export interface RunServiceDeps {
  db: Database;
  runs: RunDispatcher;
  logger: Logger;
  loadProvider(id: string): Promise<{ row: ProviderRow; config: Record<string, unknown> } | undefined>;
  createConnector(row: ProviderRow, config: Record<string, unknown>): Connector;
  /** How long a connection test may take. */
  testTimeoutMs?: number;
}

export interface Actor {
  principal: Principal;
  requestId?: string | undefined;
}

export interface ConnectionTestResult {
  ok: boolean;
  summary: string;
  details: Record<string, unknown>;
  error: { code: string; message: string } | null;
  durationMs: number;
}

/** Starting, watching, reviewing and cancelling sync runs, under the tenant rules. */
export function createRunService(deps: RunServiceDeps) {
  const visibleProvider = async (actor: Actor, id: string): Promise<ProviderRow> => {
    const row = await findProvider(deps.db, id);
    if (row === undefined || !canAccessTenant(actor.principal, row.tenantId)) {
      throw new NotFoundError('provider', id);
    }
    return row;
  };
  const visibleRun = async (actor: Actor, id: string): Promise<RunRow> => {
    const run = await findRun(deps.db, id);
    if (run === undefined || !canAccessTenant(actor.principal, run.tenantId)) {
      throw new NotFoundError('run', id);
    }
    return run;
  };
  const audit = (
    actor: Actor,
    tenantId: string,
    action: string,
    targetType: string,
    targetId: string,
    details = {},
  ) =>
    recordAudit(deps.db, {
      tenantId,
      actor: actor.principal,
      action,
      targetType,
      targetId,
      details,
      requestId: actor.requestId,
    });

  return {
    /** Starts a run in the background; refuses a disabled provider and a second run. */
    async trigger(
      actor: Actor,
      providerId: string,
      options: { dryRun: boolean; trigger?: RunTrigger },
    ): Promise<RunRow> {
      const provider = await visibleProvider(actor, providerId);
      if (!provider.enabled) throw new ProviderDisabledError();
      // The run and its job are one write: no run waits for a job that was never queued.
      const created = await deps.db.transaction(async (tx) => {
        const result = await createRun(tx, {
          tenantId: provider.tenantId,
          providerId,
          trigger: options.trigger ?? 'MANUAL',
          triggeredBy: actor.principal.subject,
          dryRun: options.dryRun,
        });
        if (result.created) {
          await deps.runs.dispatch(tx, { kind: 'sync', runId: result.run.id, providerId });
        }
        return result;
      });
      if (!created.created) throw new SyncAlreadyRunningError(created.active.id, created.active.status);
      deps.runs.dispatched();
      await audit(
        actor,
        provider.tenantId,
        options.dryRun ? 'sync.dry_run' : 'sync.trigger',
        'run',
        created.run.id,
        { providerId },
      );
      return created.run;
    },

    /** Cancels the provider's running sync: at once if it has not started, else at its next batch. */
    async cancel(actor: Actor, providerId: string): Promise<RunRow> {
      const provider = await visibleProvider(actor, providerId);
      const active = await findActiveRun(deps.db, providerId);
      if (active === undefined) {
        throw new InvalidRunStateError('(none)', 'not running', 'PENDING or IN_PROGRESS');
      }
      if (active.status === 'HELD') {
        throw new InvalidRunStateError(active.id, 'HELD', 'running (discard a held run)');
      }
      if (active.status === 'PENDING') {
        const cancelled = await transitionRun(deps.db, active.id, 'PENDING', 'CANCELLED', {
          finishedAt: new Date(),
          errorCode: 'cancelled',
          errorMessage: 'cancelled before it started',
        });
        if (cancelled !== undefined) {
          await audit(actor, provider.tenantId, 'sync.cancel', 'run', active.id, { providerId });
          return cancelled;
        }
      }
      // Running (or it started just now): it stops at its next batch and rolls back.
      await requestCancel(deps.db, active.id);
      await audit(actor, provider.tenantId, 'sync.cancel', 'run', active.id, { providerId });
      return (await findRun(deps.db, active.id)) ?? active;
    },

    async status(actor: Actor, providerId: string) {
      const provider = await visibleProvider(actor, providerId);
      const active = await findActiveRun(deps.db, providerId);
      const latest = await findLatestRun(deps.db, providerId);
      return { provider, active, latest };
    },

    async listRuns(actor: Actor, providerId: string, page: { limit: number; offset: number }) {
      await visibleProvider(actor, providerId);
      const listed = await listProviderRuns(deps.db, providerId, page);
      const undoneBy = await findUndoneBy(
        deps.db,
        listed.runs.map((r) => r.id),
      );
      return { ...listed, undoneBy };
    },

    /** The provider's records in their grace period, paged by entity and external id. */
    async listGrace(
      actor: Actor,
      providerId: string,
      query: { entity?: EntityType | undefined; limit: number; cursor?: string | undefined },
    ) {
      const provider = await visibleProvider(actor, providerId);
      return listGraceRecords(deps.db, provider, query);
    },

    async getRun(
      actor: Actor,
      runId: string,
      errorsPage: { limit: number; offset: number },
      errorsFilter: RunErrorFilter = {},
    ) {
      const run = await visibleRun(actor, runId);
      const errors = await listRunErrors(deps.db, runId, errorsPage, errorsFilter);
      const undoneBy = (await findUndoneBy(deps.db, [runId])).get(runId) ?? null;
      return { run, errors, undoneBy };
    },

    /**
     * Every error of a run that the filter keeps, in chunks, for an export. The run is checked
     * here, before anything is read, so a refusal comes before the first byte of a response.
     */
    async exportErrors(actor: Actor, runId: string, filter: RunErrorFilter) {
      const run = await visibleRun(actor, runId);
      return { run, chunks: readRunErrors(deps.db, runId, filter) };
    },

    async listChanges(
      actor: Actor,
      runId: string,
      filter: RunChangeFilter & { limit: number; offset: number },
    ) {
      await visibleRun(actor, runId);
      return listRunChanges(deps.db, runId, filter);
    },

    /**
     * Applies a held run as staged, in the background, but for the listed changes the reviewer
     * excludes: those records (and any that need an excluded new one) are left as they are.
     */
    async approve(actor: Actor, runId: string, options: { exclude?: RunRecordRef[] } = {}): Promise<RunRow> {
      const run = await visibleRun(actor, runId);
      if (run.status !== 'HELD') throw new InvalidRunStateError(runId, run.status, 'HELD');
      // A deleted provider's roster is not applied any more; its held run can only be discarded.
      if ((await findProvider(deps.db, run.providerId)) === undefined) {
        throw new ConflictError(`the provider of run ${runId} was deleted; the run can only be discarded`);
      }
      const exclude = [
        ...new Map((options.exclude ?? []).map((r) => [`${r.entity}\u0000${r.externalId}`, r])).values(),
      ];
      const unlisted = exclude.length === 0 ? [] : await findUnlistedChanges(deps.db, runId, exclude);
      if (unlisted.length > 0) {
        throw new ValidationError(
          unlisted.map(({ index, record }) => ({
            path: `exclude/${index}`,
            message: `${record.entity} ${record.externalId} is not a change listed for run ${runId}`,
          })),
        );
      }
      // Approved and queued at once; it holds no worker slot until a worker takes it.
      const approved = await deps.db.transaction(async (tx) => {
        const moved = await transitionRun(tx, runId, 'HELD', 'IN_PROGRESS', {
          phase: 'approved',
          reviewedBy: actor.principal.subject,
          reviewedAt: new Date(),
          workerId: null,
          heartbeatAt: null,
          heldReason: { ...run.heldReason, excluded: exclude.length },
        });
        if (moved !== undefined) {
          const excludedBy = actor.principal.subject;
          await insertRunExclusions(tx, { runId, tenantId: run.tenantId, excludedBy }, exclude);
          await deps.runs.dispatch(tx, { kind: 'apply', runId, providerId: run.providerId });
        }
        return moved;
      });
      if (approved === undefined) {
        throw new InvalidRunStateError(runId, (await findRun(deps.db, runId))?.status ?? '?', 'HELD');
      }
      deps.runs.dispatched();
      await audit(actor, run.tenantId, 'run.approve', 'run', runId, {
        providerId: run.providerId,
        excluded: exclude.length,
      });
      return approved;
    },

    /**
     * Reverts everything an applied run changed, as a run of its own (queued like a sync, one
     * active run per provider), while its before-images are kept (decision 0008).
     */
    async undo(actor: Actor, runId: string): Promise<RunRow> {
      const run = await visibleRun(actor, runId);
      const refuse = (reason: ConstructorParameters<typeof RunNotUndoableError>[1], message: string) =>
        new RunNotUndoableError(runId, reason, message);
      if (run.undoesRunId !== null) {
        throw refuse(
          'undo_run',
          `run ${runId} is itself the undo of run ${run.undoesRunId} and cannot be undone; sync again to re-apply what it reverted`,
        );
      }
      if (run.dryRun || (run.status !== 'SUCCESS' && run.status !== 'PARTIAL')) {
        throw refuse(
          'not_applied',
          `run ${runId} is ${run.dryRun ? 'a dry run' : run.status}; only an applied run (SUCCESS or PARTIAL) changed the roster`,
        );
      }
      const provider = await findProvider(deps.db, run.providerId);
      if (provider === undefined) {
        throw refuse(
          'provider_deleted',
          `the provider of run ${runId} was deleted; its roster is not changed any more`,
        );
      }
      if (!provider.enabled) throw new ProviderDisabledError();
      const undoneBy = (await findUndoneBy(deps.db, [runId])).get(runId);
      if (undoneBy !== undefined) {
        throw refuse('already_undone', `run ${runId} was already undone by run ${undoneBy}`);
      }
      if (await isRunDataPruned(deps.db, runId)) {
        throw refuse(
          'images_pruned',
          `run ${runId} is older than the retention period (SIS_SYNC_RETENTION_DAYS): what it overwrote was pruned with its staging`,
        );
      }
      const created = await deps.db.transaction(async (tx) => {
        const result = await createRun(tx, {
          tenantId: run.tenantId,
          providerId: run.providerId,
          trigger: 'MANUAL',
          triggeredBy: actor.principal.subject,
          dryRun: false,
          undoesRunId: runId,
        });
        if (result.created) {
          await deps.runs.dispatch(tx, { kind: 'sync', runId: result.run.id, providerId: run.providerId });
        }
        return result;
      });
      if (!created.created) throw new SyncAlreadyRunningError(created.active.id, created.active.status);
      deps.runs.dispatched();
      await audit(actor, run.tenantId, 'run.undo', 'run', created.run.id, {
        providerId: run.providerId,
        undoesRunId: runId,
      });
      return created.run;
    },

    /** Drops a held run; the roster stays as it was. */
    async discard(actor: Actor, runId: string): Promise<RunRow> {
      const run = await visibleRun(actor, runId);
      if (run.status !== 'HELD') throw new InvalidRunStateError(runId, run.status, 'HELD');
      const discarded = await transitionRun(deps.db, runId, 'HELD', 'DISCARDED', {
        phase: 'done',
        reviewedBy: actor.principal.subject,
        reviewedAt: new Date(),
        finishedAt: new Date(),
      });
      if (discarded === undefined) {
        throw new InvalidRunStateError(runId, (await findRun(deps.db, runId))?.status ?? '?', 'HELD');
      }
      await audit(actor, run.tenantId, 'run.discard', 'run', runId, { providerId: run.providerId });
      return discarded;
    },

    /** One cheap authenticated look at the provider; a failure is a result, not an error. */
    async testConnection(actor: Actor, providerId: string): Promise<ConnectionTestResult> {
      const row = await visibleProvider(actor, providerId);
      const loaded = await deps.loadProvider(providerId);
      if (loaded === undefined) throw new NotFoundError('provider', providerId);
      const started = Date.now();
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), deps.testTimeoutMs ?? 30_000);
      let result: ConnectionTestResult;
      try {
        const connector = deps.createConnector(loaded.row, loaded.config);
        const report = await Promise.race([
          connector.testConnection({ signal: abort.signal, logger: deps.logger }),
          new Promise<never>((_, reject) =>
            abort.signal.addEventListener('abort', () =>
              reject(
                new ConnectorError('timeout', 'the provider did not answer in time', { retryable: true }),
              ),
            ),
          ),
        ]);
        result = {
          ok: true,
          summary: report.summary,
          details: report.details,
          error: null,
          durationMs: Date.now() - started,
        };
      } catch (error) {
        const code = error instanceof ConnectorError ? error.code : 'internal_error';
        const message =
          error instanceof ConnectorError ? error.message : 'the connection test failed unexpectedly';
        if (!(error instanceof ConnectorError)) {
          deps.logger.error({ error: safeError(error), providerId }, 'connection test failed');
        }
        result = {
          ok: false,
          summary: message,
          details: {},
          error: { code, message },
          durationMs: Date.now() - started,
        };
      } finally {
        clearTimeout(timer);
      }
      await audit(actor, row.tenantId, 'provider.test', 'provider', providerId, {
        ok: result.ok,
        error: result.error?.code ?? null,
      });
      return result;
    },
  };
}

export type RunService = ReturnType<typeof createRunService>;
