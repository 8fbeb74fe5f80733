import { useMutation, useQueryClient } from '@tanstack/react-query';

import { useApi } from './api-context';
import { queryKeys } from './query-keys';
import type { Provider, UpdateProviderBody } from './types';

/** PATCH a provider; the answer replaces the cached one and the tenant's list is refreshed. */
export function useUpdateProvider(id: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateProviderBody) => api.updateProvider(id, body),
    onSuccess: (provider: Provider) => {
      queryClient.setQueryData(queryKeys.provider(id), provider);
      void queryClient.invalidateQueries({ queryKey: queryKeys.tenantProviders(provider.tenantId) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.syncStatus(id) });
    },
  });
}
