import { useEffect } from 'react';

/** Each screen names itself in the tab title, so the history and screen readers say where one is. */
export function useDocumentTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title === undefined ? 'SIS integrations' : `${title} · SIS integrations`;
  }, [title]);
}
