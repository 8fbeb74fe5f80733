import { ENTITY_TYPES } from '../../../domain/entity.js';
import type { RunChangeRow, RunErrorRow, RunRow } from '../../../repositories/runs-repository.js';
import type { Run, RunChange, RunError } from '../../contracts/runs.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** `undoneByRunId`: given where the caller looked it up (a run's detail, a provider's run list). */
export function toRunResponse(run: RunRow, undoneByRunId?: string | null): Run {
  return {
    ...(undoneByRunId === undefined ? {} : { undoneByRunId }),
    undoesRunId: run.undoesRunId,
    id: run.id,
    tenantId: run.tenantId,
    providerId: run.providerId,
    status: run.status,
    trigger: run.trigger,
    triggeredBy: run.triggeredBy,
    dryRun: run.dryRun,
    phase: run.phase,
    progress: run.progress,
    stats: run.stats,
    incompleteEntities: run.incompleteEntities,
    heldReason: publicHeldReason(run.heldReason),
    reviewedBy: run.reviewedBy,
    reviewedAt: iso(run.reviewedAt),
    errorCode: run.errorCode,
    errorMessage: run.errorMessage,
    sourceInfo: run.sourceInfo,
    cancelRequested: run.cancelRequestedAt !== null,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    durationMs:
      run.startedAt === null ? null : (run.finishedAt ?? new Date()).getTime() - run.startedAt.getTime(),
  };
}

/** The held reason without the internal load plan. */
function publicHeldReason(reason: Record<string, unknown> | null): Record<string, unknown> | null {
  if (reason === null) return null;
  const { plan: _plan, ...rest } = reason;
  return rest;
}

export function toRunErrorResponse(error: RunErrorRow): RunError {
  return {
    id: error.id,
    entity: error.entity,
    externalId: error.externalId,
    file: error.sourceFile,
    line: error.sourceLine,
    page: error.sourcePage,
    field: error.field,
    code: error.code,
    message: error.message,
    severity: error.severity,
  };
}

export function toRunChangeResponse(change: RunChangeRow): RunChange {
  // The column is text; the engine only writes entity types, so anything else is a bug.
  const entity = ENTITY_TYPES.find((e) => e === change.entity);
  if (entity === undefined) throw new Error(`run change ${change.id} names no entity type`);
  return {
    id: change.id,
    entity,
    kind: change.kind,
    entityId: change.entityId,
    externalId: change.externalId,
    label: change.label,
  };
}
