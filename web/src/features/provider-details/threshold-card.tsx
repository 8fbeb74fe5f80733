import { useState } from 'react';

import { isApiError } from '../../api/api-error';
import type { Provider } from '../../api/types';
import { useUpdateProvider } from '../../api/use-update-provider';
import { ErrorNotice } from '../../components/notices';
import { percentOf, ratioOf, THRESHOLD_ERROR, ThresholdField } from '../../components/safety/threshold-field';

/** How much a run may deactivate before it waits for an admin's approval. */
export function ThresholdCard({ provider }: { provider: Provider }) {
  const saved = percentOf(provider.maxDeactivationRatio);
  const [value, setValue] = useState(saved);
  const [error, setError] = useState<string | undefined>(undefined);
  const update = useUpdateProvider(provider.id);
  const serverError = isApiError(update.error) ? update.error.fieldErrors().maxDeactivationRatio : undefined;
  const dirty = value.trim() !== saved;

  return (
    <section className="card" aria-labelledby="threshold-title">
      <h2 id="threshold-title">Deactivation safety</h2>
      <form
        noValidate
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          const ratio = ratioOf(value);
          if (ratio === undefined) {
            setError(THRESHOLD_ERROR);
            return;
          }
          setError(undefined);
          update.mutate({ maxDeactivationRatio: ratio });
        }}
      >
        <ThresholdField
          value={value}
          onChange={(next) => {
            setValue(next);
            setError(undefined);
            update.reset();
          }}
          error={error ?? serverError}
        />
        {update.error !== null && serverError === undefined ? (
          <ErrorNotice error={update.error} title="The threshold could not be saved" />
        ) : null}
        {update.isSuccess && !dirty ? <p role="status">Threshold saved.</p> : null}
        <div>
          <button type="submit" className="button button--primary" disabled={!dirty || update.isPending}>
            Save threshold
          </button>
        </div>
      </form>
    </section>
  );
}
