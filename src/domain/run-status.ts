/**
 * Sync run states and the transitions between them: the one table that code checks
 * (`assertRunTransition`) and that the database mirrors in a trigger (see the migration
 * `sis_sync_runs_transition`).
 *
 * PENDING -> IN_PROGRESS -> SUCCESS | PARTIAL | FAILURE | CANCELLED, and HELD (awaiting review)
 * -> IN_PROGRESS (approved, applying) or DISCARDED. A scheduled run that could not start (a
 * blackout window, a run still going) is recorded as SKIPPED: it starts and ends there.
 */
export const RUN_STATUSES = [
  'PENDING',
  'IN_PROGRESS',
  'HELD',
  'SUCCESS',
  'PARTIAL',
  'FAILURE',
  'CANCELLED',
  'DISCARDED',
  'SKIPPED',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  PENDING: ['IN_PROGRESS', 'CANCELLED', 'FAILURE'],
  IN_PROGRESS: ['SUCCESS', 'PARTIAL', 'FAILURE', 'CANCELLED', 'HELD'],
  HELD: ['IN_PROGRESS', 'DISCARDED', 'FAILURE'],
  SUCCESS: [],
  PARTIAL: [],
  FAILURE: [],
  CANCELLED: [],
  DISCARDED: [],
  SKIPPED: [],
};

/** The states a run may be created in: PENDING to be run, SKIPPED to record a scheduled run that was not. */
export const INITIAL_RUN_STATUSES = ['PENDING', 'SKIPPED'] as const satisfies readonly RunStatus[];

/** States in which a run still holds its provider: no second run may start. */
export const ACTIVE_RUN_STATUSES = ['PENDING', 'IN_PROGRESS', 'HELD'] as const satisfies readonly RunStatus[];

export const TERMINAL_RUN_STATUSES = RUN_STATUSES.filter((s) => RUN_TRANSITIONS[s].length === 0);

export class InvalidRunTransitionError extends Error {
  constructor(
    readonly from: RunStatus,
    readonly to: RunStatus,
  ) {
    super(`a sync run cannot go from ${from} to ${to}`);
    this.name = 'InvalidRunTransitionError';
  }
}

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

export function assertRunTransition(from: RunStatus, to: RunStatus): void {
  if (!canTransition(from, to)) throw new InvalidRunTransitionError(from, to);
}
