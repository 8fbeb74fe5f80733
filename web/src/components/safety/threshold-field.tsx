import { Field } from '../field';

/** The deactivation threshold as a percentage (the API's maxDeactivationRatio is 0..1). */
export function ThresholdField({
  value,
  onChange,
  error,
}: {
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
}) {
  return (
    <Field
      label="Hold for review above (% deactivated)"
      hint="A run that would deactivate more than this share of any kind of record (users, classes, ...) waits for your approval instead of applying. 10–20% suits the school year; raise it for back-to-school rollover."
      error={error}
    >
      {(control) => (
        <span className="input-suffix">
          <input
            {...control}
            className="input input--narrow"
            inputMode="decimal"
            autoComplete="off"
            value={value}
            onChange={(event) => onChange(event.target.value)}
          />
          <span aria-hidden="true">%</span>
        </span>
      )}
    </Field>
  );
}

/** "10" → 0.1; undefined when it is not a percentage. */
export function ratioOf(percent: string): number | undefined {
  const n = Number(percent.trim());
  if (percent.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) return undefined;
  return n / 100;
}

export function percentOf(ratio: number): string {
  return String(Math.round(ratio * 1000) / 10);
}

export const THRESHOLD_ERROR = 'Enter a percentage from 0 to 100.';
