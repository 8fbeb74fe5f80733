import type { ProviderView } from '../../../services/provider-service.js';
import type { Provider } from '../../contracts/providers.js';

export function toProviderResponse(view: ProviderView): Provider {
  return {
    ...view,
    lastSyncAt: view.lastSyncAt?.toISOString() ?? null,
    nextSyncAt: view.nextSyncAt?.toISOString() ?? null,
    upcomingRuns: view.upcomingRuns.map((run) => ({ at: run.at.toISOString(), skipped: run.skipped })),
    createdAt: view.createdAt.toISOString(),
    updatedAt: view.updatedAt.toISOString(),
  };
}
