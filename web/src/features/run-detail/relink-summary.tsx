import type { EntityType, MatchRule, Run } from '../../api/types';
import { formatCount } from '../../lib/format';
import { MATCH_RULE_LABELS, entityLabel } from '../../lib/vocabulary';

export interface RelinkEntity {
  entity: EntityType;
  matched: Partial<Record<MatchRule, number>>;
  created: number;
}

/**
 * The proposed re-links of a provider's first run into a roster other providers feed, from the
 * run's heldReason (held, or a dry run that would be held); null when there are none.
 */
export function relinksOf(run: Run): { message: string; entities: RelinkEntity[] } | null {
  const relinks = run.heldReason?.relinks as { message?: unknown; entities?: unknown } | undefined;
  if (relinks === undefined || typeof relinks.message !== 'string' || !Array.isArray(relinks.entities)) {
    return null;
  }
  const entities = relinks.entities.filter(
    (e): e is RelinkEntity =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as RelinkEntity).entity === 'string' &&
      typeof (e as RelinkEntity).created === 'number',
  );
  return { message: relinks.message, entities };
}

/** Per entity: how many records the run ties to existing records, by which rule, and how many it adds. */
export function RelinkSummary({ run }: { run: Run }) {
  const relinks = relinksOf(run);
  if (relinks === null) return null;
  return (
    <section className="card" aria-labelledby="relinks-title">
      <h2 id="relinks-title">Proposed re-links</h2>
      <p>
        This is the integration&apos;s first sync, and other integrations already feed this roster. Records it
        recognises are linked to the existing ones (same IDs, same history); the others are created. Check
        that nothing is created that should have been linked.
      </p>
      <div className="table-wrap">
        <table className="table">
          <caption className="visually-hidden">Proposed re-links per entity</caption>
          <thead>
            <tr>
              <th scope="col">Entity</th>
              <th scope="col">Linked to existing records</th>
              <th scope="col" className="numeric">
                New
              </th>
            </tr>
          </thead>
          <tbody>
            {relinks.entities.map((e) => {
              const rules = (Object.entries(e.matched) as [MatchRule, number][]).filter(([, n]) => n > 0);
              return (
                <tr key={e.entity}>
                  <th scope="row">{entityLabel(e.entity)}</th>
                  <td>
                    {rules.length === 0
                      ? 'None'
                      : rules
                          .map(([rule, n]) => `${formatCount(n)} by ${MATCH_RULE_LABELS[rule]}`)
                          .join(', ')}
                  </td>
                  <td className="numeric">{formatCount(e.created)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
