import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';

import { useApi } from '../../api/api-context';
import { isApiError } from '../../api/api-error';
import { queryKeys } from '../../api/query-keys';
import type { Provider } from '../../api/types';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { Notice } from '../../components/notices';

/** Deleting asks for the name; a run still active or held (409) is said plainly. */
export function DeleteProviderCard({ provider }: { provider: Provider }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => api.deleteProvider(provider.id),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: queryKeys.provider(provider.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.tenantProviders(provider.tenantId) });
      void navigate(`/tenants/${encodeURIComponent(provider.tenantId)}`, {
        state: { notice: `${provider.name} was deleted.` },
      });
    },
  });
  const conflict = isApiError(remove.error) && remove.error.status === 409 ? remove.error : null;

  return (
    <section className="card card--danger" aria-labelledby="delete-title">
      <h2 id="delete-title">Delete integration</h2>
      <p className="muted">
        Deleting stops its syncs and removes its settings and credentials. The roster it loaded, its run
        history and the audit log stay.
      </p>
      <button type="button" className="button button--danger-outline" onClick={() => setConfirming(true)}>
        Delete integration
      </button>
      {confirming ? (
        <ConfirmDialog
          title={`Delete ${provider.name}?`}
          confirmLabel="Delete integration"
          tone="danger"
          typeToConfirm={provider.name}
          pending={remove.isPending}
          error={conflict === null ? remove.error : null}
          onConfirm={() => remove.mutate()}
          onCancel={() => {
            setConfirming(false);
            remove.reset();
          }}
        >
          <p>
            This removes <strong>{provider.name}</strong> and its credentials. It cannot be undone.
          </p>
          {conflict === null ? null : (
            <Notice tone="warning" title="It cannot be deleted right now" role="alert">
              <p>{conflict.message}</p>
              <p>
                A sync is running or a run is held for review. Cancel the sync, or approve or discard the held
                run, then delete.
              </p>
            </Notice>
          )}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
