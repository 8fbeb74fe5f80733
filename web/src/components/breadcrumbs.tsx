import { Link } from 'react-router';

import type { Provider } from '../api/types';

/** Integrations / provider / here: the way back up. */
export function Breadcrumbs({ provider, current }: { provider?: Provider; current?: string }) {
  return (
    <nav className="breadcrumbs" aria-label="Breadcrumbs">
      <ol>
        <li>
          <Link to={provider === undefined ? '/' : `/tenants/${encodeURIComponent(provider.tenantId)}`}>
            Integrations
          </Link>
        </li>
        {provider === undefined ? null : (
          <li>
            {current === undefined ? (
              <span aria-current="page">{provider.name}</span>
            ) : (
              <Link to={`/providers/${provider.id}`}>{provider.name}</Link>
            )}
          </li>
        )}
        {current === undefined ? null : (
          <li>
            <span aria-current="page">{current}</span>
          </li>
        )}
      </ol>
    </nav>
  );
}
