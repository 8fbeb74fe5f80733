import { useEffect, useId, useRef, type ReactNode } from 'react';

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Shown under the title, and read with it as the dialog's description. */
  description?: ReactNode;
  size?: 'small' | 'large';
  /** While true, Escape and the close button do nothing (a save in flight). */
  busy?: boolean;
}

/**
 * A modal dialog on the native <dialog>: showModal() makes the rest of the page inert (focus
 * cannot leave), Escape closes it, and focus goes back to whatever opened it.
 */
export function Dialog({ title, onClose, children, description, size = 'small', busy = false }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  const busyRef = useRef(busy);
  useEffect(() => {
    onCloseRef.current = onClose;
    busyRef.current = busy;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      if (!busyRef.current) onCloseRef.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`dialog dialog--${size}`}
      role="dialog"
      aria-modal="true"
      aria-labelledby={titleId}
      {...(description === undefined ? {} : { 'aria-describedby': descriptionId })}
    >
      <div className="dialog__header">
        <h2 id={titleId} className="dialog__title">
          {title}
        </h2>
        <button
          type="button"
          className="button button--ghost button--icon"
          aria-label="Close"
          onClick={onClose}
          disabled={busy}
        >
          <span aria-hidden="true">×</span>
        </button>
      </div>
      {description === undefined ? null : (
        <div id={descriptionId} className="dialog__description">
          {description}
        </div>
      )}
      <div className="dialog__body">{children}</div>
    </dialog>
  );
}
