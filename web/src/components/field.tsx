import { useId, type ReactNode } from 'react';

/** What a control needs to be tied to its label, help text and error. */
export interface ControlProps {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
  required?: boolean;
}

interface FieldProps {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
  required?: boolean;
  children: (control: ControlProps) => ReactNode;
  className?: string;
}

/** A labelled form control with its help text and inline error, both read with the control. */
export function Field({ label, hint, error, required = false, children, className }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint === undefined ? null : hintId, error === undefined ? null : errorId]
    .filter((x) => x !== null)
    .join(' ');
  const control: ControlProps = {
    id,
    ...(describedBy === '' ? {} : { 'aria-describedby': describedBy }),
    ...(error === undefined ? {} : { 'aria-invalid': true as const }),
    ...(required ? { required: true } : {}),
  };
  return (
    <div
      className={`field${error === undefined ? '' : ' field--invalid'}${className === undefined ? '' : ` ${className}`}`}
    >
      <div className="field__label-row">
        <label htmlFor={id} className="field__label">
          {label}
        </label>
        {/* Outside the label: the control's own required state tells assistive technology. */}
        {required ? (
          <span className="field__required" aria-hidden="true">
            (required)
          </span>
        ) : null}
      </div>
      {hint === undefined ? null : (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      )}
      {children(control)}
      {error === undefined ? null : (
        <p id={errorId} className="field__error">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      )}
    </div>
  );
}

interface CheckboxFieldProps {
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  error?: string | undefined;
  disabled?: boolean;
}

export function CheckboxField({
  label,
  checked,
  onChange,
  hint,
  error,
  disabled = false,
}: CheckboxFieldProps) {
  const id = useId();
  const describedBy = [hint === undefined ? null : `${id}-hint`, error === undefined ? null : `${id}-error`]
    .filter((x) => x !== null)
    .join(' ');
  return (
    <div className={`field field--checkbox${error === undefined ? '' : ' field--invalid'}`}>
      <input
        id={id}
        type="checkbox"
        className="checkbox"
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange(event.target.checked)}
        {...(describedBy === '' ? {} : { 'aria-describedby': describedBy })}
        {...(error === undefined ? {} : { 'aria-invalid': true })}
      />
      <div>
        <label htmlFor={id} className="field__label">
          {label}
        </label>
        {hint === undefined ? null : (
          <p id={`${id}-hint`} className="field__hint">
            {hint}
          </p>
        )}
        {error === undefined ? null : (
          <p id={`${id}-error`} className="field__error">
            <span aria-hidden="true">⚠ </span>
            {error}
          </p>
        )}
      </div>
    </div>
  );
}
