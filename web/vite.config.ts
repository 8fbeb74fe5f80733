import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);

/** The admin UI: served by the service under /integrations/sis/, built next to the server in dist/web. */
export default defineConfig({
  root: webRoot,
  base: '/integrations/sis/',
  plugins: [react()],
  build: {
    outDir: `${webRoot}../dist/web`,
    emptyOutDir: true,
  },
  server: {
    proxy: { '/api': 'http://localhost:3000' },
  },
});
