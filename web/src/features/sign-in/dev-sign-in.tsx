import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';

import { useApi } from '../../api/api-context';
import { isApiError } from '../../api/api-error';
import { queryKeys } from '../../api/query-keys';
import type { Role } from '../../api/types';
import { useAuth } from '../../auth/auth-context';
import { Field } from '../../components/field';
import { ErrorNotice } from '../../components/notices';

/** Only where the server mints development tokens (not in production, only from this machine). */
export function DevSignIn() {
  const api = useApi();
  const { signIn } = useAuth();
  const [tenantId, setTenantId] = useState('demo');
  const available = useQuery({
    queryKey: queryKeys.devTokenAvailable,
    queryFn: () => api.devTokenAvailable(),
    staleTime: Infinity,
    retry: false,
  });
  const mint = useMutation({
    mutationFn: (role: Role) =>
      api.devToken(role === 'DISTRICT_ADMIN' ? { role, tenantId: tenantId.trim() } : { role }),
    onSuccess: ({ token }) => signIn(token),
  });
  if (available.data !== true) return null;
  const tenantError =
    mint.error !== null && mint.variables === 'DISTRICT_ADMIN' ? fieldError(mint.error) : undefined;

  return (
    <section className="sign-in__dev" aria-labelledby="dev-sign-in-title">
      <h2 id="dev-sign-in-title">Development sign-in</h2>
      <p className="muted">This server mints development tokens. It never does in production.</p>
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          mint.mutate('DISTRICT_ADMIN');
        }}
      >
        <Field label="Tenant id" hint="The district to sign in to." error={tenantError}>
          {(control) => (
            <input
              {...control}
              className="input"
              value={tenantId}
              autoComplete="off"
              onChange={(event) => setTenantId(event.target.value)}
            />
          )}
        </Field>
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={mint.isPending}>
            Sign in as a demo district admin
          </button>
          <button
            type="button"
            className="button"
            disabled={mint.isPending}
            onClick={() => mint.mutate('PLATFORM_ADMIN')}
          >
            Sign in as a platform admin
          </button>
        </div>
        {mint.error !== null && tenantError === undefined ? <ErrorNotice error={mint.error} /> : null}
      </form>
    </section>
  );
}

function fieldError(error: unknown): string | undefined {
  return isApiError(error) ? error.fieldErrors().tenantId : undefined;
}
