import type { Run } from '../../api/types';
import { formatCount } from '../../lib/format';
import { runTotals } from '../../lib/run-totals';
import { ENTITY_TYPES, entityLabel } from '../../lib/vocabulary';

const COLUMNS = ['created', 'updated', 'unchanged', 'deactivated', 'reactivated', 'errors'] as const;
const COLUMN_LABELS: Record<(typeof COLUMNS)[number], string> = {
  created: 'Created',
  updated: 'Updated',
  unchanged: 'Unchanged',
  deactivated: 'Deactivated',
  reactivated: 'Reactivated',
  errors: 'Errors',
};

/** What the run did (or, held or dry, would do) per entity, in load order, with a total row. */
export function RunStatsTable({ run }: { run: Run }) {
  const entities = [
    ...ENTITY_TYPES.filter((e) => run.stats[e] !== undefined),
    ...Object.keys(run.stats).filter((e) => !(ENTITY_TYPES as readonly string[]).includes(e)),
  ];
  if (entities.length === 0) return <p className="muted">No statistics: the run read nothing.</p>;
  const totals = runTotals(run);
  const wouldBe = run.status === 'HELD' || run.dryRun;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="visually-hidden">
          {wouldBe ? 'What the run would change, per entity' : 'What the run changed, per entity'}
        </caption>
        <thead>
          <tr>
            <th scope="col">Entity</th>
            {COLUMNS.map((c) => (
              <th key={c} scope="col" className="numeric">
                {COLUMN_LABELS[c]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {entities.map((entity) => {
            const stats = run.stats[entity];
            return (
              <tr key={entity}>
                <th scope="row">
                  {entityLabel(entity)}
                  {run.incompleteEntities.includes(entity) ? (
                    <span className="muted"> (incomplete)</span>
                  ) : null}
                </th>
                {COLUMNS.map((c) => (
                  <td key={c} className="numeric">
                    {stats === undefined ? '—' : formatCount(stats[c])}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            {COLUMNS.map((c) => (
              <td key={c} className="numeric">
                <strong>{formatCount(totals[c])}</strong>
              </td>
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
