import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';

import { useApi } from '../../api/api-context';
import type { EntityType, RunError, RunErrorFilter } from '../../api/types';
import { Field } from '../../components/field';
import { ErrorNotice, Loading } from '../../components/notices';
import { Pager } from '../../components/pager';
import { Badge } from '../../components/status-badge';
import { formatCount } from '../../lib/format';
import { saveFile } from '../../lib/save-file';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { ENTITY_TYPES, entityLabel } from '../../lib/vocabulary';
import { useRunErrors } from './use-run';

const PAGE_SIZE = 25;
type Severity = RunError['severity'];

/** Per-record problems, with the file and line (or page) and field each came from; filterable, exportable. */
export function RunErrors({ runId }: { runId: string }) {
  const api = useApi();
  const [entity, setEntity] = useState<EntityType | ''>('');
  const [severity, setSeverity] = useState<Severity | ''>('');
  const [code, setCode] = useState('');
  const [offset, setOffset] = useState(0);
  const codesId = useId();
  const countId = useId();
  const debouncedCode = useDebouncedValue(code.trim(), 300);
  const filter: RunErrorFilter = {
    ...(entity === '' ? {} : { entity }),
    ...(severity === '' ? {} : { severity }),
    ...(debouncedCode === '' ? {} : { code: debouncedCode }),
  };
  const errors = useRunErrors(runId, { limit: PAGE_SIZE, offset }, filter);
  const download = useMutation({
    mutationFn: () => api.runErrorsCsv(runId, filter),
    onSuccess: (blob) => saveFile(blob, `run-${runId}-errors.csv`),
  });
  const codes = [...new Set(errors.data?.items.map((e) => e.code) ?? [])].sort();

  return (
    <div>
      <div className="filters" role="group" aria-label="Filter errors">
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
        <Field label="Severity">
          {(control) => (
            <select
              {...control}
              className="input"
              value={severity}
              onChange={(event) => {
                setSeverity(event.target.value as Severity | '');
                setOffset(0);
              }}
            >
              <option value="">Errors and warnings</option>
              <option value="error">Errors</option>
              <option value="warning">Warnings</option>
            </select>
          )}
        </Field>
        <Field label="Error code">
          {(control) => (
            <input
              {...control}
              className="input"
              list={codesId}
              value={code}
              autoComplete="off"
              spellCheck={false}
              placeholder="e.g. missing_required"
              onChange={(event) => {
                setCode(event.target.value);
                setOffset(0);
              }}
            />
          )}
        </Field>
        <datalist id={codesId}>
          {codes.map((c) => (
            <option key={c} value={c} />
          ))}
        </datalist>
        <button
          type="button"
          className="button"
          disabled={download.isPending || errors.data?.total === 0}
          aria-busy={download.isPending}
          onClick={() => download.mutate()}
        >
          {download.isPending ? <span className="spinner" aria-hidden="true" /> : null}
          Download CSV
        </button>
      </div>
      {download.error === null ? null : (
        <ErrorNotice error={download.error} title="The CSV could not be downloaded" />
      )}
      {errors.isPending ? (
        <Loading label="Loading errors…" />
      ) : errors.error !== null ? (
        <ErrorNotice error={errors.error} title="The errors could not be loaded" />
      ) : errors.data.total === 0 ? (
        <p className="muted">
          {Object.keys(filter).length === 0 ? 'No record errors.' : 'No errors match the filters.'}
        </p>
      ) : (
        <>
          <p id={countId} className="field__hint" aria-live="polite">
            {formatCount(errors.data.total)} {errors.data.total === 1 ? 'problem' : 'problems'}
          </p>
          <div className="table-wrap">
            <table className="table table--compact" aria-describedby={countId}>
              <caption className="visually-hidden">Record errors</caption>
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">Entity</th>
                  <th scope="col">External ID</th>
                  <th scope="col">Where</th>
                  <th scope="col">Field</th>
                  <th scope="col">Code</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {errors.data.items.map((error) => (
                  <tr key={error.id}>
                    <td>
                      <Badge tone={error.severity === 'error' ? 'danger' : 'warning'}>
                        {error.severity === 'error' ? 'Error' : 'Warning'}
                      </Badge>
                    </td>
                    <td>{error.entity === null ? '—' : entityLabel(error.entity)}</td>
                    <td className="mono">{error.externalId ?? '—'}</td>
                    <td>{whereOf(error)}</td>
                    <td className="mono">{error.field ?? '—'}</td>
                    <td className="mono">{error.code}</td>
                    <td className="table__message">{error.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="errors"
            total={errors.data.total}
            limit={PAGE_SIZE}
            offset={offset}
            onChange={setOffset}
          />
        </>
      )}
    </div>
  );
}

function whereOf(error: RunError): string {
  if (error.file !== null) return error.line === null ? error.file : `${error.file}, line ${error.line}`;
  if (error.page !== null) return error.page;
  return '—';
}
