import type { EntityStats, EntityType, RunStats } from '../domain/entity.js';
import type { RunStatus } from '../domain/run-status.js';

/** Error counts per entity and whether the run saw errors at all (warnings do not count). */
export interface ErrorTally {
  byEntity: Partial<Record<EntityType, number>>;
  /** Errors tied to no entity (source-level). */
  other: number;
}

/**
 * The end state of a run that reached its load: clean is SUCCESS; record errors or an incomplete
 * entity make it PARTIAL; when every entity it pulled was incomplete, nothing could be trusted
 * and it is a FAILURE, which applies nothing.
 */
export function finalStatus(params: {
  errors: ErrorTally;
  incomplete: readonly EntityType[];
  pulled: readonly EntityType[];
}): Extract<RunStatus, 'SUCCESS' | 'PARTIAL' | 'FAILURE'> {
  const { errors, incomplete, pulled } = params;
  if (pulled.length > 0 && pulled.every((e) => incomplete.includes(e))) return 'FAILURE';
  const errorCount = Object.values(errors.byEntity).reduce((a, b) => a + b, 0) + errors.other;
  return errorCount > 0 || incomplete.length > 0 ? 'PARTIAL' : 'SUCCESS';
}

/** Load statistics with the error counts merged in. */
export function withErrors(
  stats: Partial<Record<EntityType, Omit<EntityStats, 'errors'>>>,
  errors: ErrorTally,
  entities: readonly EntityType[],
): RunStats {
  const merged: RunStats = {};
  for (const entity of entities) {
    const base = stats[entity] ?? {
      created: 0,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      reactivated: 0,
      errors: 0,
    };
    merged[entity] = { ...base, errors: errors.byEntity[entity] ?? 0 };
  }
  return merged;
}
