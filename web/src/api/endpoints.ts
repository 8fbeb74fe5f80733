import type { ApiClient } from './client';
import type {
  ApproveResponse,
  ConnectionTest,
  CreateProviderBody,
  DevToken,
  DevTokenBody,
  ExcludedRecord,
  GraceList,
  Me,
  Provider,
  ProviderList,
  ProviderTypeList,
  RunChangeFilter,
  RunChangeList,
  RunDetail,
  RunErrorFilter,
  RunList,
  SchedulePreview,
  SignInOptions,
  SyncStatus,
  TriggerResponse,
  UpdateProviderBody,
} from './types';

export interface Page {
  limit: number;
  offset: number;
}

const enc = encodeURIComponent;

/** Every API call the UI makes, typed by the server's contracts. */
export function createEndpoints(client: ApiClient) {
  return {
    me: () => client.get<Me>('/me'),
    /** Who a token speaks for, before signing in with it; a 401 here is the form's error, not a sign-out. */
    meWithToken: (token: string) => client.request<Me>('/me', { token }),
    devToken: (body: DevTokenBody) =>
      client.request<DevToken>('/dev/token', { method: 'POST', body, auth: false }),
    /** Whether the development token route answers this browser (GET /sign-in-options). */
    devTokenAvailable: async () =>
      (await client.request<SignInOptions>('/sign-in-options', { auth: false }).catch(() => null))
        ?.devTokens ?? false,

    schedulePreview: (schedule: string, timezone: string, signal?: AbortSignal) =>
      client.get<SchedulePreview>('/schedule-preview', { schedule, timezone }, signal),

    providerTypes: () => client.get<ProviderTypeList>('/provider-types'),
    providers: (tenantId: string) => client.get<ProviderList>(`/tenants/${enc(tenantId)}/providers`),
    provider: (id: string) => client.get<Provider>(`/providers/${enc(id)}`),
    createProvider: (body: CreateProviderBody) => client.post<Provider>('/providers', body),
    updateProvider: (id: string, body: UpdateProviderBody) =>
      client.patch<Provider>(`/providers/${enc(id)}`, body),
    deleteProvider: (id: string) => client.delete(`/providers/${enc(id)}`),
    deleteProviderOnUnload: (id: string) => client.deleteOnUnload(`/providers/${enc(id)}`),
    testConnection: (id: string) => client.post<ConnectionTest>(`/providers/${enc(id)}/test`),

    startSync: (id: string, dryRun: boolean) =>
      client.post<TriggerResponse>(`/providers/${enc(id)}/sync`, undefined, dryRun ? { dryRun: true } : {}),
    cancelSync: (id: string) => client.post<TriggerResponse>(`/providers/${enc(id)}/sync/cancel`),
    syncStatus: (id: string) => client.get<SyncStatus>(`/providers/${enc(id)}/sync/status`),
    runs: (id: string, page: Page) => client.get<RunList>(`/providers/${enc(id)}/runs`, { ...page }),
    /** One page of the provider's records in grace; `cursor` is the previous page's nextCursor. */
    graceRecords: (id: string, limit: number, cursor: string | undefined) =>
      client.get<GraceList>(
        `/providers/${enc(id)}/grace`,
        cursor === undefined ? { limit } : { limit, cursor },
      ),

    /** A run, and one page of its per-record errors (the server names that page errorsLimit/errorsOffset). */
    run: (runId: string, page: Page, filter: RunErrorFilter = {}) =>
      client.get<RunDetail>(`/runs/${enc(runId)}`, {
        errorsLimit: page.limit,
        errorsOffset: page.offset,
        ...filter,
      }),
    runErrorsCsv: (runId: string, filter: RunErrorFilter) =>
      client.download(`/runs/${enc(runId)}/errors.csv`, { ...filter }),
    runChanges: (runId: string, page: Page, filter: RunChangeFilter) =>
      client.get<RunChangeList>(`/runs/${enc(runId)}/changes`, { ...page, ...filter }),
    /** Applies a held run, but for the records excluded: those stay as they are. */
    approveRun: (runId: string, exclude: ExcludedRecord[] = []) =>
      client.post<ApproveResponse>(`/runs/${enc(runId)}/approve`, { exclude }),
    discardRun: (runId: string) => client.post<TriggerResponse>(`/runs/${enc(runId)}/discard`),
    undoRun: (runId: string) => client.post<TriggerResponse>(`/runs/${enc(runId)}/undo`),
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;
