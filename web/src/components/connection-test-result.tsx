import type { ConnectionTest } from '../api/types';
import { formatDuration } from '../lib/format';
import { labelOf } from './config-form/json-schema';

/** What a connection test found: the summary and what the source showed, or why it failed. */
export function ConnectionTestResult({ result }: { result: ConnectionTest }) {
  const details = Object.entries(result.details).filter(([, value]) => value !== null && value !== undefined);
  return (
    <div className={`notice notice--${result.ok ? 'success' : 'danger'}`} role="status">
      <p className="notice__title">{result.ok ? 'Connection succeeded' : 'Connection failed'}</p>
      <p>{result.summary}</p>
      {result.error === null ? null : (
        <p>
          {result.error.message} <span className="notice__meta">({result.error.code})</span>
        </p>
      )}
      {details.length === 0 ? null : (
        <dl className="details-list details-list--compact">
          {details.map(([key, value]) => (
            <div key={key}>
              <dt>{labelOf(key, {})}</dt>
              <dd>{describeValue(value)}</dd>
            </div>
          ))}
        </dl>
      )}
      <p className="notice__meta">Took {formatDuration(result.durationMs)}.</p>
    </div>
  );
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(describeValue).join(', ');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([k, v]) => `${k}: ${describeValue(v)}`)
      .join(', ');
  }
  return String(value);
}
