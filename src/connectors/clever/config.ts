import Type, { type Static } from 'typebox';

import {
  checkUrl,
  httpUrl,
  nonEmpty,
  secret,
  type ConfigIssue,
  type ConfigRulesContext,
} from '../config-schema.js';

export const CLEVER_API_BASE_URL = 'https://api.clever.com/v3.0';
export const CLEVER_TOKENS_URL = 'https://clever.com/oauth/tokens';

export const cleverConfigSchema = Type.Object(
  {
    districtId: Type.Optional(
      nonEmpty('Clever district id; with clientId/clientSecret, sis-sync looks up the district token.', 64),
    ),
    clientId: Type.Optional(nonEmpty('Clever application client id.', 256)),
    clientSecret: Type.Optional(secret('Clever application client secret.')),
    accessToken: Type.Optional(
      secret('A district-app bearer token, instead of clientId/clientSecret/districtId.'),
    ),
    baseUrl: Type.Optional(httpUrl(`Data API root; default ${CLEVER_API_BASE_URL}.`)),
    tokenUrl: Type.Optional(httpUrl(`Token discovery endpoint; default ${CLEVER_TOKENS_URL}.`)),
  },
  { additionalProperties: false, title: 'Clever config' },
);
export type CleverConfig = Static<typeof cleverConfigSchema>;

export function checkCleverConfig(config: CleverConfig, ctx: ConfigRulesContext): ConfigIssue[] {
  const issues = [...checkUrl(config.baseUrl, 'baseUrl', ctx), ...checkUrl(config.tokenUrl, 'tokenUrl', ctx)];
  if (config.accessToken === undefined) {
    for (const field of ['clientId', 'clientSecret', 'districtId'] as const) {
      if (config[field] === undefined) {
        issues.push({ path: field, message: 'is required unless accessToken is given' });
      }
    }
  }
  return issues;
}
