import { useQuery } from '@tanstack/react-query';

import { useApi } from '../../api/api-context';
import { isApiError } from '../../api/api-error';
import { queryKeys } from '../../api/query-keys';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import type { ScheduleErrors, ScheduleValue } from './schedule-value';

/** What the schedule means and when it runs next, asked of the server once typing pauses. */
export function useSchedulePreview(value: ScheduleValue, delay = 350) {
  const api = useApi();
  const debounced = useDebouncedValue(value, delay);
  const schedule = debounced.schedule?.trim() ?? '';
  const timezone = debounced.timezone.trim();
  const query = useQuery({
    queryKey: queryKeys.schedulePreview(schedule, timezone),
    queryFn: ({ signal }) => api.schedulePreview(schedule, timezone, signal),
    enabled: schedule !== '' && timezone !== '',
    staleTime: 60_000,
    retry: false,
  });
  const errors: ScheduleErrors = {};
  if (isApiError(query.error)) {
    const fields = query.error.fieldErrors();
    if (fields.schedule !== undefined) errors.schedule = fields.schedule;
    if (fields.timezone !== undefined) errors.timezone = fields.timezone;
    if (errors.schedule === undefined && errors.timezone === undefined) errors.schedule = query.error.message;
  }
  const settled =
    debounced === value || (debounced.schedule === value.schedule && debounced.timezone === value.timezone);
  return { preview: query.data, errors, isFetching: query.isFetching || !settled, error: query.error };
}
