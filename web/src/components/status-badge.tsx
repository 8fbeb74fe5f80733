import type { RunStatus } from '../api/types';
import { RUN_STATUS_INFO, type Tone } from '../lib/vocabulary';

/** A status as words first; the colour only repeats what the text says. */
export function Badge({ tone, children }: { tone: Tone; children: string }) {
  return <span className={`badge badge--${tone}`}>{children}</span>;
}

export function RunStatusBadge({ status, dryRun = false }: { status: RunStatus; dryRun?: boolean }) {
  const info = RUN_STATUS_INFO[status];
  return (
    <span className="badge-group">
      <Badge tone={info.tone}>{info.label}</Badge>
      {dryRun ? <Badge tone="neutral">Dry run</Badge> : null}
    </span>
  );
}
