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
import type { OneRosterVersion } from '../oneroster/row-reader.js';

export const oneRosterApiConfigSchema = Type.Object(
  {
    baseUrl: httpUrl(
      'Full OneRoster root, e.g. https://sis.example.org/ims/oneroster/v1p1 (1.2: .../ims/oneroster/rostering/v1p2).',
    ),
    // No schema default: an unset version follows the base URL, which a filled-in 1.1 would hide.
    onerosterVersion: Type.Optional(
      Type.Enum(['1.1', '1.2'], {
        title: 'OneRoster version',
        description:
          '1.1 (the default) or 1.2 (rostering v1p2, OAuth 2 only). Unset, a baseUrl ending in /rostering/v1p2 means 1.2.',
      }),
    ),
    authMethod: Type.Optional(
      Type.Enum(['oauth1', 'oauth2'], {
        default: 'oauth1',
        description:
          'oauth1: two-legged OAuth 1.0a signatures. oauth2: client-credentials bearer tokens (required by OneRoster 1.2).',
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
    scope: Type.Optional(
      nonEmpty(
        'OAuth 2 scopes, space-separated. OneRoster 1.2 default: https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly.',
        1024,
      ),
    ),
    tokenAuth: Type.Optional(
      Type.Enum(['basic', 'body'], {
        default: 'basic',
        description: 'How the OAuth 2 client authenticates at the token endpoint: HTTP Basic or form fields.',
      }),
    ),
    ...oneRosterRestFields,
  },
  { additionalProperties: false, title: 'OneRoster REST config' },
);
export type OneRosterApiConfig = Static<typeof oneRosterApiConfigSchema>;

/** The scope a OneRoster 1.2 client asks for when none is configured: the rostering reads sis-sync makes. */
export const ONEROSTER_1P2_SCOPE = 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly';

const V1P2_ROOT = /\/rostering\/v1p2\/*$/;
const V1P1_ROOT = /\/v1p1\/*$/;

/** The version a config speaks: the one it names, else 1.2 for a `/rostering/v1p2` root, else 1.1. */
export function oneRosterApiVersion(
  config: Pick<OneRosterApiConfig, 'baseUrl' | 'onerosterVersion'>,
): OneRosterVersion {
  return config.onerosterVersion ?? (V1P2_ROOT.test(pathOf(config.baseUrl)) ? '1.2' : '1.1');
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

export function checkOneRosterApiConfig(config: OneRosterApiConfig, ctx: ConfigRulesContext): ConfigIssue[] {
  const issues = [...checkUrl(config.baseUrl, 'baseUrl', ctx), ...checkUrl(config.tokenUrl, 'tokenUrl', ctx)];
  if (config.authMethod === 'oauth2' && config.tokenUrl === undefined) {
    issues.push({ path: 'tokenUrl', message: 'is required when authMethod is oauth2' });
  }
  const version = oneRosterApiVersion(config);
  const root = pathOf(config.baseUrl);
  if (version === '1.1' && V1P2_ROOT.test(root)) {
    issues.push({
      path: 'onerosterVersion',
      message: 'is 1.1 but baseUrl is a OneRoster 1.2 root (/rostering/v1p2); set 1.2 or leave it unset',
    });
  }
  if (version === '1.2' && V1P1_ROOT.test(root)) {
    issues.push({
      path: 'baseUrl',
      message:
        'is a OneRoster 1.1 root (/v1p1) but onerosterVersion is 1.2; a 1.2 root ends in /rostering/v1p2',
    });
  }
  if (version === '1.2' && (config.authMethod ?? 'oauth1') !== 'oauth2') {
    issues.push({
      path: 'authMethod',
      message:
        'OneRoster 1.2 requires OAuth 2 client credentials, not OAuth 1.0a signatures: set authMethod to oauth2, with a tokenUrl',
    });
  }
  return issues;
}
