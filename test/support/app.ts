import { randomBytes } from 'node:crypto';

import { buildApp } from '../../src/api/app.js';
import type { ApiInstance } from '../../src/api/types.js';
import { mintDevToken } from '../../src/auth/dev-token.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { buildDependencies, type Dependencies } from '../../src/dependencies.js';
import type { Role } from '../../src/domain/roles.js';
import { createTestDatabase } from './database.js';
import { createTestLogger } from './logger.js';
import { TEST_SECRETS } from './secrets.js';

export interface TestApp {
  app: ApiInstance;
  deps: Dependencies;
  handle: DatabaseHandle;
  config: Config;
  token(role: Role, tenantId?: string, options?: { ttlSeconds?: number; subject?: string }): Promise<string>;
  close(): Promise<void>;
}

/** Test configuration: what `loadConfig` gives for a minimal environment, plus test keys. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const loaded = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRETS.jwtSecret });
  if (!loaded.ok) throw loaded.error;
  return { ...loaded.value, encryptionKey: randomBytes(32), ...overrides };
}

/** The real app on a fresh database of the driver under test. */
export async function createTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const handle = await createTestDatabase();
  const config = testConfig(overrides);
  const logger = createTestLogger();
  const deps = buildDependencies(config, handle, logger);
  const app = await buildApp({
    logger,
    version: 'test',
    verifyToken: deps.verifyToken,
    readiness: deps.readiness,
    providers: deps.providers,
    runs: deps.runs,
  });
  await app.ready();
  return {
    app,
    deps,
    handle,
    config,
    token: (role, tenantId, options = {}) =>
      mintDevToken({
        secret: TEST_SECRETS.jwtSecret,
        role,
        tenantId,
        subject: options.subject ?? `${role.toLowerCase()}@${tenantId ?? 'platform'}`,
        ttlSeconds: options.ttlSeconds ?? 600,
      }),
    async close() {
      await deps.runner.idle();
      await app.close();
      await handle.close();
    },
  };
}
