import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` writes SQL migrations from the TypeScript schema; no database needed.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './src/db/migrations',
  // Applied by `sis-sync migrate` (src/db/migrate.ts), never by drizzle-kit migrate.
  migrations: { prefix: 'timestamp' },
});
