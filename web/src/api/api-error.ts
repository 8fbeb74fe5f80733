import type { ErrorCode, ErrorEnvelope, FieldIssue } from './types';

/** An answer other than 2xx, from the API's error envelope (or a stand-in when there was none). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: ErrorCode | 'network_error',
    message: string,
    readonly requestId: string | null = null,
    readonly issues: readonly FieldIssue[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  static fromEnvelope(status: number, envelope: ErrorEnvelope): ApiError {
    const { code, message, requestId, details } = envelope.error;
    return new ApiError(status, code, message, requestId, details?.issues ?? [], details ?? {});
  }

  /**
   * The issues as field errors, keyed by their path with `prefix` taken off: with prefix
   * "config.", the issue at "config.sftp.host" is the error of field "sftp.host".
   */
  fieldErrors(prefix = ''): Record<string, string> {
    const errors: Record<string, string> = {};
    for (const issue of this.issues) {
      // "blackoutWindows[0].end" and "blackoutWindows.0.end" name the same field.
      const full = issue.path.replace(/\[(\d+)\]/g, '.$1');
      if (!full.startsWith(prefix)) continue;
      const path = full.slice(prefix.length);
      errors[path] = errors[path] === undefined ? issue.message : `${errors[path]}; ${issue.message}`;
    }
    return errors;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

function isEnvelope(body: unknown): body is ErrorEnvelope {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = body.error;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}

export async function errorFromResponse(response: Response): Promise<ApiError> {
  const body: unknown = await response.json().catch(() => null);
  if (isEnvelope(body)) return ApiError.fromEnvelope(response.status, body);
  return new ApiError(
    response.status,
    response.status >= 500 ? 'server_error' : 'bad_request',
    `The server answered ${response.status} ${response.statusText}`.trim(),
    response.headers.get('x-request-id'),
  );
}

/** A sentence for the admin: the server's message, with the request id to quote to support. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
