import type { Run } from '../api/types';

export interface RunTotals {
  created: number;
  updated: number;
  unchanged: number;
  deactivated: number;
  reactivated: number;
  errors: number;
  /** created + updated + deactivated: what the run changed (or would), as the history chart counts it. */
  changes: number;
}

/** A run's statistics summed over its entities. */
export function runTotals(run: Run): RunTotals {
  const totals = {
    created: 0,
    updated: 0,
    unchanged: 0,
    deactivated: 0,
    reactivated: 0,
    errors: 0,
    changes: 0,
  };
  for (const stats of Object.values(run.stats)) {
    totals.created += stats.created;
    totals.updated += stats.updated;
    totals.unchanged += stats.unchanged;
    totals.deactivated += stats.deactivated;
    totals.reactivated += stats.reactivated;
    totals.errors += stats.errors;
  }
  totals.changes = totals.created + totals.updated + totals.deactivated;
  return totals;
}

/** When a run happened, for lists: when it started, or was queued or recorded. */
export function runTime(run: Run): string {
  return run.startedAt ?? run.createdAt;
}
