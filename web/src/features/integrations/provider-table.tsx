import { Link } from 'react-router';

import { describeError } from '../../api/api-error';
import { providerTypeName, useProviderTypes, useSyncStatus } from '../../api/hooks';
import type { Provider } from '../../api/types';
import { useUpdateProvider } from '../../api/use-update-provider';
import { ProviderStatus } from '../../components/provider-status';
import { RelativeTime } from '../../components/relative-time';
import { RunStatusBadge } from '../../components/status-badge';
import { Switch } from '../../components/switch';

export function ProviderTable({ providers }: { providers: readonly Provider[] }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Integrations</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Last sync</th>
            <th scope="col">Next sync</th>
            <th scope="col">Enabled</th>
          </tr>
        </thead>
        <tbody>
          {providers.map((provider) => (
            <ProviderRow key={provider.id} provider={provider} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ProviderRow({ provider }: { provider: Provider }) {
  const types = useProviderTypes();
  const status = useSyncStatus(provider.id, 30_000);
  const update = useUpdateProvider(provider.id);
  const lastSync = status.data?.lastSync ?? provider.lastSyncAt;
  const lastStatus = status.data?.lastStatus ?? provider.lastSyncStatus;
  return (
    <tr>
      <th scope="row">
        <Link to={`/providers/${provider.id}`} className="table__primary-link">
          {provider.name}
        </Link>
      </th>
      <td>{providerTypeName(types.data, provider.providerType)}</td>
      <td>
        <ProviderStatus provider={provider} status={status.data} />
      </td>
      <td>
        {lastSync === null ? (
          <span className="muted">Never synced</span>
        ) : (
          <span className="cell-stack">
            <RelativeTime iso={lastSync} past />
            {lastStatus === null ? null : <RunStatusBadge status={lastStatus} />}
          </span>
        )}
      </td>
      <td>
        <NextSync provider={provider} />
      </td>
      <td>
        <Switch
          label={`Enable ${provider.name}`}
          hideLabel
          checked={provider.enabled}
          disabled={update.isPending}
          onChange={(enabled) => update.mutate({ enabled })}
        />
        {update.error === null ? null : (
          <p className="field__error" role="alert">
            {describeError(update.error)}
          </p>
        )}
      </td>
    </tr>
  );
}

export function NextSync({ provider }: { provider: Provider }) {
  if (!provider.enabled) return <span className="muted">Paused (disabled)</span>;
  if (provider.syncSchedule === null) return <span className="muted">Not scheduled</span>;
  if (provider.nextSyncAt === null) return <span className="muted">None within a year</span>;
  return <RelativeTime iso={provider.nextSyncAt} timeZone={provider.syncTimezone} />;
}
