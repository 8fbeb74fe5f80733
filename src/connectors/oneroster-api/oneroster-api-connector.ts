import { ConnectorError, httpDepsOf, type Connector, type ConnectorDeps } from '../connector.js';
import { oauth1Auth } from '../http/oauth1.js';
import { oauth2ClientCredentials } from '../http/oauth2.js';
import { restSettingsOf } from '../oneroster/rest-config.js';
import { createOneRosterRestConnector } from '../oneroster/rest-connector.js';
import { ONEROSTER_1P2_SCOPE, oneRosterApiVersion, type OneRosterApiConfig } from './config.js';

/**
 * Any OneRoster REST server: 1.1, signed with OAuth 1.0a or holding an OAuth 2 client-credentials
 * token; or 1.2 rostering, which mandates OAuth 2 (a 1.2 config with OAuth 1.0a is refused).
 */
export function createOneRosterApiConnector(config: OneRosterApiConfig, deps: ConnectorDeps): Connector {
  const { pageSize, delta, settings } = restSettingsOf(config);
  const method = config.authMethod ?? 'oauth1';
  const version = oneRosterApiVersion(config);
  if (version === '1.2' && (method !== 'oauth2' || config.tokenUrl === undefined)) {
    // Saved configs were checked (checkOneRosterApiConfig); this guards any other caller.
    throw new ConnectorError(
      'config_invalid',
      'OneRoster 1.2 requires OAuth 2 client credentials: set authMethod to oauth2, with a tokenUrl',
    );
  }
  const scope = config.scope ?? (version === '1.2' ? ONEROSTER_1P2_SCOPE : undefined);
  return createOneRosterRestConnector({
    type: 'ONEROSTER_API',
    label: 'OneRoster API',
    version,
    baseUrl: config.baseUrl,
    pageSize,
    delta,
    settings,
    httpDeps: httpDepsOf(deps),
    sourceInfo: {
      auth: method === 'oauth1' ? `OAuth 1.0a ${config.signatureMethod ?? 'HMAC-SHA256'}` : 'OAuth 2',
    },
    auth: (httpDeps) =>
      method === 'oauth2' && config.tokenUrl !== undefined
        ? oauth2ClientCredentials(
            {
              tokenUrl: config.tokenUrl,
              clientId: config.clientId,
              clientSecret: config.clientSecret,
              clientAuth: config.tokenAuth ?? 'basic',
              ...(scope === undefined ? {} : { scope }),
            },
            { ...httpDeps, settings },
          )
        : oauth1Auth({
            consumerKey: config.clientId,
            consumerSecret: config.clientSecret,
            signatureMethod: config.signatureMethod ?? 'HMAC-SHA256',
          }),
  });
}
