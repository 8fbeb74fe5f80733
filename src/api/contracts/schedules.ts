import Type, { type Static } from 'typebox';

import { SCHEDULE_PRESETS } from '../../domain/schedule.js';
import { nullable } from './nullable.js';

export const SchedulePreviewQuerySchema = Type.Object({
  schedule: Type.String({
    minLength: 1,
    maxLength: 200,
    description: `A five-field cron expression (minute hour day month weekday) or a preset: ${Object.keys(SCHEDULE_PRESETS).join(', ')}.`,
  }),
  timezone: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, default: 'UTC', description: 'IANA time zone; default UTC.' }),
  ),
});
export type SchedulePreviewQuery = Static<typeof SchedulePreviewQuerySchema>;

export const SchedulePreviewSchema = Type.Object(
  {
    schedule: Type.String({ description: 'The schedule as given, trimmed.' }),
    cron: Type.String({ description: 'The five-field cron expression it runs on.' }),
    timezone: Type.String(),
    preset: nullable(
      Type.Enum(Object.keys(SCHEDULE_PRESETS) as (keyof typeof SCHEDULE_PRESETS)[], {
        description: 'The preset named, or null for a cron expression.',
      }),
    ),
    description: Type.String({
      description:
        'In plain English, with the time zone, e.g. "At 02:00 AM, Monday through Friday, America/Chicago time".',
    }),
    nextRuns: Type.Array(Type.String({ format: 'date-time' }), {
      description: 'The next 5 times the schedule fires (blackout windows not applied).',
    }),
  },
  { description: 'What a schedule means, as the scheduler will run it.' },
);
export type SchedulePreview = Static<typeof SchedulePreviewSchema>;
