import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import type { ErrorEnvelope } from '../contracts/errors.js';
import type { ApiInstance } from '../types.js';
import { sendError } from './error-handler.js';

/**
 * Longest request target (path and query) served. Every route's path is short and the roster
 * filters fit in a few hundred characters; a longer URL is a mistake or a probe, refused before
 * routing and before authentication. Below Node's header limit, which counts the request line.
 */
export const MAX_URL_LENGTH = 4096;

/**
 * Largest request head (request line and headers), in bytes: Node's default, stated so that a
 * change of default does not change the service. A longer head is refused with 431 by Node's
 * parser, before Fastify sees a request (see `clientErrorHandler`).
 */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Longest path parameter (ids, sourcedIds); Fastify's default, stated. Longer: 414 `uri_too_long`. */
export const MAX_PARAM_LENGTH = 100;

/**
 * Fastify's `frameworkErrors`: what its router refuses before any hook runs (a path parameter
 * over MAX_PARAM_LENGTH, a malformed percent-encoding), answered in the envelope. The URL is not
 * repeated back.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-request-id', request.id);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendError(
      reply,
      414,
      'uri_too_long',
      `a path segment is longer than ${MAX_PARAM_LENGTH} characters`,
    );
  } else if (error.code === 'FST_ERR_BAD_URL') {
    void sendError(reply, 400, 'bad_request', 'the URL is not validly encoded');
  } else {
    request.log.error({ code: error.code }, 'router failed');
    void sendError(reply, 500, 'server_error', 'internal error; the request id leads to the log entry');
  }
}

export function refuseLongUrls(app: ApiInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.length > MAX_URL_LENGTH) {
      return sendError(
        reply,
        414,
        'uri_too_long',
        `the request URL is longer than ${MAX_URL_LENGTH} characters`,
      );
    }
  });
}

/**
 * Fastify's `clientErrorHandler`: a request Node's parser refused (head too large, malformed,
 * too slow) is answered in the error envelope, then the connection is closed. There is no
 * request yet, so the request id is a fresh one.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer (as Fastify's own handler does).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, body] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? ([
          431,
          'Request Header Fields Too Large',
          envelope('headers_too_large', `the request headers are larger than ${MAX_HEADER_BYTES} bytes`),
        ] as const)
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ([408, 'Request Timeout', envelope('bad_request', 'the request did not arrive in time')] as const)
        : ([400, 'Bad Request', envelope('bad_request', 'the request is not valid HTTP')] as const);
  if (socket.writable) {
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nx-request-id: ${body.error.requestId}\r\n` +
        `Connection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}

function envelope(code: ErrorEnvelope['error']['code'], message: string): ErrorEnvelope {
  return { error: { code, message, requestId: randomUUID() } };
}
