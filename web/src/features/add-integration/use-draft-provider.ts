import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';

import { useApi } from '../../api/api-context';
import { queryKeys } from '../../api/query-keys';
import type { Provider, ProviderType } from '../../api/types';

/**
 * The provider the wizard saves (disabled) so that its connection can be tested. Until the
 * wizard finishes it is a draft: cancelling deletes it, and so does leaving the page or closing
 * the tab, so an abandoned wizard leaves nothing behind.
 */
export function useDraftProvider(tenantId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [draft, setDraftState] = useState<Provider | null>(null);
  const draftRef = useRef<Provider | null>(null);
  const finishedRef = useRef(false);

  const setDraft = useCallback((provider: Provider | null) => {
    draftRef.current = provider;
    setDraftState(provider);
  }, []);

  const save = useCallback(
    async (input: { providerType: ProviderType; name: string; config: Record<string, unknown> }) => {
      let current = draftRef.current;
      if (current !== null && current.providerType !== input.providerType) {
        // Another type was chosen after saving: the old draft goes.
        await api.deleteProvider(current.id);
        setDraft(null);
        current = null;
      }
      const saved =
        current === null
          ? await api.createProvider({
              tenantId,
              ...input,
              enabled: false,
              syncSchedule: null,
            })
          : await api.updateProvider(current.id, { name: input.name, config: input.config });
      setDraft(saved);
      return saved;
    },
    [api, tenantId, setDraft],
  );

  const discard = useCallback(async () => {
    const current = draftRef.current;
    if (current !== null) {
      await api.deleteProvider(current.id);
      setDraft(null);
    }
    void queryClient.invalidateQueries({ queryKey: queryKeys.tenantProviders(tenantId) });
  }, [api, queryClient, tenantId, setDraft]);

  const finish = useCallback(
    (provider: Provider) => {
      finishedRef.current = true;
      setDraft(provider);
      queryClient.setQueryData(queryKeys.provider(provider.id), provider);
      void queryClient.invalidateQueries({ queryKey: queryKeys.tenantProviders(tenantId) });
    },
    [queryClient, tenantId, setDraft],
  );

  useEffect(() => {
    const abandon = () => {
      const current = draftRef.current;
      if (current !== null && !finishedRef.current) {
        draftRef.current = null;
        api.deleteProviderOnUnload(current.id);
      }
    };
    window.addEventListener('pagehide', abandon);
    return () => {
      window.removeEventListener('pagehide', abandon);
      // Unmounted without finishing (the admin navigated away): the draft goes too.
      abandon();
    };
  }, [api]);

  return { draft, save, discard, finish };
}
