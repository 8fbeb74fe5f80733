import Type from 'typebox';

import type { RunService } from '../../../sync/run-service.js';
import { errorResponses } from '../../contracts/errors.js';
import { ProviderParamsSchema } from '../../contracts/providers.js';
import {
  ConnectionTestSchema,
  GraceListSchema,
  GraceQuerySchema,
  PageQuerySchema,
  RunListSchema,
  SyncStatusSchema,
  TriggerResponseSchema,
} from '../../contracts/runs.js';
import type { ApiInstance } from '../../types.js';
import { toRunResponse } from '../runs/run-response.js';

const security = [{ bearerAuth: [] }];

/** /api/v1/providers/:providerId/{sync, sync/cancel, sync/status, runs, grace, test} */
export function providerSyncRoutes(app: ApiInstance, runs: RunService): void {
  app.post(
    '/providers/:providerId/sync',
    {
      schema: {
        tags: ['sync'],
        summary: 'Start a sync now (or a dry run, which applies nothing)',
        security,
        params: ProviderParamsSchema,
        querystring: Type.Object({ dryRun: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 202: TriggerResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const run = await runs.trigger(
        { principal: request.principal, requestId: request.id },
        request.params.providerId,
        { dryRun: request.query.dryRun ?? false },
      );
      return reply.status(202).send({ runId: run.id, status: run.status, dryRun: run.dryRun });
    },
  );

  app.post(
    '/providers/:providerId/sync/cancel',
    {
      schema: {
        tags: ['sync'],
        summary: 'Cancel the running sync; it stops at its next batch and rolls back',
        security,
        params: ProviderParamsSchema,
        response: { 202: TriggerResponseSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const run = await runs.cancel(
        { principal: request.principal, requestId: request.id },
        request.params.providerId,
      );
      return reply.status(202).send({ runId: run.id, status: run.status, dryRun: run.dryRun });
    },
  );

  app.get(
    '/providers/:providerId/sync/status',
    {
      schema: {
        tags: ['sync'],
        summary: 'Whether a sync runs, its progress, and how the last one ended',
        security,
        params: ProviderParamsSchema,
        response: { 200: SyncStatusSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { provider, active, latest } = await runs.status(
        { principal: request.principal },
        request.params.providerId,
      );
      return {
        isRunning: active !== undefined && active.status !== 'HELD',
        lastSync: provider.lastSyncAt?.toISOString() ?? null,
        lastStatus: provider.lastSyncStatus,
        currentRun: active === undefined ? null : toRunResponse(active),
        latestRun: latest === undefined ? null : toRunResponse(latest),
      };
    },
  );

  app.get(
    '/providers/:providerId/runs',
    {
      schema: {
        tags: ['sync'],
        summary: "A provider's run history, newest first",
        security,
        params: ProviderParamsSchema,
        querystring: PageQuerySchema,
        response: { 200: RunListSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const page = { limit: request.query.limit ?? 50, offset: request.query.offset ?? 0 };
      const result = await runs.listRuns({ principal: request.principal }, request.params.providerId, page);
      return {
        runs: result.runs.map((run) => toRunResponse(run, result.undoneBy.get(run.id) ?? null)),
        total: result.total,
        ...page,
      };
    },
  );

  app.get(
    '/providers/:providerId/grace',
    {
      schema: {
        tags: ['sync'],
        summary:
          "The provider's records in their grace period: missing from complete runs, not yet deactivated",
        security,
        params: ProviderParamsSchema,
        querystring: GraceQuerySchema,
        response: { 200: GraceListSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const page = await runs.listGrace({ principal: request.principal }, request.params.providerId, {
        entity: request.query.entity,
        limit: request.query.limit ?? 100,
        cursor: request.query.cursor,
      });
      return {
        records: page.records.map((record) => ({
          ...record,
          lastSeenAt: record.lastSeenAt?.toISOString() ?? null,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.post(
    '/providers/:providerId/test',
    {
      schema: {
        tags: ['sync'],
        summary: 'Test the connection: one cheap authenticated call, and what it reached',
        security,
        params: ProviderParamsSchema,
        response: { 200: ConnectionTestSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      runs.testConnection({ principal: request.principal, requestId: request.id }, request.params.providerId),
  );
}
