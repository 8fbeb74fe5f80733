import { ENTITY_TYPES, MATCH_RULES, type EntityType } from '../../../domain/entity.js';
import type { RunChangeCount } from '../../../repositories/run-review-repository.js';
import {
  excludedCount,
  type RunChangeRow,
  type RunErrorRow,
  type RunRow,
} from '../../../repositories/runs-repository.js';
import type { Run, RunChange, RunChangeList, RunError } from '../../contracts/runs.js';

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
    diagnosis: run.diagnosis,

    excluded: excludedCount(run),

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

/** The held reason without the internal load plan, and without the count `excluded` shows. */
function publicHeldReason(reason: Record<string, unknown> | null): Record<string, unknown> | null {
  if (reason === null) return null;
  const { plan: _plan, excluded: _excluded, ...rest } = reason;
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

/** The column is text; the engine only writes entity types, so anything else is a bug. */
function entityOf(value: string, what: string): EntityType {
  const entity = ENTITY_TYPES.find((e) => e === value);
  if (entity === undefined) throw new Error(`${what} names no entity type`);
  return entity;
}

export function toRunChangeResponse(change: RunChangeRow): RunChange {
  return {
    id: change.id,
    entity: entityOf(change.entity, `run change ${change.id}`),
    kind: change.kind,
    entityId: change.entityId,
    externalId: change.externalId,
    label: change.label,
    fields: change.fields ?? {},
    matchedBy: MATCH_RULES.find((r) => r === change.matchedBy) ?? null,
  };
}

export function toRunChangeCountResponse(count: RunChangeCount): RunChangeList['counts'][number] {
  return { entity: entityOf(count.entity, 'a change count'), kind: count.kind, n: count.n };
}
