import { useId, useState, type ReactNode } from 'react';

import { describeError } from '../api/api-error';
import { Dialog } from './dialog';

interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  tone?: 'danger' | 'primary';
  pending?: boolean;
  error?: unknown;
  /** When set, the confirm button stays disabled until this text is typed exactly. */
  typeToConfirm?: string;
}

/** "Are you sure?" for actions that cannot be undone; the cancel button takes the first focus. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  tone = 'primary',
  pending = false,
  error,
  typeToConfirm,
}: ConfirmDialogProps) {
  const [typed, setTyped] = useState('');
  const inputId = useId();
  const matches = typeToConfirm === undefined || typed.trim() === typeToConfirm.trim();
  return (
    <Dialog title={title} onClose={onCancel} busy={pending}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (matches && !pending) onConfirm();
        }}
      >
        <div className="stack">{children}</div>
        {typeToConfirm === undefined ? null : (
          <div className="field">
            <label htmlFor={inputId} className="field__label">
              Type <strong>{typeToConfirm}</strong> to confirm
            </label>
            <input
              id={inputId}
              className="input"
              value={typed}
              autoComplete="off"
              autoFocus
              onChange={(event) => setTyped(event.target.value)}
            />
          </div>
        )}
        {error === undefined || error === null ? null : (
          <p className="notice notice--danger" role="alert">
            {describeError(error)}
          </p>
        )}
        <div className="dialog__actions">
          <button
            type="button"
            className="button"
            onClick={onCancel}
            disabled={pending}
            autoFocus={typeToConfirm === undefined}
          >
            Cancel
          </button>
          <button
            type="submit"
            className={`button button--${tone}`}
            disabled={!matches || pending}
            aria-busy={pending}
          >
            {pending ? <span className="spinner" aria-hidden="true" /> : null}
            {confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
