import { useParams } from 'react-router';

import { useProvider } from '../../api/hooks';
import type { Run } from '../../api/types';
import { Breadcrumbs } from '../../components/breadcrumbs';
import { ErrorNotice, Loading } from '../../components/notices';
import { RunStatusBadge } from '../../components/status-badge';
import { SyncProgress } from '../../components/sync-progress';
import { formatDateTime, formatDuration } from '../../lib/format';
import { runTime } from '../../lib/run-totals';
import { useDocumentTitle } from '../../lib/use-document-title';
import { ACTIVE_STATUSES, TRIGGER_LABELS } from '../../lib/vocabulary';
import { ChangesList } from './changes-list';
import { GraceSummary } from './grace-summary';
import { HeldReview } from './held-review';
import { RunDiagnosis } from './run-diagnosis';
import { RelinkSummary } from './relink-summary';
import { RunErrors } from './run-errors';
import { RunOutcome } from './run-outcome';
import { RunStatsTable } from './run-stats-table';
import { UndoNote, UndoRunAction, isUndoable } from './undo-run';
import { useRun } from './use-run';

/** `/runs/:runId`: one sync run, its statistics, changes and errors; for a held run, its review. */
export function RunDetailPage() {
  const { runId = '' } = useParams();
  const run = useRun(runId);
  useDocumentTitle(run.data === undefined ? 'Sync run' : `Sync run of ${formatDateTime(runTime(run.data))}`);
  if (run.isPending) return <Loading label="Loading the run…" />;
  if (run.error !== null) {
    return (
      <div className="page">
        <h1>Sync run</h1>
        <ErrorNotice error={run.error} title="The run could not be loaded" />
      </div>
    );
  }
  return <RunDetail run={run.data} />;
}

function RunDetail({ run }: { run: Run }) {
  const provider = useProvider(run.providerId);
  const active = ACTIVE_STATUSES.includes(run.status);
  const hasStats = Object.keys(run.stats).length > 0;
  return (
    <div className="page">
      {provider.data === undefined ? null : <Breadcrumbs provider={provider.data} current="Sync run" />}
      <div className="page-header">
        <div>
          <h1>Sync run of {formatDateTime(runTime(run))}</h1>
          <p className="page-header__subtitle">{provider.data?.name ?? 'Integration'}</p>
        </div>
        <RunStatusBadge status={run.status} dryRun={run.dryRun} />
      </div>

      <section className="card" aria-labelledby="summary-title">
        <h2 id="summary-title">Summary</h2>
        <dl className="details-list">
          <div>
            <dt>Status</dt>
            <dd>
              <RunStatusBadge status={run.status} dryRun={run.dryRun} />
            </dd>
          </div>
          <div>
            <dt>Trigger</dt>
            <dd>
              {TRIGGER_LABELS[run.trigger]}
              {run.triggeredBy === null ? null : ` by ${run.triggeredBy}`}
            </dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{run.startedAt === null ? 'Not started' : formatDateTime(run.startedAt)}</dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{run.finishedAt === null ? '—' : formatDateTime(run.finishedAt)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd>{formatDuration(run.durationMs)}</dd>
          </div>
        </dl>
        <div aria-live="polite">{active ? <SyncProgress run={run} /> : null}</div>
        <div className="stack">
          <RunOutcome run={run} />
          <UndoNote run={run} />
          {isUndoable(run) ? <UndoRunAction run={run} /> : null}
        </div>
      </section>

      <RunDiagnosis run={run} />

      <RelinkSummary run={run} />
      {run.status === 'HELD' ? <HeldReview run={run} /> : null}

      {hasStats || (!active && run.status !== 'SKIPPED') ? (
        <section className="card" aria-labelledby="stats-title">
          <h2 id="stats-title">
            {run.status === 'HELD' || run.dryRun ? 'What it would change' : 'Statistics'}
          </h2>
          <RunStatsTable run={run} />
          <GraceSummary run={run} />
        </section>
      ) : null}

      {run.status !== 'HELD' && hasStats ? (
        <section className="card" aria-labelledby="changes-title">
          <h2 id="changes-title">{run.dryRun ? 'Records it would change' : 'Changed records'}</h2>
          <ChangesList runId={run.id} />
        </section>
      ) : null}

      {run.status === 'SKIPPED' ? null : (
        <section className="card" aria-labelledby="errors-title">
          <h2 id="errors-title">Record errors</h2>
          <RunErrors runId={run.id} />
        </section>
      )}
    </div>
  );
}
