import { useQuery } from '@tanstack/react-query';

import { useApi } from './api-context';
import { queryKeys } from './query-keys';
import type { ProviderTypeInfo } from './types';

/** Shared queries; a screen's own queries live with the screen. */

export function useProviderTypes() {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.providerTypes,
    queryFn: () => api.providerTypes(),
    staleTime: Infinity,
    select: (data) => data.providerTypes,
  });
}

export function providerTypeName(types: readonly ProviderTypeInfo[] | undefined, type: string): string {
  return types?.find((t) => t.type === type)?.displayName ?? type;
}

export function useProvider(id: string) {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.provider(id), queryFn: () => api.provider(id) });
}

/**
 * A provider's sync status: every second while a run is going (the live progress), otherwise
 * now and then, so a scheduled run that starts shows up by itself.
 */
export function useSyncStatus(id: string, idleInterval = 15_000) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.syncStatus(id),
    queryFn: () => api.syncStatus(id),
    staleTime: 0,
    refetchInterval: (query) => (query.state.data?.isRunning === true ? 1000 : idleInterval),
  });
}
