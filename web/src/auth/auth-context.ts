import { createContext, useContext } from 'react';

export interface Auth {
  token: string | null;
  /** Why the admin is looking at the sign-in form again (a 401, a sign-out). */
  notice: string | null;
  signIn: (token: string) => void;
  signOut: (notice?: string) => void;
}

export const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (auth === null) throw new Error('useAuth must be used inside <AuthProvider>');
  return auth;
}
