import Type from 'typebox';

import type { RunService } from '../../../sync/run-service.js';
import { errorResponses } from '../../contracts/errors.js';
import {
  ApproveBodySchema,
  ApproveResponseSchema,
  runChangeFilterFields,
  RunChangeListSchema,
  RunDetailSchema,
  RunParamsSchema,
  runErrorFilterFields,
  TriggerResponseSchema,
} from '../../contracts/runs.js';
import type { ApiInstance } from '../../types.js';
import { excludedCount } from '../../../repositories/runs-repository.js';
import {
  toRunChangeCountResponse,
  toRunChangeResponse,
  toRunErrorResponse,
  toRunResponse,
} from './run-response.js';

const security = [{ bearerAuth: [] }];

/** /api/v1/runs/:runId and its review actions. */
export function runRoutes(app: ApiInstance, runs: RunService): void {
  app.get(
    '/runs/:runId',
    {
      schema: {
        tags: ['sync'],
        summary: 'One run: statistics, and its per-record errors, filtered and paged',
        security,
        params: RunParamsSchema,
        querystring: Type.Object({
          errorsLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          errorsOffset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
          ...runErrorFilterFields,
        }),
        response: { 200: RunDetailSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { entity, severity, code } = request.query;
      const filter = { entity, severity, code };
      const page = { limit: request.query.errorsLimit ?? 100, offset: request.query.errorsOffset ?? 0 };
      const { run, errors, undoneBy } = await runs.getRun(
        { principal: request.principal },
        request.params.runId,
        page,
        filter,
      );
      return {
        run: toRunResponse(run, undoneBy),
        errors: { items: errors.errors.map(toRunErrorResponse), total: errors.total, ...page },
      };
    },
  );

  app.get(
    '/runs/:runId/changes',
    {
      schema: {
        tags: ['sync'],
        summary:
          'The records a run changed, or for a held or dry run would change, with the fields each sets (old and new)',
        security,
        params: RunParamsSchema,
        querystring: Type.Object({
          ...runChangeFilterFields,
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
        }),
        response: { 200: RunChangeListSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { entity, kind, field, q } = request.query;
      const page = { limit: request.query.limit ?? 100, offset: request.query.offset ?? 0 };
      const result = await runs.listChanges({ principal: request.principal }, request.params.runId, {
        entity,
        kind,
        field,
        q,
        ...page,
      });
      return {
        changes: result.changes.map(toRunChangeResponse),
        total: result.total,
        ...page,
        counts: result.counts.map(toRunChangeCountResponse),
        fields: result.fields,
      };
    },
  );

  app.post(
    '/runs/:runId/approve',
    {
      schema: {
        tags: ['sync'],
        summary:
          'Apply a held run as staged, but for the listed changes excluded: those records stay as they are',
        security,
        params: RunParamsSchema,
        body: ApproveBodySchema,
        response: { 202: ApproveResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
      // The body is optional: a request without one approves everything.
      preValidation: (request, _reply, done) => {
        request.body ??= {};
        done();
      },
    },
    async (request, reply) => {
      const exclude = request.body.exclude ?? [];
      const run = await runs.approve(
        { principal: request.principal, requestId: request.id },
        request.params.runId,
        { exclude },
      );
      return reply
        .status(202)
        .send({ runId: run.id, status: run.status, dryRun: run.dryRun, excluded: excludedCount(run) });
    },
  );

  app.post(
    '/runs/:runId/undo',
    {
      schema: {
        tags: ['sync'],
        summary: 'Revert everything an applied run changed, as a new run of the same provider',
        description:
          'Queues an undo run (202). Refused with 409 run_not_undoable (details.reason: not_applied, undo_run, already_undone, images_pruned, provider_deleted), 409 sync_already_running while the provider has an active run, 409 provider_disabled.',
        security,
        params: RunParamsSchema,
        response: { 202: TriggerResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const run = await runs.undo(
        { principal: request.principal, requestId: request.id },
        request.params.runId,
      );
      return reply.status(202).send({ runId: run.id, status: run.status, dryRun: run.dryRun });
    },
  );

  app.post(
    '/runs/:runId/discard',
    {
      schema: {
        tags: ['sync'],
        summary: 'Drop a held run; the roster stays as it was',
        security,
        params: RunParamsSchema,
        response: { 200: TriggerResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const run = await runs.discard(
        { principal: request.principal, requestId: request.id },
        request.params.runId,
      );
      return { runId: run.id, status: run.status, dryRun: run.dryRun };
    },
  );
}
