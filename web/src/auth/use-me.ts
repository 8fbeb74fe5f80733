import { useQuery } from '@tanstack/react-query';

import { useApi } from '../api/api-context';
import { queryKeys } from '../api/query-keys';
import type { Me } from '../api/types';
import { useAuth } from './auth-context';

/** Who the token speaks for; loaded once per token. */
export function useMe() {
  const api = useApi();
  const { token } = useAuth();
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: () => api.me(),
    enabled: token !== null,
    staleTime: Infinity,
  });
}

export function isPlatformAdmin(me: Me | undefined): boolean {
  return me?.roles.includes('PLATFORM_ADMIN') ?? false;
}
