import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';

import { useApi } from '../../api/api-context';
import { isApiError } from '../../api/api-error';
import { queryKeys } from '../../api/query-keys';
import type { Provider } from '../../api/types';
import { useUpdateProvider } from '../../api/use-update-provider';
import { Field } from '../../components/field';
import { ErrorNotice, Loading } from '../../components/notices';
import { formatDateTime } from '../../lib/format';
import { entityLabel } from '../../lib/vocabulary';

const GRACE_ERROR = 'Enter a whole number of runs from 1 to 100.';
const PAGE_SIZE = 25;

/** "3" → 3; undefined when it is not a whole number of runs from 1 to 100. */
function graceRunsOf(text: string): number | undefined {
  const n = Number(text.trim());
  return text.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= 100 ? n : undefined;
}

/**
 * How many complete runs may lack a record before it is deactivated, and the records that are
 * missing now but still within that grace.
 */
export function GracePeriodCard({ provider }: { provider: Provider }) {
  const saved = String(provider.deactivationGraceRuns);
  const [value, setValue] = useState(saved);
  const [error, setError] = useState<string | undefined>(undefined);
  const update = useUpdateProvider(provider.id);
  const serverError = isApiError(update.error) ? update.error.fieldErrors().deactivationGraceRuns : undefined;
  const dirty = value.trim() !== saved;

  return (
    <section className="card" aria-labelledby="grace-title">
      <h2 id="grace-title">Grace period</h2>
      <form
        noValidate
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          const runs = graceRunsOf(value);
          if (runs === undefined) {
            setError(GRACE_ERROR);
            return;
          }
          setError(undefined);
          update.mutate({ deactivationGraceRuns: runs });
        }}
      >
        <Field
          label="Deactivate after (complete runs without the record)"
          hint="1 deactivates a record on the first complete sync that lacks it. A higher number keeps it active, in grace, until that many complete syncs in a row went without it: a record left out of one export by mistake is not taken away."
          error={error ?? serverError}
        >
          {(control) => (
            <input
              {...control}
              className="input input--narrow"
              inputMode="numeric"
              autoComplete="off"
              value={value}
              onChange={(event) => {
                setValue(event.target.value);
                setError(undefined);
                update.reset();
              }}
            />
          )}
        </Field>
        {update.error !== null && serverError === undefined ? (
          <ErrorNotice error={update.error} title="The grace period could not be saved" />
        ) : null}
        {update.isSuccess && !dirty ? <p role="status">Grace period saved.</p> : null}
        <div>
          <button type="submit" className="button button--primary" disabled={!dirty || update.isPending}>
            Save grace period
          </button>
        </div>
      </form>
      <GraceRecords provider={provider} />
    </section>
  );
}

/** The provider's records in grace, a page at a time. */
function GraceRecords({ provider }: { provider: Provider }) {
  const api = useApi();
  // The cursors of the pages before this one, so that "Previous" can go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const page = useQuery({
    queryKey: queryKeys.graceRecords(provider.id, cursor),
    queryFn: () => api.graceRecords(provider.id, PAGE_SIZE, cursor),
  });
  if (page.isPending) return <Loading label="Loading the records in grace" />;
  if (page.isError) {
    return <ErrorNotice error={page.error} title="The records in grace could not be loaded" />;
  }
  const { records, nextCursor } = page.data;
  if (records.length === 0 && cursors.length === 1) {
    return <p className="muted">No records are in grace: every record is in the last complete sync.</p>;
  }
  return (
    <div className="stack">
      <div className="table-wrap">
        <table className="table" aria-label="Records in grace">
          <thead>
            <tr>
              <th scope="col">Record</th>
              <th scope="col">Kind</th>
              <th scope="col">Missing from</th>
              <th scope="col">Deactivated after</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {records.map((record) => (
              <tr key={`${record.entity}:${record.externalId}`}>
                <td>
                  {record.label ?? record.externalId}
                  <div className="muted">{record.externalId}</div>
                </td>
                <td>{entityLabel(record.entity)}</td>
                <td>
                  {record.missingRuns} {record.missingRuns === 1 ? 'run' : 'runs'}
                </td>
                <td>
                  {record.runsLeft} more {record.runsLeft === 1 ? 'run' : 'runs'}
                </td>
                <td>
                  {record.lastSeenRunId === null ? (
                    '—'
                  ) : (
                    <Link to={`/runs/${record.lastSeenRunId}`}>
                      {record.lastSeenAt === null
                        ? 'Run'
                        : formatDateTime(record.lastSeenAt, provider.syncTimezone)}
                    </Link>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cursors.length > 1 || nextCursor !== null ? (
        <nav className="pager" aria-label="Pages of records in grace">
          <button
            type="button"
            className="button button--small"
            disabled={cursors.length === 1}
            onClick={() => setCursors(cursors.slice(0, -1))}
          >
            Previous page
          </button>
          <button
            type="button"
            className="button button--small"
            disabled={nextCursor === null}
            onClick={() => nextCursor !== null && setCursors([...cursors, nextCursor])}
          >
            Next page
          </button>
        </nav>
      ) : null}
    </div>
  );
}
