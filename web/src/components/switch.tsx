import { useId } from 'react';

interface SwitchProps {
  /** The accessible name; stays the same whichever way the switch is set. */
  label: string;
  /** Shown next to the switch instead of the label (the label then names it for assistive tech). */
  visibleLabel?: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  disabled?: boolean;
}

/** An on/off switch on a native checkbox (role="switch"): Space toggles it, and its state is read out. */
export function Switch({ label, visibleLabel, checked, onChange, disabled = false }: SwitchProps) {
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
        {...(visibleLabel === undefined ? {} : { 'aria-label': label })}
      />
      <label htmlFor={id} className="switch__label">
        <span className="switch__track" aria-hidden="true">
          <span className="switch__thumb" />
        </span>
        <span className={visibleLabel === undefined ? 'visually-hidden' : 'switch__text'}>
          {visibleLabel ?? label}
        </span>
      </label>
    </span>
  );
}
