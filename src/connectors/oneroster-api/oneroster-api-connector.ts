import type { Connector, ConnectorDeps } from '../connector.js';
import { oauth1Auth } from '../http/oauth1.js';
import { oauth2ClientCredentials } from '../http/oauth2.js';
import { restSettingsOf } from '../oneroster/rest-config.js';
import { createOneRosterRestConnector } from '../oneroster/rest-connector.js';
import type { OneRosterApiConfig } from './config.js';

/** Any OneRoster 1.1 REST server, signed with OAuth 1.0a or holding an OAuth 2 client-credentials token. */
export function createOneRosterApiConnector(config: OneRosterApiConfig, _deps: ConnectorDeps): Connector {
  const { pageSize, delta, settings } = restSettingsOf(config);
  const method = config.authMethod ?? 'oauth1';
  return createOneRosterRestConnector({
    type: 'ONEROSTER_API',
    label: 'OneRoster API',
    baseUrl: config.baseUrl,
    pageSize,
    delta,
    settings,
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
              ...(config.scope === undefined ? {} : { scope: config.scope }),
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
