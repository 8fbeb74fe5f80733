import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';

import { useApi } from '../../api/api-context';
import { queryKeys } from '../../api/query-keys';
import type { ChangeKind, EntityType } from '../../api/types';
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

const PAGE_SIZE = 25;
const KIND_TONES = {
  created: 'success',
  updated: 'info',
  deactivated: 'danger',
  reactivated: 'warning',
  linked: 'neutral',
} as const;

/** The records a run changed, or would change, filtered by entity and kind, paged. */
export function ChangesList({ runId, initialKind }: { runId: string; initialKind?: ChangeKind }) {
  const api = useApi();
  const [entity, setEntity] = useState<EntityType | ''>('');
  const [kind, setKind] = useState<ChangeKind | ''>(initialKind ?? '');
  const [offset, setOffset] = useState(0);
  const captionId = useId();
  const page = { limit: PAGE_SIZE, offset };
  const filter = { ...(entity === '' ? {} : { entity }), ...(kind === '' ? {} : { kind }) };
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
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      {changes.isPending ? (
        <Loading label="Loading changes…" />
      ) : changes.error !== null ? (
        <ErrorNotice error={changes.error} title="The changes could not be loaded" />
      ) : changes.data.total === 0 ? (
        <p className="muted">
          {entity === '' && kind === '' ? 'No records changed.' : 'No changes match the filters.'}
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
                  <th scope="col">Change</th>
                  <th scope="col">Entity</th>
                  <th scope="col">Record</th>
                  <th scope="col">External ID</th>
                </tr>
              </thead>
              <tbody>
                {changes.data.changes.map((change) => (
                  <tr key={change.id}>
                    <td>
                      <Badge tone={KIND_TONES[change.kind]}>{CHANGE_KIND_LABELS[change.kind]}</Badge>
                      {change.matchedBy === null ? null : (
                        <span className="muted"> by {MATCH_RULE_LABELS[change.matchedBy]}</span>
                      )}
                    </td>
                    <td>{entityLabel(change.entity)}</td>
                    <td>{change.label ?? <span className="muted">—</span>}</td>
                    <td className="mono">{change.externalId}</td>
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
