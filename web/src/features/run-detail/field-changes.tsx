import type { FieldChange } from '../../api/types';

/** A field's value as the roster API gives it, in a few words: lists joined, nothing as a dash. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.length === 0 ? '—' : value.map(formatValue).join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The fields a change sets: old → new for an update, the value for a created record. */
export function FieldChanges({ fields, created }: { fields: Record<string, FieldChange>; created: boolean }) {
  const entries = Object.entries(fields);
  if (entries.length === 0) return <span className="muted">No field changes</span>;
  return (
    <ul className="field-changes">
      {entries.map(([field, change]) => (
        <li key={field} data-field={field}>
          <span className="field-changes__name">{field}</span>{' '}
          {created ? null : (
            <>
              <del className="field-changes__old">{formatValue(change.old)}</del>
              <span aria-label="becomes"> → </span>
            </>
          )}
          <ins className="field-changes__new">{formatValue(change.new)}</ins>
        </li>
      ))}
    </ul>
  );
}
