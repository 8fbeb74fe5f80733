import type { DiagnosisFinding, Run } from '../../api/types';
import { Notice } from '../../components/notices';

const TITLES: Record<DiagnosisFinding['code'], string> = {
  header_recased: 'A header is spelled with another case',
  header_renamed: 'A header was renamed',
  header_changed: 'Columns came or went',
  header_only_file: 'A file has only its header',
  leading_zeros_lost: 'Ids lost their leading zeros',
  school_emptied: 'A school lost all its users',
  bom_changed: 'The byte-order mark changed',
  encoding_changed: 'The encoding changed',
  large_drop: 'Many records are missing',
};

const TONES = { error: 'danger', warning: 'warning', info: 'info' } as const;

/** What an evidence value reads as: lists joined, `{ before, now }` pairs as "before → now". */
function shown(value: unknown): string {
  if (Array.isArray(value)) return value.map(shown).join(', ');
  if (typeof value === 'object' && value !== null) {
    const { before, now } = value as { before?: unknown; now?: unknown };
    if (before !== undefined && now !== undefined) return `${shown(before)} → ${shown(now)}`;
    return Object.entries(value)
      .map(([key, v]) => `${key}: ${shown(v)}`)
      .join('; ');
  }
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number') return value.toLocaleString('en-US');
  return value === null || value === undefined ? 'none' : JSON.stringify(value);
}

function Finding({ finding }: { finding: DiagnosisFinding }) {
  const where = [finding.file, finding.entity].filter((p) => p !== undefined).join(' · ');
  return (
    <li>
      <Notice tone={TONES[finding.severity]} title={TITLES[finding.code]}>
        <p>{finding.message}</p>
        <details>
          <summary>Evidence</summary>
          <dl className="details-list details-list--compact">
            {Object.entries(finding.evidence).map(([key, value]) => (
              <div key={key}>
                <dt>{key}</dt>
                <dd>{shown(value)}</dd>
              </div>
            ))}
          </dl>
        </details>
        <p className="notice__meta">
          {where === '' ? '' : `${where} · `}code {finding.code}
        </p>
      </Notice>
    </li>
  );
}

/**
 * What the engine found when it compared the run's pull with the last good one before loading it:
 * the likely causes of a large change, most severe first. Prominent on a held run, where they
 * decide whether to approve.
 */
export function RunDiagnosis({ run }: { run: Run }) {
  const findings = run.diagnosis ?? [];
  if (findings.length === 0) return null;
  const held = run.status === 'HELD';
  return (
    <section className={held ? 'card card--warning' : 'card'} aria-labelledby="diagnosis-title">
      <h2 id="diagnosis-title">Export diagnosis</h2>
      <p>
        Compared with the last good sync of this integration, the export changed in ways that usually mean a
        broken export rather than real changes.
        {held ? ' Check these with whoever sends the export before you approve this run.' : null}
      </p>
      <ul className="diagnosis-list" aria-label="Findings">
        {findings.map((finding, i) => (
          <Finding key={`${finding.code}-${i}`} finding={finding} />
        ))}
      </ul>
    </section>
  );
}
