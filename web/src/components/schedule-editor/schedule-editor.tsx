import { useId, useMemo, useState } from 'react';

import { browserTimeZone, formatRunTime, knownTimeZones } from '../../lib/format';
import { Field } from '../field';
import {
  PRESETS,
  modeOf,
  type ScheduleErrors,
  type ScheduleMode,
  type ScheduleValue,
} from './schedule-value';
import { useSchedulePreview } from './use-schedule-preview';

interface ScheduleEditorProps {
  value: ScheduleValue;
  onChange: (value: ScheduleValue) => void;
  /** Errors from saving (the server's syncSchedule / syncTimezone issues). */
  errors?: ScheduleErrors;
  /** The level of the "When it runs" heading, one below the heading the editor sits under. */
  headingLevel?: 3 | 4;
}

/**
 * When a provider syncs: none, a preset or a cron expression, in a time zone; with what that
 * means in words and the next five run times, as the server computes them.
 */
export function ScheduleEditor({ value, onChange, errors = {}, headingLevel = 3 }: ScheduleEditorProps) {
  const Heading = headingLevel === 3 ? 'h3' : 'h4';
  const [mode, setMode] = useState<ScheduleMode>(() => modeOf(value.schedule));
  const [cron, setCron] = useState(() => (modeOf(value.schedule) === 'custom' ? (value.schedule ?? '') : ''));
  const { preview, errors: previewErrors, isFetching } = useSchedulePreview(value);
  const zones = useMemo(knownTimeZones, []);
  const zonesId = useId();
  const name = useId();
  const previewId = useId();

  const scheduleError = errors.schedule ?? previewErrors.schedule;
  const timezoneError = errors.timezone ?? previewErrors.timezone;
  const valid =
    preview !== undefined && previewErrors.schedule === undefined && previewErrors.timezone === undefined;

  function choose(next: ScheduleMode) {
    setMode(next);
    if (next === 'none') onChange({ ...value, schedule: null });
    else if (next === 'custom') onChange({ ...value, schedule: cron });
    else onChange({ ...value, schedule: next });
  }

  const options: { value: ScheduleMode; label: string }[] = [
    { value: 'none', label: 'No schedule (manual runs only)' },
    ...PRESETS,
    { value: 'custom', label: 'Custom (cron expression)' },
  ];

  return (
    <div className="schedule-editor">
      <fieldset className="fieldset">
        <legend className="fieldset__legend">Sync schedule</legend>
        <div className="radio-grid">
          {options.map((option) => (
            <label
              key={option.value}
              className={`radio-card${mode === option.value ? ' radio-card--checked' : ''}`}
            >
              <input
                type="radio"
                name={name}
                value={option.value}
                checked={mode === option.value}
                onChange={() => choose(option.value)}
              />
              <span>{option.label}</span>
            </label>
          ))}
        </div>
        {mode !== 'custom' && scheduleError !== undefined ? (
          <p className="field__error" role="alert">
            {scheduleError}
          </p>
        ) : null}
      </fieldset>

      {mode === 'custom' ? (
        <Field
          label="Cron expression"
          required
          hint="Five fields: minute, hour, day of month, month, day of week. For example 30 1 * * 1-5 is 1:30 AM on weekdays."
          error={scheduleError}
        >
          {(control) => (
            <input
              {...control}
              className="input input--mono"
              value={cron}
              autoComplete="off"
              spellCheck={false}
              placeholder="0 2 * * *"
              onChange={(event) => {
                setCron(event.target.value);
                onChange({ ...value, schedule: event.target.value });
              }}
            />
          )}
        </Field>
      ) : null}

      <Field
        label="Time zone"
        hint={`The district's IANA time zone; runs follow its clock through daylight saving. Your browser is in ${browserTimeZone()}.`}
        error={timezoneError}
        required
      >
        {(control) => (
          <input
            {...control}
            className="input"
            list={zonesId}
            autoComplete="off"
            spellCheck={false}
            value={value.timezone}
            onChange={(event) => onChange({ ...value, timezone: event.target.value })}
          />
        )}
      </Field>
      <datalist id={zonesId}>
        {zones.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>

      {value.schedule === null ? (
        <p className="muted">This integration will sync only when someone starts a run.</p>
      ) : (
        <section className="schedule-preview" aria-labelledby={previewId} aria-busy={isFetching}>
          <Heading id={previewId} className="schedule-preview__title">
            When it runs
          </Heading>
          <p className="schedule-preview__description" aria-live="polite">
            {valid
              ? preview.description
              : isFetching
                ? 'Working out the schedule…'
                : 'Enter a valid schedule to see when it runs.'}
          </p>
          {valid ? (
            <>
              <p className="field__hint">Next five runs ({preview.timezone}):</p>
              <ol className="schedule-preview__runs">
                {preview.nextRuns.map((at) => (
                  <li key={at}>
                    <time dateTime={at}>{formatRunTime(at, preview.timezone)}</time>
                  </li>
                ))}
              </ol>
            </>
          ) : null}
        </section>
      )}
    </div>
  );
}
