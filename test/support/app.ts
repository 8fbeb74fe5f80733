import { randomBytes } from 'node:crypto';

import { and, count, eq, isNotNull } from 'drizzle-orm';

import { buildApp } from '../../src/api/app.js';
import type { ApiInstance } from '../../src/api/types.js';
import { mintDevToken } from '../../src/auth/dev-token.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { DatabaseHandle } from '../../src/db/client.js';
import { sisSyncRuns } from '../../src/db/schema/index.js';
import { buildDependencies, type Dependencies, type WorkerMode } from '../../src/dependencies.js';
import type { Role } from '../../src/domain/roles.js';
import type { WebhookSettings } from '../../src/services/webhook-delivery.js';
import { createTestDatabase } from './database.js';
import { createTestLogger } from './logger.js';
import { TEST_SECRETS } from './secrets.js';

export interface TestApp {
  app: ApiInstance;
  deps: Dependencies;
  handle: DatabaseHandle;
  config: Config;
  token(role: Role, tenantId?: string, options?: { ttlSeconds?: number; subject?: string }): Promise<string>;
  /** Resolves once no run is waiting or executing (the worker polls every 20 ms and is woken on dispatch). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Test configuration: what `loadConfig` gives for a minimal environment, plus test keys. No API
 * rate limit: tests make bursts no admin makes; test/api/rate-limit.test.ts sets its own budget.
 * No first-run re-link hold: most suites feed one tenant from several providers over the same
 * data; test/sync/provider-switch.test.ts turns it on.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const loaded = loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_SECRETS.jwtSecret });
  if (!loaded.ok) throw loaded.error;
  return {
    ...loaded.value,
    encryptionKey: randomBytes(32),
    apiRateLimit: 0,
    firstRunReview: false,
    ...overrides,
  };
}

/** The real app on a fresh database of the driver under test. */
export async function createTestApp(
  overrides: Partial<Config> = {},
  options: { worker?: WorkerMode; clock?: () => Date; webhooks?: Partial<WebhookSettings> } = {},
): Promise<TestApp> {
  const handle = await createTestDatabase();
  const config = testConfig({ workerPollIntervalMs: 20, ...overrides });
  const logger = createTestLogger();
  const deps = buildDependencies(config, handle, logger, {
    worker: options.worker ?? 'queue',
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
  });
  await deps.start();
  const app = await buildApp({
    logger,
    version: 'test',
    verifyToken: deps.verifyToken,
    readiness: deps.readiness,
    providers: deps.providers,
    runs: deps.runs,
    roster: deps.roster,
    webhooks: deps.webhooks,
    metrics: { source: deps.metrics, token: config.metricsToken },
    rateLimitPerMinute: config.apiRateLimit,
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
    idle: () => waitUntilIdle(deps),
    async close() {
      await app.close();
      await deps.stop();
      await handle.close();
    },
  };
}

/**
 * Until no run job is queued and no run is executing: what the worker was given is done (held
 * runs wait for a person; runs a test wrote straight into the table have no job and are not waited for).
 */
export async function waitUntilIdle(deps: Dependencies, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The queue first: a job taken between the two looks is already a claimed run in the second.
    const queued = await deps.queue.size('sis-sync-run');
    const [row] = await deps.handle.db
      .select({ n: count() })
      .from(sisSyncRuns)
      .where(and(eq(sisSyncRuns.status, 'IN_PROGRESS'), isNotNull(sisSyncRuns.workerId)));
    if (queued === 0 && (row?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`runs still queued or executing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
