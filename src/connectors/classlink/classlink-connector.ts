import { ConnectorError, httpDepsOf, type Connector, type ConnectorDeps } from '../connector.js';
import { bearerAuth } from '../http/auth.js';
import { oauth1Auth } from '../http/oauth1.js';
import { oauth2ClientCredentials } from '../http/oauth2.js';
import { restSettingsOf } from '../oneroster/rest-config.js';
import { createOneRosterRestConnector } from '../oneroster/rest-connector.js';
import { CLASSLINK_PROXY_ROOT, type ClassLinkConfig } from './config.js';

/**
 * The district's Roster Server (providers.md 4): `https://<tenant>-<state>-v2.rosterserver.com`
 * (or `https://<tenant>-v2...` when the tenant name already ends in its state, as in
 * `certs-nj`), OneRoster 1.1 under `/ims/oneroster/v1p1`. An explicit `baseUrl` wins.
 */
export function classlinkBaseUrl(config: ClassLinkConfig): string {
  if (config.baseUrl !== undefined) return config.baseUrl;
  if ((config.mode ?? 'direct') === 'proxy') {
    // The application id arrives already percent-encoded (`MoYPlyQWmG0%3D`): inserted verbatim.
    return `${CLASSLINK_PROXY_ROOT}/${config.applicationId ?? ''}/ims/oneroster/v1p1`;
  }
  if (config.tenantId === undefined) {
    throw new ConnectorError('config_invalid', 'ClassLink direct mode needs tenantId or baseUrl');
  }
  const host = config.state === undefined ? `${config.tenantId}-v2` : `${config.tenantId}-${config.state}-v2`;
  return `https://${host}.rosterserver.com/ims/oneroster/v1p1`;
}

/**
 * ClassLink: direct to the Roster Server signed with OAuth 1.0a HMAC-SHA256 as ClassLink's own
 * libraries sign (or with OAuth 2 tokens when a `tokenUrl` is configured), or through the
 * OneRoster proxy with the developer-console bearer token.
 */
export function createClassLinkConnector(config: ClassLinkConfig, deps: ConnectorDeps): Connector {
  const { pageSize, delta, settings } = restSettingsOf(config);
  const mode = config.mode ?? 'direct';
  const baseUrl = classlinkBaseUrl(config);
  const credential = (value: string | undefined, field: string): string => {
    if (value === undefined) {
      throw new ConnectorError('config_invalid', `ClassLink ${mode} mode needs ${field}`);
    }
    return value;
  };
  return createOneRosterRestConnector({
    type: 'CLASSLINK',
    label: 'ClassLink',
    baseUrl,
    pageSize,
    delta,
    settings,
    httpDeps: httpDepsOf(deps),
    sourceInfo: { mode },
    auth: (httpDeps) => {
      if (mode === 'proxy') return bearerAuth(credential(config.accessToken, 'accessToken'));
      const clientId = credential(config.clientId, 'clientId');
      const clientSecret = credential(config.clientSecret, 'clientSecret');
      if (config.tokenUrl !== undefined) {
        return oauth2ClientCredentials(
          { tokenUrl: config.tokenUrl, clientId, clientSecret, clientAuth: 'basic' },
          { ...httpDeps, settings },
        );
      }
      return oauth1Auth({
        consumerKey: clientId,
        consumerSecret: clientSecret,
        signatureMethod: 'HMAC-SHA256',
      });
    },
  });
}
