import { Link } from 'react-router';

import type { Run } from '../../api/types';
import { RunStatusBadge } from '../../components/status-badge';
import { formatCount, formatDateTime, formatDuration } from '../../lib/format';
import { runTime, runTotals } from '../../lib/run-totals';
import { TRIGGER_LABELS } from '../../lib/vocabulary';
import { UndoNote } from '../run-detail/undo-run';

/** A provider's runs, newest first, with what each did summed over its entities. */
export function RunsTable({ runs }: { runs: readonly Run[] }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">Sync runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Status</th>
            <th scope="col">Trigger</th>
            <th scope="col">Duration</th>
            <th scope="col" className="numeric">
              Created
            </th>
            <th scope="col" className="numeric">
              Updated
            </th>
            <th scope="col" className="numeric">
              Deactivated
            </th>
            <th scope="col" className="numeric">
              Errors
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => {
            const totals = runTotals(run);
            return (
              <tr key={run.id}>
                <th scope="row">
                  <Link to={`/runs/${run.id}`}>{formatDateTime(runTime(run))}</Link>
                </th>
                <td>
                  <RunStatusBadge status={run.status} dryRun={run.dryRun} /> <UndoNote run={run} />
                </td>
                <td>
                  {TRIGGER_LABELS[run.trigger]}
                  {run.triggeredBy === null ? null : <span className="muted"> · {run.triggeredBy}</span>}
                </td>
                <td>{formatDuration(run.durationMs)}</td>
                <td className="numeric">{formatCount(totals.created)}</td>
                <td className="numeric">{formatCount(totals.updated)}</td>
                <td className="numeric">{formatCount(totals.deactivated)}</td>
                <td className="numeric">{formatCount(totals.errors)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
