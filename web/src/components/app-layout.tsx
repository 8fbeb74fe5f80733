import type { ReactNode } from 'react';
import { Link } from 'react-router';

import { useAuth } from '../auth/auth-context';
import { useMe } from '../auth/use-me';
import { ROLE_LABELS } from '../lib/vocabulary';

export function AppLayout({ children }: { children: ReactNode }) {
  const { signOut } = useAuth();
  const me = useMe();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="app-header">
        <div className="app-header__inner">
          <Link to="/" className="app-header__brand">
            <span className="app-header__logo" aria-hidden="true">
              ⇄
            </span>
            SIS integrations
          </Link>
          <div className="app-header__user">
            {me.data === undefined ? null : (
              <span className="app-header__who">
                <span className="visually-hidden">Signed in as </span>
                {me.data.subject}
                <span className="app-header__role">
                  {me.data.roles.map((role) => ROLE_LABELS[role]).join(', ')}
                  {me.data.tenantId === null ? '' : ` · ${me.data.tenantId}`}
                </span>
              </span>
            )}
            <button
              type="button"
              className="button button--small"
              onClick={() => signOut('You have signed out.')}
            >
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
