import { useState } from 'react';

import { useAuth } from '../../auth/auth-context';
import { ErrorNotice, Notice } from '../../components/notices';
import { Field } from '../../components/field';
import { useApi } from '../../api/api-context';
import { useDocumentTitle } from '../../lib/use-document-title';
import { DevSignIn } from './dev-sign-in';

/** Shown instead of every screen while there is no token. */
export function SignInPage() {
  useDocumentTitle('Sign in');
  const api = useApi();
  const { notice, signIn } = useAuth();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);

  async function submit() {
    const candidate = token.trim();
    if (candidate === '') {
      setError(new Error('Paste an access token first.'));
      return;
    }
    setPending(true);
    setError(null);
    try {
      await api.meWithToken(candidate);
      signIn(candidate);
    } catch (caught) {
      setError(caught);
      setPending(false);
    }
  }

  return (
    <main id="main" className="sign-in">
      <div className="sign-in__card">
        <p className="sign-in__brand" aria-hidden="true">
          <span className="app-header__logo">⇄</span> SIS integrations
        </p>
        <h1>Sign in to SIS integrations</h1>
        {notice === null ? null : (
          <Notice tone="warning" role="status">
            <p>{notice}</p>
          </Notice>
        )}
        <p className="muted">
          Open this page from your district&apos;s admin console, or paste an access token issued for you.
        </p>
        <form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
        >
          <Field label="Access token" hint="A bearer token (JWT) for a district or platform admin.">
            {(control) => (
              <input
                {...control}
                type="password"
                className="input"
                autoComplete="off"
                spellCheck={false}
                value={token}
                onChange={(event) => setToken(event.target.value)}
              />
            )}
          </Field>
          {error === null ? null : <ErrorNotice error={error} title="That token was not accepted" />}
          <div>
            <button type="submit" className="button button--primary" disabled={pending} aria-busy={pending}>
              Sign in
            </button>
          </div>
        </form>
        <DevSignIn />
      </div>
    </main>
  );
}
