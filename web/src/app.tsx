import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter } from 'react-router';

import { isApiError } from './api/api-error';
import { AuthProvider } from './auth/auth-provider';
import { useAuth } from './auth/auth-context';
import { AppLayout } from './components/app-layout';
import { SignInPage } from './features/sign-in/sign-in-page';
import { AppRoutes } from './routes';

function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A 4xx will answer the same again; only network trouble and 5xx are worth a retry.
        retry: (count, error) =>
          count < 2 && !(isApiError(error) && error.status >= 400 && error.status < 500),
      },
    },
  });
}

export function App() {
  const [queryClient] = useState(createQueryClient);
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <BrowserRouter basename="/integrations/sis">
          <Gate />
        </BrowserRouter>
      </AuthProvider>
    </QueryClientProvider>
  );
}

/** Without a token every address shows the sign-in form; after signing in, the address asked for. */
function Gate() {
  const { token } = useAuth();
  if (token === null) return <SignInPage />;
  return (
    <AppLayout>
      <AppRoutes />
    </AppLayout>
  );
}
