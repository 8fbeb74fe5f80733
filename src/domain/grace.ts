/**
 * A provider's grace period: a record its complete snapshots lack is deactivated only after this
 * many consecutive complete runs without it (1, the default: the first such run). The database
 * checks the same bounds (`sis_providers_grace_runs_check`).
 */
export const MIN_GRACE_RUNS = 1;
export const MAX_GRACE_RUNS = 100;

export function isValidGraceRuns(runs: number): boolean {
  return Number.isInteger(runs) && runs >= MIN_GRACE_RUNS && runs <= MAX_GRACE_RUNS;
}
