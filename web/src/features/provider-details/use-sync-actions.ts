import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';

import { useApi } from '../../api/api-context';
import { queryKeys } from '../../api/query-keys';
import type { SyncStatus } from '../../api/types';

/** Start (or dry-run), cancel and test; the status query picks the change up at once. */
export function useSyncActions(providerId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const refreshStatus = () => queryClient.invalidateQueries({ queryKey: queryKeys.syncStatus(providerId) });
  const start = useMutation({
    mutationFn: (dryRun: boolean) => api.startSync(providerId, dryRun),
    onSettled: refreshStatus,
  });
  const cancel = useMutation({
    mutationFn: () => api.cancelSync(providerId),
    onSettled: refreshStatus,
  });
  const test = useMutation({ mutationFn: () => api.testConnection(providerId) });
  return { start, cancel, test };
}

/** When a run stops running, the history, the provider (last sync, next run) and the list refresh. */
export function useRefreshWhenRunEnds(providerId: string, status: SyncStatus | undefined) {
  const queryClient = useQueryClient();
  const wasRunning = useRef(false);
  const running = status?.isRunning === true;
  useEffect(() => {
    if (wasRunning.current && !running) {
      void queryClient.invalidateQueries({ queryKey: queryKeys.provider(providerId) });
      void queryClient.invalidateQueries({ queryKey: ['runs'] });
      void queryClient.invalidateQueries({ queryKey: ['providers', 'tenant'] });
    }
    wasRunning.current = running;
  }, [running, providerId, queryClient]);
}
