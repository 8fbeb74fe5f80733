import { Link, Route, Routes } from 'react-router';

import { IntegrationListPage } from './features/integrations/integration-list-page';
import { ProviderDetailsPage } from './features/provider-details/provider-details-page';
import { RunDetailPage } from './features/run-detail/run-detail-page';
import { RunHistoryPage } from './features/sync-history/run-history-page';
import { useDocumentTitle } from './lib/use-document-title';

export function AppRoutes() {
  return (
    <Routes>
      <Route index element={<IntegrationListPage />} />
      <Route path="tenants/:tenantId" element={<IntegrationListPage />} />
      <Route path="providers/:providerId" element={<ProviderDetailsPage />} />
      <Route path="providers/:providerId/runs" element={<RunHistoryPage />} />
      <Route path="runs/:runId" element={<RunDetailPage />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

function NotFound() {
  useDocumentTitle('Page not found');
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Go to the integrations</Link>.
      </p>
    </div>
  );
}
