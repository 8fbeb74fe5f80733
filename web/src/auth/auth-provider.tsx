import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo, useRef, useState, type ReactNode } from 'react';

import { ApiContext } from '../api/api-context';
import { ApiClient } from '../api/client';
import { createEndpoints } from '../api/endpoints';
import { AuthContext, type Auth } from './auth-context';
import { readStoredToken, storeToken, takeTokenFromFragment } from './session-token';

/** Holds the bearer token and the API client that sends it; any 401 signs the admin out. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [token, setToken] = useState<string | null>(() => takeTokenFromFragment() ?? readStoredToken());
  const [notice, setNotice] = useState<string | null>(null);
  const tokenRef = useRef(token);

  const signOut = useCallback(
    (message?: string) => {
      tokenRef.current = null;
      storeToken(null);
      setToken(null);
      setNotice(message ?? null);
      queryClient.clear();
    },
    [queryClient],
  );

  const signIn = useCallback(
    (next: string) => {
      queryClient.clear();
      tokenRef.current = next;
      storeToken(next);
      setNotice(null);
      setToken(next);
    },
    [queryClient],
  );

  const endpoints = useMemo(
    () =>
      createEndpoints(
        new ApiClient({
          getToken: () => tokenRef.current,
          onUnauthorized: (error) => {
            if (tokenRef.current === null) return;
            signOut(`Your session has ended (${error.message}). Sign in again to continue.`);
          },
        }),
      ),
    [signOut],
  );

  const auth = useMemo<Auth>(() => ({ token, notice, signIn, signOut }), [token, notice, signIn, signOut]);

  return (
    <AuthContext.Provider value={auth}>
      <ApiContext.Provider value={endpoints}>{children}</ApiContext.Provider>
    </AuthContext.Provider>
  );
}
