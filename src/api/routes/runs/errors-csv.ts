import { Readable } from 'node:stream';

import Type from 'typebox';

import type { RunErrorRow } from '../../../repositories/runs-repository.js';
import type { RunService } from '../../../sync/run-service.js';
import { errorResponses } from '../../contracts/errors.js';
import { RunErrorFilterSchema, RunParamsSchema } from '../../contracts/runs.js';
import type { ApiInstance } from '../../types.js';

export const RUN_ERRORS_CSV_COLUMNS = [
  'severity',
  'entity',
  'externalId',
  'file',
  'line',
  'page',
  'field',
  'code',
  'message',
] as const;

/**
 * Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection"); the
 * values come from district files and APIs, so any of them may.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell (RFC 4180), a would-be formula defused with a leading single quote. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(values: readonly (string | number | null)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

async function* csvText(chunks: AsyncIterable<RunErrorRow[]>): AsyncGenerator<string> {
  yield csvRow(RUN_ERRORS_CSV_COLUMNS);
  for await (const rows of chunks) {
    yield rows
      .map((e) =>
        csvRow([
          e.severity,
          e.entity,
          e.externalId,
          e.sourceFile,
          e.sourceLine,
          e.sourcePage,
          e.field,
          e.code,
          e.message,
        ]),
      )
      .join('');
  }
}

/** GET /api/v1/runs/:runId/errors.csv */
export function runErrorsCsvRoute(app: ApiInstance, runs: RunService): void {
  app.get(
    '/runs/:runId/errors.csv',
    {
      schema: {
        tags: ['sync'],
        summary: "Download a run's errors (all of them, filtered like GET /runs/:runId) as CSV",
        security: [{ bearerAuth: [] }],
        params: RunParamsSchema,
        querystring: RunErrorFilterSchema,
        produces: ['text/csv'],
        response: {
          200: {
            description: `RFC 4180 CSV with a header row: ${RUN_ERRORS_CSV_COLUMNS.join(',')}. Cells that a spreadsheet would run as a formula start with a single quote.`,
            // Documented as text; sent as a stream, which Fastify passes through unserialised.
            content: { 'text/csv': { schema: Type.Unsafe<Readable>({ type: 'string' }) } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { entity, severity, code } = request.query;
      const { run, chunks } = await runs.exportErrors(
        { principal: request.principal },
        request.params.runId,
        {
          entity,
          severity,
          code,
        },
      );
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="run-${run.id}-errors.csv"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(csvText(chunks)));
    },
  );
}
