import { useRef, useState } from 'react';

import { isApiError } from '../../api/api-error';
import type { BlackoutWindow, Provider } from '../../api/types';
import { useUpdateProvider } from '../../api/use-update-provider';
import { Field } from '../../components/field';
import { ErrorNotice } from '../../components/notices';

interface WindowDraft {
  key: number;
  start: string;
  end: string;
  reason: string;
}

const draftOf = (w: BlackoutWindow, key: number): WindowDraft => ({
  key,
  start: w.start,
  end: w.end,
  reason: w.reason ?? '',
});

const sameWindows = (drafts: WindowDraft[], saved: readonly BlackoutWindow[]) =>
  drafts.length === saved.length &&
  drafts.every(
    (d, i) =>
      d.start === saved[i]?.start && d.end === saved[i]?.end && d.reason.trim() === (saved[i]?.reason ?? ''),
  );

/**
 * Whole local days on which scheduled runs are skipped (recorded as SKIPPED): summer
 * rollover, testing weeks. Manual runs still go. Saving replaces the list.
 */
export function BlackoutWindowsCard({ provider }: { provider: Provider }) {
  // Row keys, so that removing a window keeps the focus and input state of the others.
  const lastKey = useRef(0);
  const nextKey = () => ++lastKey.current;
  const [drafts, setDrafts] = useState<WindowDraft[]>(() =>
    provider.blackoutWindows.map((w) => draftOf(w, nextKey())),
  );
  const update = useUpdateProvider(provider.id);
  const errors = isApiError(update.error) ? update.error.fieldErrors('blackoutWindows') : {};
  const dirty = !sameWindows(drafts, provider.blackoutWindows);

  const change = (key: number, patch: Partial<WindowDraft>) => {
    setDrafts((current) => current.map((d) => (d.key === key ? { ...d, ...patch } : d)));
    update.reset();
  };

  return (
    <section className="card" aria-labelledby="blackout-title">
      <h2 id="blackout-title">Blackout windows</h2>
      <p className="muted">
        Scheduled syncs are skipped on these days (in {provider.syncTimezone}), and each skip is recorded.
        Syncs started by hand still run.
      </p>
      <form
        noValidate
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          update.mutate(
            {
              blackoutWindows: drafts.map((d) => ({
                start: d.start,
                end: d.end,
                reason: d.reason.trim() === '' ? null : d.reason.trim(),
              })),
            },
            { onSuccess: (saved) => setDrafts(saved.blackoutWindows.map((w) => draftOf(w, nextKey()))) },
          );
        }}
      >
        {drafts.length === 0 ? <p className="muted">No blackout windows.</p> : null}
        {drafts.map((draft, index) => (
          <fieldset key={draft.key} className="fieldset blackout-window">
            <legend className="fieldset__legend">Blackout window {index + 1}</legend>
            {errors[`.${index}`] === undefined ? null : <p className="field__error">{errors[`.${index}`]}</p>}
            <div className="blackout-window__fields">
              <Field label="Start date" error={errors[`.${index}.start`]} required>
                {(control) => (
                  <input
                    {...control}
                    type="date"
                    className="input"
                    value={draft.start}
                    onChange={(event) => change(draft.key, { start: event.target.value })}
                  />
                )}
              </Field>
              <Field label="End date" error={errors[`.${index}.end`]} required>
                {(control) => (
                  <input
                    {...control}
                    type="date"
                    className="input"
                    value={draft.end}
                    min={draft.start === '' ? undefined : draft.start}
                    onChange={(event) => change(draft.key, { end: event.target.value })}
                  />
                )}
              </Field>
              <Field label="Reason" error={errors[`.${index}.reason`]}>
                {(control) => (
                  <input
                    {...control}
                    className="input"
                    value={draft.reason}
                    placeholder="e.g. summer rollover"
                    onChange={(event) => change(draft.key, { reason: event.target.value })}
                  />
                )}
              </Field>
            </div>
            <button
              type="button"
              className="button button--small button--ghost"
              onClick={() => {
                setDrafts((current) => current.filter((d) => d.key !== draft.key));
                update.reset();
              }}
            >
              Remove blackout window {index + 1}
            </button>
          </fieldset>
        ))}
        {errors[''] === undefined ? null : (
          <p className="field__error" role="alert">
            {errors['']}
          </p>
        )}
        {update.error !== null ? (
          <ErrorNotice error={update.error} title="The blackout windows could not be saved" />
        ) : null}
        {update.isSuccess && !dirty ? <p role="status">Blackout windows saved.</p> : null}
        <div className="button-row">
          <button
            type="button"
            className="button"
            onClick={() => {
              setDrafts((current) => [...current, { key: nextKey(), start: '', end: '', reason: '' }]);
              update.reset();
            }}
          >
            Add blackout window
          </button>
          <button type="submit" className="button button--primary" disabled={!dirty || update.isPending}>
            Save blackout windows
          </button>
        </div>
      </form>
    </section>
  );
}
