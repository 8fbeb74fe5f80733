import { useId } from 'react';

interface SwitchProps {
  /** The accessible name; stays the same whichever way the switch is set. */
  label: string;
  /** Keep the label for assistive technology only (in a table whose column says it). */
  hideLabel?: boolean;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}

/** An on/off switch on a native checkbox (role="switch"): Space toggles it, and its state is read out. */
export function Switch({ label, hideLabel = false, checked, onChange, disabled = false }: SwitchProps) {
  const id = useId();
  return (
    <span className="switch">
      <input
        id={id}
        type="checkbox"
        role="switch"
        className="switch__input"
        checked={checked}
        disabled={disabled}
        onChange={(event) => onChange(event.target.checked)}
      />
      <label htmlFor={id} className="switch__label">
        <span className="switch__track" aria-hidden="true">
          <span className="switch__thumb" />
        </span>
        <span className={hideLabel ? 'visually-hidden' : 'switch__text'}>{label}</span>
      </label>
    </span>
  );
}
