import type { Page } from './endpoints';
import type { RunChangeFilter, RunErrorFilter } from './types';

/**
 * Every cache key in one place. Keys nest so that one invalidation reaches what depends on it:
 * `['providers', id]` covers that provider, its status and its runs.
 */
export const queryKeys = {
  me: ['me'] as const,
  devTokenAvailable: ['dev-token-available'] as const,
  providerTypes: ['provider-types'] as const,
  allProviders: ['providers'] as const,
  tenantProviders: (tenantId: string) => ['providers', 'tenant', tenantId] as const,
  provider: (id: string) => ['providers', id] as const,
  syncStatus: (id: string) => ['providers', id, 'sync-status'] as const,
  runs: (id: string, page?: Page) =>
    (page === undefined ? ['providers', id, 'runs'] : ['providers', id, 'runs', page]) as readonly unknown[],
  graceRecords: (id: string, cursor: string | undefined) =>
    ['providers', id, 'grace', cursor ?? null] as const,
  run: (runId: string) => ['runs', runId] as const,
  runDetail: (runId: string, page: Page, filter: RunErrorFilter) =>
    ['runs', runId, 'detail', page, filter] as const,
  runChanges: (runId: string, page: Page, filter: RunChangeFilter) =>
    ['runs', runId, 'changes', page, filter] as const,
  schedulePreview: (schedule: string, timezone: string) => ['schedule-preview', schedule, timezone] as const,
};
