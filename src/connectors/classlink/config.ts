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

export const CLASSLINK_PROXY_ROOT = 'https://oneroster-proxy.classlink.io';

export const classlinkConfigSchema = Type.Object(
  {
    mode: Type.Optional(
      Type.Enum(['direct', 'proxy'], {
        default: 'direct',
        description:
          'direct: the district Roster Server, OAuth 1.0a signed. proxy: ClassLink OneRoster proxy with a bearer token.',
      }),
    ),
    tenantId: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9][a-z0-9-]*$',
        maxLength: 100,
        description: 'ClassLink tenant, as in https://<tenant>-<state>-v2.rosterserver.com (direct mode).',
      }),
    ),
    state: Type.Optional(
      Type.String({
        pattern: '^[a-z]{2}$',
        description: 'Two-letter state in the Roster Server host name (direct mode).',
      }),
    ),
    clientId: Type.Optional(nonEmpty('Roster Server client id (direct mode).', 256)),
    clientSecret: Type.Optional(secret('Roster Server client secret (direct mode).')),
    applicationId: Type.Optional(
      nonEmpty('oneroster_application_id from the ClassLink developer console, as given (proxy mode).', 256),
    ),
    accessToken: Type.Optional(
      secret('Proxy bearer token from the ClassLink developer console (proxy mode).'),
    ),
    baseUrl: Type.Optional(
      httpUrl('Full OneRoster root, overriding the host derived from tenantId/state or the proxy.'),
    ),
    tokenUrl: Type.Optional(
      httpUrl('Token endpoint override, for Roster Servers that issue OAuth 2 tokens.'),
    ),
    ...oneRosterRestFields,
  },
  { additionalProperties: false, title: 'ClassLink config' },
);
export type ClassLinkConfig = Static<typeof classlinkConfigSchema>;

export function checkClassLinkConfig(config: ClassLinkConfig, ctx: ConfigRulesContext): ConfigIssue[] {
  const issues = [...checkUrl(config.baseUrl, 'baseUrl', ctx), ...checkUrl(config.tokenUrl, 'tokenUrl', ctx)];
  const required = (field: keyof ClassLinkConfig, why: string) => {
    if (config[field] === undefined) issues.push({ path: field, message: `is required ${why}` });
  };
  if ((config.mode ?? 'direct') === 'direct') {
    required('clientId', 'in direct mode');
    required('clientSecret', 'in direct mode');
    if (config.baseUrl === undefined) required('tenantId', 'in direct mode unless baseUrl is given');
  } else {
    required('applicationId', 'in proxy mode');
    required('accessToken', 'in proxy mode');
  }
  return issues;
}
