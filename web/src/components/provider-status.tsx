import type { Provider, SyncStatus } from '../api/types';
import { Badge } from './status-badge';

/** Whether the provider syncs, and whether a run is going or waits for review, in words. */
export function ProviderStatus({ provider, status }: { provider: Provider; status: SyncStatus | undefined }) {
  const current = status?.currentRun ?? null;
  return (
    <span className="badge-group">
      {provider.enabled ? <Badge tone="success">Enabled</Badge> : <Badge tone="neutral">Disabled</Badge>}
      {status?.isRunning === true ? (
        <Badge tone="info">{current?.dryRun === true ? 'Dry run in progress' : 'Syncing'}</Badge>
      ) : null}
      {current?.status === 'HELD' ? <Badge tone="warning">Awaiting review</Badge> : null}
    </span>
  );
}
