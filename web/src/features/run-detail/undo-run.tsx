import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';

import { useApi } from '../../api/api-context';
import { queryKeys } from '../../api/query-keys';
import type { Run } from '../../api/types';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { formatCount } from '../../lib/format';
import { runTotals } from '../../lib/run-totals';

/** What undoing does to each kind of change, as the confirmation lists it. */
const REVERSALS = [
  { kind: 'created', what: 'will be deactivated' },
  { kind: 'updated', what: 'will get their previous values back' },
  { kind: 'deactivated', what: 'will be reactivated' },
  { kind: 'reactivated', what: 'will be deactivated again' },
] as const;

/** Whether the run changed the roster and can still be asked to be undone. */
export function isUndoable(run: Run): boolean {
  const totals = runTotals(run);
  return (
    (run.status === 'SUCCESS' || run.status === 'PARTIAL') &&
    !run.dryRun &&
    run.undoesRunId === null &&
    (run.undoneByRunId ?? null) === null &&
    totals.created + totals.updated + totals.deactivated + totals.reactivated > 0
  );
}

/** "Undo of run X" on an undo run, "Undone by run Y" on a run that was undone. */
export function UndoNote({ run }: { run: Run }) {
  if (run.undoesRunId !== null) {
    return (
      <span className="muted">
        Undo of <Link to={`/runs/${run.undoesRunId}`}>run {run.undoesRunId.slice(0, 8)}</Link>
      </span>
    );
  }
  if (run.undoneByRunId === undefined || run.undoneByRunId === null) return null;
  return (
    <span className="muted">
      Undone by <Link to={`/runs/${run.undoneByRunId}`}>run {run.undoneByRunId.slice(0, 8)}</Link>
    </span>
  );
}

/**
 * "Undo this run" on an applied run: a confirmation that says what goes back, then the undo run
 * (queued like a sync), whose page it opens.
 */
export function UndoRunAction({ run }: { run: Run }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const undo = useMutation({
    mutationFn: () => api.undoRun(run.id),
    onSuccess: (started) => {
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: queryKeys.run(run.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.provider(run.providerId) });
      void navigate(`/runs/${started.runId}`);
    },
  });
  const totals = runTotals(run);
  return (
    <>
      <div className="button-row">
        <button type="button" className="button button--danger-outline" onClick={() => setConfirming(true)}>
          Undo this run
        </button>
      </div>
      {confirming ? (
        <ConfirmDialog
          title="Undo this run?"
          confirmLabel="Undo run"
          tone="danger"
          pending={undo.isPending}
          error={undo.error}
          onConfirm={() => undo.mutate()}
          onCancel={() => {
            setConfirming(false);
            undo.reset();
          }}
        >
          <p>Everything this run changed goes back to how it was before it, as a new run:</p>
          <ul>
            {REVERSALS.filter(({ kind }) => totals[kind] > 0).map(({ kind, what }) => (
              <li key={kind}>
                {formatCount(totals[kind])} {totals[kind] === 1 ? 'record' : 'records'} it {kind} {what}
              </li>
            ))}
          </ul>
          <p>
            Records a later sync changed again are left as they are and listed as warnings. The next sync of
            the same data applies it again.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
