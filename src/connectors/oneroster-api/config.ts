import Type, { type Static } from 'typebox';

import {
  checkUrl,
  httpUrl,
  nonEmpty,
  secret,
  type ConfigIssue,
  type ConfigRulesContext,
} from '../config-schema.js';
import { oneRosterRestFields } from '../oneroster/rest-config.js';

export const oneRosterApiConfigSchema = Type.Object(
  {
    baseUrl: httpUrl('Full OneRoster 1.1 root, e.g. https://sis.example.org/ims/oneroster/v1p1.'),
    authMethod: Type.Optional(
      Type.Enum(['oauth1', 'oauth2'], {
        default: 'oauth1',
        description: 'oauth1: two-legged OAuth 1.0a signatures. oauth2: client-credentials bearer tokens.',
      }),
    ),
    clientId: nonEmpty('Client id (the OAuth 1.0a consumer key).', 256),
    clientSecret: secret('Client secret (the OAuth 1.0a consumer secret).'),
    signatureMethod: Type.Optional(
      Type.Enum(['HMAC-SHA256', 'HMAC-SHA1'], {
        default: 'HMAC-SHA256',
        description: 'OAuth 1.0a signature method.',
      }),
    ),
    tokenUrl: Type.Optional(httpUrl('OAuth 2 token endpoint (required with oauth2).')),
    scope: Type.Optional(nonEmpty('OAuth 2 scopes, space-separated.', 1024)),
    tokenAuth: Type.Optional(
      Type.Enum(['basic', 'body'], {
        default: 'basic',
        description: 'How the OAuth 2 client authenticates at the token endpoint: HTTP Basic or form fields.',
      }),
    ),
    ...oneRosterRestFields,
  },
  { additionalProperties: false, title: 'OneRoster 1.1 REST config' },
);
export type OneRosterApiConfig = Static<typeof oneRosterApiConfigSchema>;

export function checkOneRosterApiConfig(config: OneRosterApiConfig, ctx: ConfigRulesContext): ConfigIssue[] {
  const issues = [...checkUrl(config.baseUrl, 'baseUrl', ctx), ...checkUrl(config.tokenUrl, 'tokenUrl', ctx)];
  if (config.authMethod === 'oauth2' && config.tokenUrl === undefined) {
    issues.push({ path: 'tokenUrl', message: 'is required when authMethod is oauth2' });
  }
  return issues;
}
