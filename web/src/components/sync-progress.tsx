import type { Run } from '../api/types';
import { formatCount } from '../lib/format';
import { ENTITY_TYPES, entityLabel, phaseLabel } from '../lib/vocabulary';

interface Progress {
  entity?: string;
  staged?: Record<string, number>;
  phase?: string;
}

function progressOf(run: Run): Progress {
  const p = run.progress as Progress;
  return {
    ...(typeof p.entity === 'string' ? { entity: p.entity } : {}),
    ...(typeof p.staged === 'object' && p.staged !== null ? { staged: p.staged } : {}),
    ...(typeof p.phase === 'string' ? { phase: p.phase } : {}),
  };
}

/**
 * How far a run has got, as a share: the engine reports phases and, while reading, which
 * entity it is on (in load order), not a total, so reading is split evenly among the entities.
 */
export function progressPercent(run: Run): number {
  if (run.status === 'PENDING') return 0;
  const progress = progressOf(run);
  const phase = run.phase ?? progress.phase ?? 'extracting';
  switch (phase) {
    case 'extracting': {
      const index = ENTITY_TYPES.findIndex((e) => e === progress.entity);
      return Math.round(5 + (60 * Math.max(0, index)) / ENTITY_TYPES.length);
    }
    case 'extracted':
    case 'preparing':
      return 70;
    case 'loading':
    case 'previewing':
    case 'approved':
      return 85;
    case 'held':
    case 'done':
      return 100;
    default:
      return 50;
  }
}

function describe(run: Run): string {
  if (run.status === 'PENDING') return 'Queued: waiting for a worker';
  const progress = progressOf(run);
  const phase = run.phase ?? progress.phase ?? null;
  if (phase === 'extracting' && progress.entity !== undefined) {
    const index = ENTITY_TYPES.findIndex((e) => e === progress.entity);
    return `${phaseLabel(phase)}: ${entityLabel(progress.entity).toLowerCase()}${index < 0 ? '' : ` (${index + 1} of ${ENTITY_TYPES.length})`}`;
  }
  return phaseLabel(phase);
}

/** A running sync: its phase in words, a progress bar, and the records read so far per entity. */
export function SyncProgress({ run }: { run: Run }) {
  const percent = progressPercent(run);
  const text = describe(run);
  const staged = Object.entries(progressOf(run).staged ?? {});
  return (
    <div className="progress">
      <div className="progress__label">
        <span>{text}</span>
        <span aria-hidden="true">{percent}%</span>
      </div>
      <div
        className="progress__bar"
        role="progressbar"
        aria-label={run.dryRun ? 'Dry run progress' : 'Sync progress'}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}%: ${text}`}
      >
        <div className="progress__fill" style={{ width: `${percent}%` }} />
      </div>
      {staged.length === 0 ? null : (
        <>
          <p className="field__hint">Records read so far</p>
          <dl className="staged-counts">
            {staged.map(([entity, count]) => (
              <div key={entity}>
                <dt>{entityLabel(entity)}</dt>
                <dd>{formatCount(count)}</dd>
              </div>
            ))}
          </dl>
        </>
      )}
      {run.cancelRequested ? (
        <p className="muted">Cancelling: the run stops at its next batch and rolls back.</p>
      ) : null}
    </div>
  );
}
