import type { Run } from '../../api/types';
import { formatCount } from '../../lib/format';
import { ENTITY_TYPES, entityLabel } from '../../lib/vocabulary';

/** The provider's records in grace after the run, per entity, as the run's progress reports them. */
export function GraceSummary({ run }: { run: Run }) {
  const inGrace = (run.progress as { inGrace?: Record<string, number> }).inGrace ?? {};
  const counts = ENTITY_TYPES.flatMap((entity) => {
    const n = inGrace[entity];
    return n === undefined || n === 0 ? [] : [`${formatCount(n)} ${entityLabel(entity).toLowerCase()}`];
  });
  if (counts.length === 0) return null;
  return (
    <p className="muted" data-testid="grace-summary">
      In grace: {counts.join(', ')} (missing from the complete sync, kept active until the grace period runs
      out).
    </p>
  );
}
