import { Link } from 'react-router';

import { isApiError } from '../../api/api-error';
import { useSyncStatus } from '../../api/hooks';
import type { Provider, Run } from '../../api/types';
import { ConnectionTestResult } from '../../components/connection-test-result';
import { ErrorNotice, Notice } from '../../components/notices';
import { RelativeTime } from '../../components/relative-time';
import { RunStatusBadge } from '../../components/status-badge';
import { SyncProgress } from '../../components/sync-progress';
import { NextSync } from '../integrations/provider-table';
import { useRefreshWhenRunEnds, useSyncActions } from './use-sync-actions';

/** Last and next sync, the live progress of a running one, and the buttons that start, stop and test. */
export function SyncCard({ provider }: { provider: Provider }) {
  const status = useSyncStatus(provider.id);
  const { start, cancel, test } = useSyncActions(provider.id);
  useRefreshWhenRunEnds(provider.id, status.data);
  const running = status.data?.isRunning === true;
  const current = status.data?.currentRun ?? null;
  const latest = status.data?.latestRun ?? null;
  const held = current?.status === 'HELD' ? current : null;
  const lastSync = status.data?.lastSync ?? provider.lastSyncAt;
  const lastStatus = status.data?.lastStatus ?? provider.lastSyncStatus;

  return (
    <section className="card" aria-labelledby="sync-title">
      <div className="card__header">
        <h2 id="sync-title">Sync</h2>
      </div>
      <dl className="details-list">
        <div>
          <dt>Last sync</dt>
          <dd>
            {lastSync === null ? (
              'Never'
            ) : (
              <span className="button-row">
                <RelativeTime iso={lastSync} past />
                {lastStatus === null ? null : <RunStatusBadge status={lastStatus} />}
                {latest === null || running ? null : <Link to={`/runs/${latest.id}`}>View latest run</Link>}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Next scheduled sync</dt>
          <dd>
            <NextSync provider={provider} />
          </dd>
        </div>
      </dl>

      {held === null ? null : <HeldNotice run={held} />}

      <div aria-live="polite">
        {running && current !== null ? (
          <div className="stack">
            <p className="notice__title">
              {current.dryRun ? 'Dry run in progress' : 'Sync in progress'}{' '}
              <Link to={`/runs/${current.id}`}>(view run)</Link>
            </p>
            <SyncProgress run={current} />
          </div>
        ) : null}
      </div>

      <div className="button-row sync-actions">
        {running ? (
          <button
            type="button"
            className="button button--danger-outline"
            disabled={cancel.isPending || current?.cancelRequested === true}
            onClick={() => cancel.mutate()}
          >
            Cancel sync
          </button>
        ) : (
          <>
            <button
              type="button"
              className="button button--primary"
              disabled={start.isPending || held !== null}
              onClick={() => start.mutate(false)}
            >
              Run sync now
            </button>
            <button
              type="button"
              className="button"
              disabled={start.isPending || held !== null}
              onClick={() => start.mutate(true)}
            >
              Dry run
            </button>
          </>
        )}
        <button
          type="button"
          className="button"
          disabled={test.isPending}
          aria-busy={test.isPending}
          onClick={() => test.mutate()}
        >
          {test.isPending ? <span className="spinner" aria-hidden="true" /> : null}
          Test connection
        </button>
      </div>
      {running || held !== null ? null : (
        <p className="field__hint">
          A dry run reads everything and works out what would change, applying nothing.
        </p>
      )}

      <div className="stack sync-feedback">
        {start.error === null ? null : <StartError error={start.error} />}
        {start.data === undefined || running ? null : (
          <p role="status">
            {start.data.dryRun ? 'Dry run' : 'Sync'} started.{' '}
            <Link to={`/runs/${start.data.runId}`}>View the run</Link>
          </p>
        )}
        {cancel.error === null ? null : (
          <ErrorNotice error={cancel.error} title="The sync could not be cancelled" />
        )}
        <div aria-live="polite">
          {test.isPending ? <p className="muted">Testing the connection…</p> : null}
          {test.data === undefined || test.isPending ? null : <ConnectionTestResult result={test.data} />}
        </div>
        {test.error === null ? null : <ErrorNotice error={test.error} title="The test could not be run" />}
      </div>
    </section>
  );
}

function HeldNotice({ run }: { run: Run }) {
  return (
    <Notice tone="warning" title="A run is held for review" role="status">
      <p>
        It would deactivate more records than this integration allows. Nothing has been applied; approve or
        discard it before another sync can run.
      </p>
      <p>
        <Link to={`/runs/${run.id}`}>Review the held run</Link>
      </p>
    </Notice>
  );
}

function StartError({ error }: { error: unknown }) {
  if (isApiError(error) && error.code === 'sync_already_running') {
    const runId = typeof error.details.runId === 'string' ? error.details.runId : null;
    return (
      <Notice tone="warning" title="A sync is already running" role="alert">
        <p>{error.message}</p>
        {runId === null ? null : (
          <p>
            <Link to={`/runs/${runId}`}>View that run</Link>
          </p>
        )}
      </Notice>
    );
  }
  if (isApiError(error) && error.code === 'provider_disabled') {
    return (
      <Notice tone="warning" title="This integration is disabled" role="alert">
        <p>Enable it to run a sync.</p>
      </Notice>
    );
  }
  return <ErrorNotice error={error} title="The sync could not be started" />;
}
