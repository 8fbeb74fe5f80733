import Type, { type Static } from 'typebox';

import { DEFAULT_HTTP_SETTINGS, type HttpSettings } from './http-client.js';

/**
 * The HTTP client's tuning as a provider config field. Every API provider may carry it: a
 * district with a strict rate limit lowers `requestsPerSecond`, a slow SIS raises `timeoutMs`;
 * tests shorten the waits with it. Absent fields take the defaults.
 */
export const httpSettingsSchema = Type.Object(
  {
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 600_000, description: 'Per request attempt.' }),
    ),
    maxRetries: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 20, description: 'Retries after the first attempt.' }),
    ),
    retryBaseMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, description: 'Backoff base.' })),
    retryMaxMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 600_000, description: 'Backoff ceiling.' }),
    ),
    maxRetryAfterMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 3_600_000, description: 'Longest wait a provider may ask for.' }),
    ),
    requestsPerSecond: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1000,
        description: 'Request rate limit for this provider.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Outbound HTTP tuning; the defaults suit production.' },
);
export type HttpSettingsConfig = Static<typeof httpSettingsSchema>;

/** The config field over the defaults. */
export function httpSettingsOf(config: HttpSettingsConfig | undefined): HttpSettings {
  const settings: HttpSettings = { ...DEFAULT_HTTP_SETTINGS };
  if (config === undefined) return settings;
  for (const key of Object.keys(config) as (keyof HttpSettingsConfig)[]) {
    const value = config[key];
    if (value !== undefined) settings[key] = value;
  }
  return settings;
}
