import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { DomainError, type DomainErrorCode } from '../../domain/errors.js';
import { pointerToPath } from '../../connectors/schema-issues.js';
import { safeError } from '../../lib/safe-error.js';
import type { ErrorCode, ErrorEnvelope } from '../contracts/errors.js';

/** The one place where a domain refusal becomes an HTTP status. */
const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  not_found: 404,
  forbidden: 403,
  server_path_not_allowed: 403,
  validation_failed: 400,
  conflict: 409,
  sync_already_running: 409,
  provider_disabled: 409,
  invalid_run_state: 409,
  run_not_undoable: 409,
};

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply {
  const body: ErrorEnvelope = {
    error: {
      code,
      message,
      requestId: String(reply.request.id),
      ...(details !== undefined ? { details } : {}),
    },
  };
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}

function validationIssues(error: FastifyError): { path: string; message: string }[] {
  return (error.validation ?? []).map((v) => {
    let path = pointerToPath(v.instancePath);
    const params = v.params;
    if (v.keyword === 'required' && typeof params.missingProperty === 'string') {
      path = path === '' ? params.missingProperty : `${path}.${params.missingProperty}`;
      return { path, message: 'is required' };
    }
    if (v.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      path = path === '' ? params.additionalProperty : `${path}.${params.additionalProperty}`;
      return { path, message: 'is not a known field' };
    }
    if (v.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      return { path, message: `must be one of ${params.allowedValues.map(String).join(', ')}` };
    }
    return { path, message: v.message ?? 'is not valid' };
  });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) {
      return sendError(reply, DOMAIN_STATUS[error.code], error.code, error.message, error.details);
    }
    if (error instanceof HttpError) {
      return sendError(reply, error.statusCode, error.code, error.message, error.details);
    }
    if (error.validation !== undefined) {
      const issues = validationIssues(error);
      const where = error.validationContext ?? 'request';
      const message = issues.map((i) => `${i.path === '' ? where : i.path}: ${i.message}`).join('; ');
      return sendError(reply, 400, 'validation_failed', message, { issues });
    }
    const status = error.statusCode ?? 500;
    if (status === 413) return sendError(reply, 413, 'payload_too_large', 'the request body is too large');
    if (status === 415) return sendError(reply, 415, 'unsupported_media_type', error.message);
    if (status === 429) return sendError(reply, 429, 'rate_limited', error.message);
    if (status >= 400 && status < 500) return sendError(reply, status, 'bad_request', error.message);
    request.log.error(
      { error: safeError(error), stack: error.stack?.split('\n').slice(1, 6).join('\n') },
      'request failed',
    );
    return sendError(reply, 500, 'server_error', 'internal error; the request id leads to the log entry');
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`),
  );
}
