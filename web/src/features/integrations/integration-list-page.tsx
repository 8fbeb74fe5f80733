import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation, useNavigate, useParams } from 'react-router';

import { useApi } from '../../api/api-context';
import { queryKeys } from '../../api/query-keys';
import { isPlatformAdmin, useMe } from '../../auth/use-me';
import { ErrorNotice, Loading, Notice } from '../../components/notices';
import { useDocumentTitle } from '../../lib/use-document-title';
import { AddIntegrationDialog } from '../add-integration/add-integration-dialog';
import { ProviderTable } from './provider-table';
import { TenantPicker } from './tenant-picker';

/** `/` and `/tenants/:tenantId`: a tenant's integrations. */
export function IntegrationListPage() {
  const me = useMe();
  const params = useParams();
  if (me.isPending) return <Loading />;
  if (me.error !== null) return <ErrorNotice error={me.error} title="Your account could not be loaded" />;
  const platformAdmin = isPlatformAdmin(me.data);
  const tenantId = params.tenantId ?? me.data.tenantId ?? undefined;
  return <TenantIntegrations tenantId={tenantId} canPickTenant={platformAdmin} />;
}

function TenantIntegrations({
  tenantId,
  canPickTenant,
}: {
  tenantId: string | undefined;
  canPickTenant: boolean;
}) {
  useDocumentTitle(tenantId === undefined ? 'Integrations' : `Integrations · ${tenantId}`);
  const api = useApi();
  const navigate = useNavigate();
  const location = useLocation();
  const notice = (location.state as { notice?: string } | null)?.notice;
  const [adding, setAdding] = useState(false);
  const providers = useQuery({
    queryKey: queryKeys.tenantProviders(tenantId ?? ''),
    queryFn: () => api.providers(tenantId ?? ''),
    enabled: tenantId !== undefined,
    select: (data) => data.providers,
  });
  const list = providers.data ?? [];

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Integrations</h1>
          {tenantId === undefined ? null : (
            <p className="page-header__subtitle">
              Student information systems syncing rosters into <strong>{tenantId}</strong>
            </p>
          )}
        </div>
        {tenantId !== undefined && list.length > 0 ? (
          <button type="button" className="button button--primary" onClick={() => setAdding(true)}>
            Add integration
          </button>
        ) : null}
      </div>

      {notice === undefined ? null : (
        <Notice tone="success" role="status">
          <p>{notice}</p>
        </Notice>
      )}

      {canPickTenant ? <TenantPicker key={tenantId ?? ''} current={tenantId} /> : null}

      {tenantId === undefined ? (
        <p className="muted">Choose a tenant to see and manage its integrations.</p>
      ) : providers.isPending ? (
        <Loading label="Loading integrations…" />
      ) : providers.error !== null ? (
        <ErrorNotice error={providers.error} title="The integrations could not be loaded" />
      ) : list.length === 0 ? (
        <section className="empty-state" aria-labelledby="empty-title">
          <h2 id="empty-title">No integrations yet</h2>
          <p>
            Connect your student information system (Clever, ClassLink, a OneRoster API or OneRoster CSV files
            over SFTP) to keep schools, classes, users and enrollments in step.
          </p>
          <button type="button" className="button button--primary" onClick={() => setAdding(true)}>
            Add integration
          </button>
        </section>
      ) : (
        <ProviderTable providers={list} />
      )}

      {adding && tenantId !== undefined ? (
        <AddIntegrationDialog
          tenantId={tenantId}
          onClose={() => setAdding(false)}
          onDone={(provider) => {
            setAdding(false);
            void navigate(`/providers/${provider.id}`);
          }}
        />
      ) : null}
    </div>
  );
}
