import { createContext, useContext } from 'react';

import type { Endpoints } from './endpoints';

export const ApiContext = createContext<Endpoints | null>(null);

/** The API, as set up by the AuthProvider (with the current token and the 401 handling). */
export function useApi(): Endpoints {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi must be used inside <AuthProvider>');
  return api;
}
