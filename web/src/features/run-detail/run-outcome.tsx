import type { Run } from '../../api/types';
import { Notice } from '../../components/notices';
import { formatDateTime } from '../../lib/format';
import { entityLabel } from '../../lib/vocabulary';
import { HeldReasonTable, heldEntitiesOf } from './held-review';

/** How the run ended, in a sentence or two: why it failed, was skipped, cancelled, discarded. */
export function RunOutcome({ run }: { run: Run }) {
  const reason = run.errorMessage ?? null;
  const reviewed =
    run.reviewedBy === null || run.reviewedAt === null
      ? null
      : `${run.reviewedBy} on ${formatDateTime(run.reviewedAt)}`;
  const wouldHold = run.dryRun && (run.progress as { wouldHold?: unknown }).wouldHold === true;
  const truncated = (run.progress as { changesTruncated?: unknown }).changesTruncated;

  return (
    <>
      {run.status === 'SKIPPED' ? (
        <Notice tone="info" title="This scheduled run was skipped" role="status">
          <p>{reason ?? 'It did not start.'}</p>
        </Notice>
      ) : null}
      {run.status === 'FAILURE' ? (
        <Notice tone="danger" title="The run failed; nothing was applied" role="status">
          <p>{reason ?? 'No reason was recorded.'}</p>
          {run.errorCode === null ? null : <p className="notice__meta">Code: {run.errorCode}</p>}
        </Notice>
      ) : null}
      {run.status === 'CANCELLED' ? (
        <Notice tone="info" title="The run was cancelled; nothing was applied" role="status">
          {reason === null ? null : <p>{reason}</p>}
        </Notice>
      ) : null}
      {run.status === 'DISCARDED' ? (
        <Notice tone="info" title="The held run was discarded; nothing was applied" role="status">
          {reviewed === null ? null : <p>Discarded by {reviewed}.</p>}
        </Notice>
      ) : null}
      {run.status !== 'DISCARDED' && reviewed !== null ? (
        <Notice tone="success" title="Approved after review" role="status">
          <p>Approved by {reviewed}.</p>
        </Notice>
      ) : null}
      {run.dryRun && run.finishedAt !== null && run.status !== 'FAILURE' && run.status !== 'CANCELLED' ? (
        <Notice tone="info" title="Dry run: nothing was applied" role="status">
          <p>The numbers below are what a sync would have done.</p>
          {wouldHold ? (
            <>
              <p>A real sync would have been held for review:</p>
              <HeldReasonTable entities={heldEntitiesOf(run)} caption="Deactivations above the threshold" />
            </>
          ) : null}
        </Notice>
      ) : null}
      {run.incompleteEntities.length === 0 ? null : (
        <Notice tone="warning" title="Some data arrived incomplete" role="status">
          <p>
            Nothing of {run.incompleteEntities.map((e) => entityLabel(e).toLowerCase()).join(', ')} was
            deactivated, because the source did not send all of it. The record errors below say what was
            missing.
          </p>
        </Notice>
      )}
      {Array.isArray(truncated) && truncated.length > 0 ? (
        <p className="muted">
          Only the first 10,000 changes of{' '}
          {truncated.map((e) => entityLabel(String(e)).toLowerCase()).join(', ')} are listed; the statistics
          count them all.
        </p>
      ) : null}
    </>
  );
}
