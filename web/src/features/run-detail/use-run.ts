import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';

import { useApi } from '../../api/api-context';
import type { Page } from '../../api/endpoints';
import { queryKeys } from '../../api/query-keys';
import type { RunErrorFilter } from '../../api/types';
import { ACTIVE_STATUSES } from '../../lib/vocabulary';

const HEADER_PAGE: Page = { limit: 1, offset: 0 };

/**
 * The run itself, polled every second while it is queued or running (an approved held run
 * applying, a sync started a moment ago). When it ends, its errors, changes and the provider's
 * status refresh.
 */
export function useRun(runId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: queryKeys.runDetail(runId, HEADER_PAGE, {}),
    queryFn: () => api.run(runId, HEADER_PAGE),
    select: (data) => data.run,
    refetchInterval: (q) =>
      q.state.data !== undefined && ACTIVE_STATUSES.includes(q.state.data.run.status) ? 1000 : false,
  });
  const active = query.data !== undefined && ACTIVE_STATUSES.includes(query.data.status);
  const wasActive = useRef(active);
  const providerId = query.data?.providerId;
  useEffect(() => {
    if (wasActive.current && !active) {
      void queryClient.invalidateQueries({ queryKey: queryKeys.run(runId) });
      if (providerId !== undefined) {
        void queryClient.invalidateQueries({ queryKey: queryKeys.provider(providerId) });
      }
    }
    wasActive.current = active;
  }, [active, runId, providerId, queryClient]);
  return query;
}

export function useRunErrors(runId: string, page: Page, filter: RunErrorFilter) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.runDetail(runId, page, filter),
    queryFn: () => api.run(runId, page, filter),
    select: (data) => data.errors,
    placeholderData: keepPreviousData,
  });
}
