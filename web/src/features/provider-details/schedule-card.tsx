import { useState } from 'react';

import type { Provider } from '../../api/types';
import { useUpdateProvider } from '../../api/use-update-provider';
import { ErrorNotice } from '../../components/notices';
import { ScheduleEditor } from '../../components/schedule-editor/schedule-editor';
import type { ScheduleValue } from '../../components/schedule-editor/schedule-value';
import { isApiError } from '../../api/api-error';

/** The same schedule editor as the wizard; saving replaces schedule and time zone together. */
export function ScheduleCard({ provider }: { provider: Provider }) {
  const saved: ScheduleValue = { schedule: provider.syncSchedule, timezone: provider.syncTimezone };
  const [value, setValue] = useState<ScheduleValue>(saved);
  const [editorKey, setEditorKey] = useState(0);
  const update = useUpdateProvider(provider.id);
  const dirty = value.schedule !== saved.schedule || value.timezone !== saved.timezone;
  const fields = isApiError(update.error) ? update.error.fieldErrors() : {};
  const errors = {
    ...(fields.syncSchedule === undefined ? {} : { schedule: fields.syncSchedule }),
    ...(fields.syncTimezone === undefined ? {} : { timezone: fields.syncTimezone }),
  };

  return (
    <section className="card" aria-labelledby="schedule-title">
      <h2 id="schedule-title">Schedule</h2>
      <form
        noValidate
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          update.mutate({
            syncSchedule: value.schedule === null ? null : value.schedule.trim(),
            syncTimezone: value.timezone.trim(),
          });
        }}
      >
        <ScheduleEditor
          key={editorKey}
          value={value}
          onChange={(next) => {
            setValue(next);
            update.reset();
          }}
          errors={errors}
        />
        {update.error !== null && Object.keys(errors).length === 0 ? (
          <ErrorNotice error={update.error} title="The schedule could not be saved" />
        ) : null}
        {update.isSuccess && !dirty ? <p role="status">Schedule saved.</p> : null}
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={!dirty || update.isPending}>
            Save schedule
          </button>
          {dirty ? (
            <button
              type="button"
              className="button button--ghost"
              onClick={() => {
                setValue(saved);
                setEditorKey((k) => k + 1);
                update.reset();
              }}
            >
              Undo changes
            </button>
          ) : null}
        </div>
      </form>
    </section>
  );
}
