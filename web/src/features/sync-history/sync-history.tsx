import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';

import { useApi } from '../../api/api-context';
import { queryKeys } from '../../api/query-keys';
import { ErrorNotice, Loading } from '../../components/notices';
import { Pager } from '../../components/pager';
import { ChangesChart } from './changes-chart';
import { RunsTable } from './runs-table';

const CHART_RUNS = 30;

/** The chart of the latest runs and the paged table of all of them. */
export function SyncHistory({ providerId, pageSize }: { providerId: string; pageSize: number }) {
  const api = useApi();
  const [offset, setOffset] = useState(0);
  const page = { limit: pageSize, offset };
  const runs = useQuery({
    queryKey: queryKeys.runs(providerId, page),
    queryFn: () => api.runs(providerId, page),
    placeholderData: keepPreviousData,
  });
  const chartPage = { limit: CHART_RUNS, offset: 0 };
  const chartRuns = useQuery({
    queryKey: queryKeys.runs(providerId, chartPage),
    queryFn: () => api.runs(providerId, chartPage),
  });

  if (runs.isPending) return <Loading label="Loading the sync history…" />;
  if (runs.error !== null) {
    return <ErrorNotice error={runs.error} title="The sync history could not be loaded" />;
  }
  if (runs.data.total === 0) return <p className="muted">No syncs yet. Run one, or wait for the schedule.</p>;

  return (
    <div className="stack">
      {chartRuns.data === undefined ? null : <ChangesChart runs={chartRuns.data.runs} />}
      <RunsTable runs={runs.data.runs} />
      <Pager label="runs" total={runs.data.total} limit={pageSize} offset={offset} onChange={setOffset} />
    </div>
  );
}
