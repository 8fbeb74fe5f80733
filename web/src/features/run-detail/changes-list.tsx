import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';

import { useApi } from '../../api/api-context';
import { queryKeys } from '../../api/query-keys';
import type { ChangeKind, EntityType, ExcludedRecord, RunChange, RunChangeList } from '../../api/types';
import { Field } from '../../components/field';
import { ErrorNotice, Loading } from '../../components/notices';
import { Pager } from '../../components/pager';
import { Badge } from '../../components/status-badge';
import { formatCount } from '../../lib/format';
import {
  CHANGE_KIND_LABELS,
  CHANGE_KINDS,
  ENTITY_TYPES,
  MATCH_RULE_LABELS,
  entityLabel,
} from '../../lib/vocabulary';
import { FieldChanges } from './field-changes';

const PAGE_SIZE = 25;
const KIND_TONES = {
  created: 'success',
  updated: 'info',
  deactivated: 'danger',
  reactivated: 'warning',
  linked: 'neutral',
} as const;

/** Records a reviewer picks to leave out of an approval. */
export interface ExclusionPicker {
  isExcluded(record: ExcludedRecord): boolean;
  toggle(record: ExcludedRecord): void;
}

/** How many changes the filter bar's option stands for, from the counts under the other filters. */
function countOf(
  counts: RunChangeList['counts'] | undefined,
  match: (c: RunChangeList['counts'][number]) => boolean,
) {
  if (counts === undefined) return '';
  return ` (${formatCount(counts.filter(match).reduce((sum, c) => sum + c.n, 0))})`;
}

/**
 * The records a run changed, or would change, with the fields each sets (old → new), filtered by
 * entity, kind, field and text, paged. With a picker (a held run), each record can be excluded.
 */
export function ChangesList({
  runId,
  initialKind,
  picker,
}: {
  runId: string;
  initialKind?: ChangeKind;
  picker?: ExclusionPicker;
}) {
  const api = useApi();
  const [entity, setEntity] = useState<EntityType | ''>('');
  const [kind, setKind] = useState<ChangeKind | ''>(initialKind ?? '');
  const [field, setField] = useState('');
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const captionId = useId();
  const page = { limit: PAGE_SIZE, offset };
  const q = search.trim();
  const filter = {
    ...(entity === '' ? {} : { entity }),
    ...(kind === '' ? {} : { kind }),
    ...(field === '' ? {} : { field }),
    ...(q === '' ? {} : { q }),
  };
  const changes = useQuery({
    queryKey: queryKeys.runChanges(runId, page, filter),
    queryFn: () => api.runChanges(runId, page, filter),
    placeholderData: keepPreviousData,
  });

  return (
    <div>
      <div className="filters" role="group" aria-label="Filter changes">
        <Field label="Kind of change">
          {(control) => (
            <select
              {...control}
              className="input"
              value={kind}
              onChange={(event) => {
                setKind(event.target.value as ChangeKind | '');
                setOffset(0);
              }}
            >
              <option value="">All changes</option>
              {CHANGE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {CHANGE_KIND_LABELS[k]}
                  {countOf(
                    changes.data?.counts,
                    (c) => c.kind === k && (entity === '' || c.entity === entity),
                  )}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Entity">
          {(control) => (
            <select
              {...control}
              className="input"
              value={entity}
              onChange={(event) => {
                setEntity(event.target.value as EntityType | '');
                setOffset(0);
              }}
            >
              <option value="">All entities</option>
              {ENTITY_TYPES.map((e) => (
                <option key={e} value={e}>
                  {entityLabel(e)}
                  {countOf(changes.data?.counts, (c) => c.entity === e && (kind === '' || c.kind === kind))}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Field">
          {(control) => (
            <select
              {...control}
              className="input"
              value={field}
              onChange={(event) => {
                setField(event.target.value);
                setOffset(0);
              }}
            >
              <option value="">Any field</option>
              {(changes.data?.fields ?? (field === '' ? [] : [field])).map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Search">
          {(control) => (
            <input
              {...control}
              type="search"
              className="input"
              placeholder="Name, email or external ID"
              maxLength={200}
              value={search}
              onChange={(event) => {
                setSearch(event.target.value);
                setOffset(0);
              }}
            />
          )}
        </Field>
      </div>
      {changes.isPending ? (
        <Loading label="Loading changes…" />
      ) : changes.error !== null ? (
        <ErrorNotice error={changes.error} title="The changes could not be loaded" />
      ) : changes.data.total === 0 ? (
        <p className="muted">
          {Object.keys(filter).length === 0 ? 'No records changed.' : 'No changes match the filters.'}
        </p>
      ) : (
        <>
          <p id={captionId} className="field__hint" aria-live="polite">
            {formatCount(changes.data.total)} {changes.data.total === 1 ? 'record' : 'records'}
          </p>
          <div className="table-wrap">
            <table className="table table--compact" aria-describedby={captionId}>
              <caption className="visually-hidden">Changed records</caption>
              <thead>
                <tr>
                  {picker === undefined ? null : <th scope="col">Exclude</th>}
                  <th scope="col">Change</th>
                  <th scope="col">Entity</th>
                  <th scope="col">Record</th>
                  <th scope="col">External ID</th>
                  <th scope="col">Fields</th>
                </tr>
              </thead>
              <tbody>
                {changes.data.changes.map((change) => (
                  <tr key={change.id}>
                    {picker === undefined ? null : (
                      <td>
                        <ExcludeBox change={change} picker={picker} />
                      </td>
                    )}
                    <td>
                      <Badge tone={KIND_TONES[change.kind]}>{CHANGE_KIND_LABELS[change.kind]}</Badge>
                      {change.matchedBy === null ? null : (
                        <span className="muted"> by {MATCH_RULE_LABELS[change.matchedBy]}</span>
                      )}
                    </td>
                    <td>{entityLabel(change.entity)}</td>
                    <td>{change.label ?? <span className="muted">—</span>}</td>
                    <td className="mono">{change.externalId}</td>
                    <td>
                      <FieldChanges fields={change.fields} created={change.kind === 'created'} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="changes"
            total={changes.data.total}
            limit={PAGE_SIZE}
            offset={offset}
            onChange={setOffset}
          />
        </>
      )}
    </div>
  );
}

/** A record's "leave it out of the approval" box, named after the record for screen readers. */
function ExcludeBox({ change, picker }: { change: RunChange; picker: ExclusionPicker }) {
  const record = { entity: change.entity, externalId: change.externalId };
  return (
    <input
      type="checkbox"
      aria-label={`Exclude ${change.label ?? change.externalId} (${change.externalId})`}
      checked={picker.isExcluded(record)}
      onChange={() => picker.toggle(record)}
    />
  );
}
