import { sql } from 'drizzle-orm';

import type { Readiness } from './api/routes/health.js';
import { createTokenVerifier, type TokenVerifier } from './auth/token-verifier.js';
import type { Config } from './config/config.js';
import type { DatabaseHandle } from './db/client.js';
import { createSecretBox, type SecretBox } from './lib/secret-box.js';
import { createProviderService, type ProviderService } from './services/provider-service.js';

/** Everything the API and the commands use, built once from the config and an open database. */
export interface Dependencies {
  handle: DatabaseHandle;
  secretBox: SecretBox;
  verifyToken: TokenVerifier;
  readiness: Readiness;
  providers: ProviderService;
}

/** `config` must already hold its keys (see config/dev-secrets). */
export function buildDependencies(config: Config, handle: DatabaseHandle): Dependencies {
  if (config.encryptionKey === undefined) throw new Error('no encryption key configured');
  const secretBox = createSecretBox(config.encryptionKey, config.previousEncryptionKeys);
  return {
    handle,
    secretBox,
    verifyToken: createTokenVerifier(config.jwt),
    readiness: {
      async check() {
        await handle.db.execute(sql`SELECT 1 FROM sis_sync_migrations LIMIT 1`);
      },
    },
    providers: createProviderService({
      db: handle.db,
      secretBox,
      production: config.nodeEnv === 'production',
      importDir: config.importDir,
    }),
  };
}
