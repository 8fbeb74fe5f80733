import type { ReactNode } from 'react';

interface WizardFooterProps {
  onCancel: () => void;
  onBack?: () => void;
  /** The primary button: submits the step's form. */
  primaryLabel: string;
  pending?: boolean;
  primaryDisabled?: boolean;
  children?: ReactNode;
}

export function WizardFooter({
  onCancel,
  onBack,
  primaryLabel,
  pending = false,
  primaryDisabled = false,
}: WizardFooterProps) {
  return (
    <div className="dialog__actions dialog__actions--spread">
      <button type="button" className="button button--ghost" onClick={onCancel} disabled={pending}>
        Cancel
      </button>
      <div className="button-row">
        {onBack === undefined ? null : (
          <button type="button" className="button" onClick={onBack} disabled={pending}>
            Back
          </button>
        )}
        <button
          type="submit"
          className="button button--primary"
          disabled={pending || primaryDisabled}
          aria-busy={pending}
        >
          {pending ? <span className="spinner" aria-hidden="true" /> : null}
          {primaryLabel}
        </button>
      </div>
    </div>
  );
}
