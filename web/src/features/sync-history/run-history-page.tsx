import { useParams } from 'react-router';

import { useProvider } from '../../api/hooks';
import { Breadcrumbs } from '../../components/breadcrumbs';
import { ErrorNotice, Loading } from '../../components/notices';
import { useDocumentTitle } from '../../lib/use-document-title';
import { SyncHistory } from './sync-history';

/** `/providers/:providerId/runs`: the whole history of one integration. */
export function RunHistoryPage() {
  const { providerId = '' } = useParams();
  const provider = useProvider(providerId);
  useDocumentTitle(provider.data === undefined ? 'Sync history' : `Sync history · ${provider.data.name}`);
  if (provider.isPending) return <Loading />;
  if (provider.error !== null) {
    return <ErrorNotice error={provider.error} title="The integration could not be loaded" />;
  }
  return (
    <div className="page">
      <Breadcrumbs provider={provider.data} current="Sync history" />
      <div className="page-header">
        <div>
          <h1>Sync history</h1>
          <p className="page-header__subtitle">{provider.data.name}</p>
        </div>
      </div>
      <SyncHistory providerId={providerId} pageSize={25} />
    </div>
  );
}
