import { randomUUID } from 'node:crypto';

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';

import type { TokenVerifier } from '../auth/token-verifier.js';
import type { Logger } from '../lib/logger.js';
import type { ProviderService } from '../services/provider-service.js';
import type { RosterService } from '../services/roster-service.js';
import type { WebhookService } from '../services/webhook-service.js';
import type { RunService } from '../sync/run-service.js';
import { requireBearer } from './plugins/auth.js';
import { registerErrorHandling } from './plugins/error-handler.js';
import { registerOpenApi } from './plugins/openapi.js';
import { registerApiRateLimit } from './plugins/rate-limit.js';
import {
  clientErrorHandler,
  frameworkErrors,
  MAX_HEADER_BYTES,
  MAX_PARAM_LENGTH,
  refuseLongUrls,
} from './plugins/request-limits.js';
import { defaultWebRoot, registerWebUi } from './plugins/web-ui.js';
import { devTokenRoutes, signInOptionsRoute, type DevTokenSettings } from './routes/dev-token.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { meRoutes } from './routes/me.js';
import { metricsRoute, type MetricsSettings } from './routes/metrics.js';
import { providerTypeRoutes } from './routes/provider-types.js';
import { providerRoutes } from './routes/providers/index.js';
import { providerSyncRoutes } from './routes/providers/sync.js';
import { runErrorsCsvRoute } from './routes/runs/errors-csv.js';
import { runRoutes } from './routes/runs/index.js';
import { schedulePreviewRoutes } from './routes/schedule-preview.js';
import { changeFeedRoutes } from './routes/tenants/changes.js';
import { tenantProviderRoutes } from './routes/tenants/providers.js';
import { rosterRoutes } from './routes/tenants/roster.js';
import { tenantWebhookRoutes } from './routes/tenants/webhooks.js';
import type { ApiInstance } from './types.js';

export interface AppDeps {
  logger: Logger;
  version: string;
  verifyToken: TokenVerifier;
  readiness: Readiness;
  providers: ProviderService;
  runs: RunService;
  /** The roster read API and the change feed. */
  roster: RosterService;
  /** Tenants' webhook subscriptions, their test button and delivery log. */
  webhooks: WebhookService;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** API_RATE_LIMIT: requests per minute per caller on /api/v1; 0 or absent, no limit. */
  rateLimitPerMinute?: number | undefined;
  /**
   * Given (see `devTokenSettings`): POST /api/v1/dev/token mints tokens for callers on this
   * machine. Absent: the route does not exist.
   */
  devTokens?: DevTokenSettings | undefined;
  /** The built admin UI; default `dist/web` of this package. */
  webRoot?: string | undefined;
  /** The clock of schedule previews. */
  now?: () => Date;
  /** GET /metrics (Prometheus) and the token it demands. */
  metrics: MetricsSettings;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<ApiInstance> {
  // Typed as Fastify's logger so the instance keeps Fastify's default logger type.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    // One line per request, below (Fastify's own two lines per request drown the log when the UI polls).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler,
    frameworkErrors,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: {
      customOptions: { removeAdditional: false, allErrors: true, coerceTypes: 'array', useDefaults: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Reads that succeed are debug (the UI polls); changes, refusals and failures are info or error.
  // The path only: a query string may carry filters an admin typed, never a secret, but keep it short.
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const read = request.method === 'GET' || request.method === 'HEAD';
    const level = status >= 500 ? 'error' : read && status < 400 ? 'debug' : 'info';
    request.log[level](
      {
        method: request.method,
        path: request.url.split('?')[0],
        statusCode: status,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });
  registerErrorHandling(app);
  refuseLongUrls(app);
  // One budget for both /api/v1 scopes below: the sign-in routes count with the rest.
  const rateLimit = await registerApiRateLimit(app, {
    perMinute: deps.rateLimitPerMinute ?? 0,
    verify: deps.verifyToken,
  });
  await registerOpenApi(app, deps.version);
  healthRoutes(app, deps.readiness);
  metricsRoute(app, deps.metrics);

  await app.register(
    (api, _options, done) => {
      const typed = api.withTypeProvider<TypeBoxTypeProvider>();
      if (rateLimit !== undefined) typed.addHook('onRequest', rateLimit);
      requireBearer(typed, deps.verifyToken);
      meRoutes(typed);
      schedulePreviewRoutes(typed, deps.now);
      providerTypeRoutes(typed);
      tenantProviderRoutes(typed, deps.providers);
      providerRoutes(typed, deps.providers);
      providerSyncRoutes(typed, deps.runs);
      runRoutes(typed, deps.runs);
      runErrorsCsvRoute(typed, deps.runs);
      rosterRoutes(typed, deps.roster);
      changeFeedRoutes(typed, deps.roster);
      tenantWebhookRoutes(typed, deps.webhooks);
      done();
    },
    { prefix: '/api/v1' },
  );
  // Beside the bearer-checked routes, not among them: the token is what the caller lacks.
  const devTokens = deps.devTokens;
  await app.register(
    (api, _options, done) => {
      const typed = api.withTypeProvider<TypeBoxTypeProvider>();
      if (rateLimit !== undefined) typed.addHook('onRequest', rateLimit);
      signInOptionsRoute(typed, devTokens);
      if (devTokens !== undefined) devTokenRoutes(typed, devTokens);
      done();
    },
    { prefix: '/api/v1' },
  );
  await registerWebUi(app, deps.webRoot ?? defaultWebRoot());
  return app;
}
