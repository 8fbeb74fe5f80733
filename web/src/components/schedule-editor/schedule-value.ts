import type { SchedulePreview } from '../../api/types';

/** A provider's schedule as the form holds it: a preset name or a cron expression, or none. */
export interface ScheduleValue {
  schedule: string | null;
  timezone: string;
}

export type PresetName = NonNullable<SchedulePreview['preset']>;

/** Every preset the server knows (a Record, so a new one on the server fails the type check), in the order offered. */
const PRESET_LABELS: Record<PresetName, string> = {
  hourly: 'Hourly',
  'every-6-hours': 'Every 6 hours',
  'twice-daily': 'Twice daily',
  daily: 'Daily',
  weekdays: 'Weekdays',
  weekly: 'Weekly',
};

export const PRESETS = (Object.keys(PRESET_LABELS) as PresetName[]).map((value) => ({
  value,
  label: PRESET_LABELS[value],
}));

export type ScheduleMode = 'none' | PresetName | 'custom';

export function modeOf(schedule: string | null): ScheduleMode {
  if (schedule === null) return 'none';
  return PRESETS.find((p) => p.value === schedule.trim())?.value ?? 'custom';
}

export interface ScheduleErrors {
  schedule?: string;
  timezone?: string;
}
