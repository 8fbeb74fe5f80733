import type { ReactNode } from 'react';

import { ApiError, describeError } from '../api/api-error';

/** A failed request, said plainly, with the request id support will ask for. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  const requestId = error instanceof ApiError ? error.requestId : null;
  return (
    <div className="notice notice--danger" role="alert">
      {title === undefined ? null : <p className="notice__title">{title}</p>}
      <p>{describeError(error)}</p>
      {requestId === null ? null : <p className="notice__meta">Request id: {requestId}</p>}
    </div>
  );
}

export function Notice({
  tone = 'info',
  title,
  children,
  role,
}: {
  tone?: 'info' | 'success' | 'warning' | 'danger';
  title?: string;
  children?: ReactNode;
  role?: 'status' | 'alert';
}) {
  return (
    <div className={`notice notice--${tone}`} {...(role === undefined ? {} : { role })}>
      {title === undefined ? null : <p className="notice__title">{title}</p>}
      {children}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}
