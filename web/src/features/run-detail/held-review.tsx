import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';

import { useApi } from '../../api/api-context';
import { queryKeys } from '../../api/query-keys';
import type { ExcludedRecord, Run } from '../../api/types';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { formatCount, formatPercent } from '../../lib/format';
import { entityLabel } from '../../lib/vocabulary';
import { ChangesList, type ExclusionPicker } from './changes-list';
import { relinksOf } from './relink-summary';

export interface HeldEntity {
  entity: string;
  activeBefore: number;
  removing: number;
  ratio: number;
  threshold: number;
}

/** The entities whose removals crossed the threshold, from the run's heldReason. */
export function heldEntitiesOf(run: Run): HeldEntity[] {
  const entities = run.heldReason?.entities;
  if (!Array.isArray(entities)) return [];
  return entities.filter(
    (e): e is HeldEntity =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as HeldEntity).entity === 'string' &&
      typeof (e as HeldEntity).removing === 'number',
  );
}

export function HeldReasonTable({ entities, caption }: { entities: HeldEntity[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Entity</th>
            <th scope="col" className="numeric">
              Active before
            </th>
            <th scope="col" className="numeric">
              Would deactivate
            </th>
            <th scope="col" className="numeric">
              Share
            </th>
            <th scope="col" className="numeric">
              Threshold
            </th>
          </tr>
        </thead>
        <tbody>
          {entities.map((e) => (
            <tr key={e.entity}>
              <th scope="row">{entityLabel(e.entity)}</th>
              <td className="numeric">{formatCount(e.activeBefore)}</td>
              <td className="numeric">{formatCount(e.removing)}</td>
              <td className="numeric">{formatPercent(e.ratio)}</td>
              <td className="numeric">{formatPercent(e.threshold)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Decision = 'approve' | 'discard';

const keyOf = (record: ExcludedRecord) => `${record.entity}/${record.externalId}`;

/** The records a reviewer leaves out of the approval, across pages and filters. */
function useExclusions(): ExclusionPicker & { records: ExcludedRecord[] } {
  const [excluded, setExcluded] = useState<ReadonlyMap<string, ExcludedRecord>>(new Map());
  return {
    records: [...excluded.values()],
    isExcluded: (record) => excluded.has(keyOf(record)),
    toggle: (record) =>
      setExcluded((current) => {
        const next = new Map(current);
        if (!next.delete(keyOf(record))) next.set(keyOf(record), record);
        return next;
      }),
  };
}

/**
 * A held run's review: why it was held, what it would change, and the decision. Approving
 * applies exactly what was staged and previewed; discarding leaves the roster as it was.
 */
export function HeldReview({ run }: { run: Run }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<Decision | null>(null);
  const exclusions = useExclusions();
  const excludedCount = exclusions.records.length;
  const approveLabel =
    excludedCount === 0
      ? 'Approve and apply'
      : `Approve without ${formatCount(excludedCount)} ${excludedCount === 1 ? 'record' : 'records'}`;
  const decide = useMutation({
    mutationFn: (decision: Decision) =>
      decision === 'approve' ? api.approveRun(run.id, exclusions.records) : api.discardRun(run.id),
    onSuccess: () => {
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: queryKeys.run(run.id) });
      void queryClient.invalidateQueries({ queryKey: queryKeys.provider(run.providerId) });
    },
  });
  const entities = heldEntitiesOf(run);

  return (
    <section className="card card--warning" aria-labelledby="review-title">
      <h2 id="review-title">Review held run</h2>
      {entities.length === 0 ? (
        <p>
          Nothing has been applied: this first sync is held so that its re-links can be checked before they
          are applied.
        </p>
      ) : (
        <p>
          This run would deactivate more records than the integration allows, so nothing has been applied.
          Check the records below: a large drop is more often a broken or partial export than real departures.
        </p>
      )}
      {entities.length === 0 ? null : (
        <HeldReasonTable
          entities={entities}
          caption="Why the run was held: deactivations above the threshold"
        />
      )}
      <h3>Records the run would change</h3>
      <p className="field__hint">
        Tick a record to leave it out: the approved run does not create, change or deactivate it, and the next
        sync proposes it again.
      </p>
      <ChangesList
        runId={run.id}
        initialKind={entities.length === 0 && relinksOf(run) !== null ? 'linked' : 'deactivated'}
        picker={exclusions}
      />
      <div className="button-row review-actions">
        <button type="button" className="button button--primary" onClick={() => setConfirming('approve')}>
          {approveLabel}
        </button>
        <button
          type="button"
          className="button button--danger-outline"
          onClick={() => setConfirming('discard')}
        >
          Discard run
        </button>
      </div>
      {confirming === 'approve' ? (
        <ConfirmDialog
          title="Approve this run?"
          confirmLabel={approveLabel}
          pending={decide.isPending}
          error={decide.error}
          onConfirm={() => decide.mutate('approve')}
          onCancel={() => {
            setConfirming(null);
            decide.reset();
          }}
        >
          {excludedCount === 0 ? (
            <p>
              The run is applied exactly as it was staged and previewed, including every deactivation listed.
              This cannot be undone from here.
            </p>
          ) : (
            <p>
              The run is applied as it was staged and previewed, except for the {formatCount(excludedCount)}{' '}
              excluded{' '}
              {excludedCount === 1 ? 'record, which stays as it is' : 'records, which stay as they are'} (and
              so do records that need an excluded new one). This cannot be undone from here.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
      {confirming === 'discard' ? (
        <ConfirmDialog
          title="Discard this run?"
          confirmLabel="Discard run"
          tone="danger"
          pending={decide.isPending}
          error={decide.error}
          onConfirm={() => decide.mutate('discard')}
          onCancel={() => {
            setConfirming(null);
            decide.reset();
          }}
        >
          <p>Nothing of this run is applied; the roster stays as it is. The next sync starts afresh.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
