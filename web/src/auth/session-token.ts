const STORAGE_KEY = 'sis-sync.token';

/** The bearer token lives for the browser tab only: sessionStorage, never localStorage. */
export function readStoredToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(STORAGE_KEY);
    else sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Storage refused (private mode): the token lives in memory for this page only.
  }
}

/**
 * A host application may hand the admin over with `#token=...` in the address. The token is
 * taken, stored, and removed from the address bar (and so from history and bookmarks) at once.
 */
export function takeTokenFromFragment(): string | null {
  const hash = window.location.hash.replace(/^#/, '');
  if (hash === '') return null;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (token === null || token.trim() === '') return null;
  params.delete('token');
  const rest = params.toString();
  const { pathname, search } = window.location;
  window.history.replaceState(
    window.history.state,
    '',
    `${pathname}${search}${rest === '' ? '' : `#${rest}`}`,
  );
  storeToken(token.trim());
  return token.trim();
}
