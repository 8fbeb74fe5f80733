import { Link, useParams } from 'react-router';

import { Breadcrumbs } from '../../components/breadcrumbs';

import { providerTypeName, useProvider, useProviderTypes, useSyncStatus } from '../../api/hooks';
import type { Provider } from '../../api/types';
import { useUpdateProvider } from '../../api/use-update-provider';
import { ErrorNotice, Loading } from '../../components/notices';
import { ProviderStatus } from '../../components/provider-status';
import { Switch } from '../../components/switch';
import { describeError } from '../../api/api-error';
import { useDocumentTitle } from '../../lib/use-document-title';
import { SyncHistory } from '../sync-history/sync-history';
import { BlackoutWindowsCard } from './blackout-windows-card';
import { ConnectionSettingsCard } from './connection-settings-card';
import { DeleteProviderCard } from './delete-provider-card';
import { GracePeriodCard } from './grace-period-card';
import { ScheduleCard } from './schedule-card';
import { SyncCard } from './sync-card';
import { ThresholdCard } from './threshold-card';
import { UpcomingRunsCard } from './upcoming-runs-card';

/** `/providers/:providerId`: one integration, everything about it on one page. */
export function ProviderDetailsPage() {
  const { providerId = '' } = useParams();
  const provider = useProvider(providerId);
  useDocumentTitle(provider.data?.name ?? 'Integration');
  if (provider.isPending) return <Loading label="Loading the integration…" />;
  if (provider.error !== null) {
    return (
      <div className="page">
        <Breadcrumbs />
        <h1>Integration</h1>
        <ErrorNotice error={provider.error} title="The integration could not be loaded" />
      </div>
    );
  }
  return <ProviderDetails provider={provider.data} />;
}

function ProviderDetails({ provider }: { provider: Provider }) {
  const types = useProviderTypes();
  const status = useSyncStatus(provider.id);
  const update = useUpdateProvider(provider.id);
  return (
    <div className="page">
      <Breadcrumbs provider={provider} />
      <div className="page-header">
        <div>
          <h1>{provider.name}</h1>
          <p className="page-header__subtitle">
            {providerTypeName(types.data, provider.providerType)} · tenant {provider.tenantId}
          </p>
          <div className="page-header__badges">
            <ProviderStatus provider={provider} status={status.data} />
          </div>
        </div>
        <div className="cell-stack">
          <Switch
            label="Enabled"
            checked={provider.enabled}
            disabled={update.isPending}
            onChange={(enabled) => update.mutate({ enabled })}
          />
          {update.error === null ? null : (
            <p className="field__error" role="alert">
              {describeError(update.error)}
            </p>
          )}
        </div>
      </div>

      <SyncCard provider={provider} />
      <div className="grid-2">
        <UpcomingRunsCard provider={provider} />
        <ScheduleCard provider={provider} />
      </div>
      <div className="grid-2">
        <BlackoutWindowsCard provider={provider} />
        <ThresholdCard provider={provider} />
      </div>
      <GracePeriodCard provider={provider} />
      <section className="card" aria-labelledby="history-title">
        <div className="card__header">
          <h2 id="history-title">Sync history</h2>
          <Link to={`/providers/${provider.id}/runs`}>Open the full history</Link>
        </div>
        <SyncHistory providerId={provider.id} pageSize={10} />
      </section>
      <ConnectionSettingsCard provider={provider} />
      <DeleteProviderCard provider={provider} />
    </div>
  );
}
