import { toString as describeCron } from 'cronstrue';

import { ValidationError } from '../../domain/errors.js';
import { DEFAULT_TIMEZONE, nextRunTimes, resolveSchedule } from '../../domain/schedule.js';
import { errorResponses } from '../contracts/errors.js';
import { SchedulePreviewQuerySchema, SchedulePreviewSchema } from '../contracts/schedules.js';
import type { ApiInstance } from '../types.js';

const PREVIEW_RUNS = 5;

/** The schedule's fields in the preview, by the field names the provider API reports. */
const FIELD = { syncSchedule: 'schedule', syncTimezone: 'timezone' } as const;

/** "At 02:00 AM, Monday through Friday, America/Chicago time"; the bare cron if cronstrue cannot say it. */
export function describeSchedule(cron: string, timezone: string): string {
  let text: string;
  try {
    text = describeCron(cron, { throwExceptionOnParseError: true });
  } catch {
    text = `On the cron schedule "${cron}"`;
  }
  return `${text}, ${timezone} time`;
}

/**
 * GET /api/v1/schedule-preview: what a schedule means and when it fires next, computed as the
 * scheduler computes it, so a form can show it before the provider is saved.
 */
export function schedulePreviewRoutes(app: ApiInstance, now: () => Date = () => new Date()): void {
  app.get(
    '/schedule-preview',
    {
      schema: {
        tags: ['providers'],
        summary: 'Explain a schedule (preset or cron) and list its next 5 run times',
        security: [{ bearerAuth: [] }],
        querystring: SchedulePreviewQuerySchema,
        response: { 200: SchedulePreviewSchema, ...errorResponses(400, 401, 403) },
      },
    },
    (request) => {
      const resolved = resolveSchedule(request.query.schedule, request.query.timezone ?? DEFAULT_TIMEZONE);
      if (!resolved.ok) {
        throw new ValidationError([{ path: FIELD[resolved.error.field], message: resolved.error.message }]);
      }
      const schedule = resolved.value;
      return {
        schedule: schedule.input,
        cron: schedule.cron,
        timezone: schedule.timezone,
        preset: schedule.preset ?? null,
        description: describeSchedule(schedule.cron, schedule.timezone),
        nextRuns: nextRunTimes(schedule, now(), PREVIEW_RUNS).map((at) => at.toISOString()),
      };
    },
  );
}
