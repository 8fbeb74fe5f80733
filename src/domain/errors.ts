/**
 * Errors the services raise for expected refusals. Each carries a stable code; the API maps
 * codes to HTTP statuses at its edge (api/plugins/error-handler.ts) and nowhere else.
 */
export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export type DomainErrorCode =
  | 'not_found'
  | 'forbidden'
  | 'validation_failed'
  | 'conflict'
  | 'server_path_not_allowed'
  | 'sync_already_running'
  | 'provider_disabled'
  | 'invalid_run_state'
  | 'run_not_undoable';

export interface FieldIssue {
  path: string;
  message: string;
}

/** The object does not exist, or exists in a tenant the caller may not see: the same answer. */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  constructor(kind: string, id: string) {
    super(`${kind} ${id} not found`, { kind, id });
  }
}

export class TenantAccessDeniedError extends DomainError {
  readonly code = 'forbidden';
  constructor(tenantId: string) {
    super(`you may not act on tenant ${tenantId}`);
  }
}

export class ValidationError extends DomainError {
  readonly code = 'validation_failed';
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((i) => `${i.path === '' ? '(body)' : i.path}: ${i.message}`).join('; '), { issues });
  }
}

export class ConflictError extends DomainError {
  readonly code = 'conflict';
}

/** A config names a file on the sis-sync server, and the caller may not make the server read it. */
export class ServerPathNotAllowedError extends DomainError {
  readonly code = 'server_path_not_allowed';
  constructor(field: string, importDir: string | undefined) {
    super(
      `config.${field} reads files on the sis-sync server: only a platform admin may set it` +
        (importDir === undefined
          ? ' (a district admin may, once SIS_SYNC_IMPORT_DIR is configured, name a path inside it)'
          : `, or a district admin a path inside SIS_SYNC_IMPORT_DIR (${importDir})`),
      { field },
    );
  }
}

/** One run per provider at a time: the running one is named. */
export class SyncAlreadyRunningError extends DomainError {
  readonly code = 'sync_already_running';
  constructor(runId: string, status: string) {
    super(
      status === 'HELD'
        ? `run ${runId} is held for review; approve or discard it before starting another`
        : `a sync is already running for this provider (run ${runId})`,
      { runId, status },
    );
  }
}

export class ProviderDisabledError extends DomainError {
  readonly code = 'provider_disabled';
  constructor() {
    super('Provider disabled');
  }
}

/** The run is not in a state that allows the request (approving a finished run, ...). */
export class InvalidRunStateError extends DomainError {
  readonly code = 'invalid_run_state';
  constructor(runId: string, status: string, wanted: string) {
    super(`run ${runId} is ${status}; only a ${wanted} run can be asked for that`, { runId, status });
  }
}

/** Why a run cannot be undone (decision 0008). */
export type UndoRefusal =
  'not_applied' | 'undo_run' | 'already_undone' | 'images_pruned' | 'provider_deleted';

export class RunNotUndoableError extends DomainError {
  readonly code = 'run_not_undoable';
  constructor(runId: string, reason: UndoRefusal, message: string) {
    super(message, { runId, reason });
  }
}
