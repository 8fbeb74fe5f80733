import Type, { type Static } from 'typebox';

/** Every error code the API can answer with. Clients may switch on these; they do not change. */
export const ERROR_CODES = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'invalid_token',
  'token_expired',
  'forbidden',
  'server_path_not_allowed',
  'not_found',
  'conflict',
  'sync_already_running',
  'provider_disabled',
  'invalid_run_state',
  'run_not_undoable',
  'payload_too_large',
  'uri_too_long',
  'headers_too_large',
  'unsupported_media_type',
  'rate_limited',
  'not_ready',
  'server_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const FieldIssueSchema = Type.Object({
  path: Type.String({ description: 'Dotted path of the field in the request, e.g. config.sftp.port.' }),
  message: Type.String(),
});

export const ErrorEnvelopeSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.Enum(ERROR_CODES),
      message: Type.String(),
      requestId: Type.String(),
      details: Type.Optional(
        Type.Object({ issues: Type.Optional(Type.Array(FieldIssueSchema)) }, { additionalProperties: true }),
      ),
    }),
  },
  { $id: 'ErrorEnvelope', description: 'Every error response has this shape.' },
);
export type ErrorEnvelope = Static<typeof ErrorEnvelopeSchema>;

/** The error responses a route may give, by status, for its schema. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 503)[]) {
  return Object.fromEntries(statuses.map((s) => [s, ErrorEnvelopeSchema])) as Record<
    number,
    typeof ErrorEnvelopeSchema
  >;
}
