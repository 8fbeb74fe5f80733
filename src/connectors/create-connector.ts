import type { Logger } from '../lib/logger.js';
import type { EgressPolicy } from '../lib/network-guard.js';
import type { ProviderRow } from '../repositories/providers-repository.js';
import { ConnectorError, type Connector } from './connector.js';
import type { HttpObserver } from './http/http-client.js';
import { PROVIDER_REGISTRY } from './registry.js';

/**
 * The connector for a stored provider, from the registry. `httpObserver` counts its outbound
 * requests; the caller builds it for the provider's type, so connectors never see metrics.
 * `egress` is the configured outbound policy (SIS_SYNC_OUTBOUND_ALLOW): connectors never read
 * config, so the service hands it down here.
 */
export function createConnectorFor(
  row: Pick<ProviderRow, 'providerType'>,
  config: Record<string, unknown>,
  logger: Logger,
  httpObserver?: HttpObserver,
  egress?: EgressPolicy,
): Connector {
  const definition = PROVIDER_REGISTRY[row.providerType];
  if (definition.createConnector === undefined) {
    throw new ConnectorError(
      'unsupported',
      `this version of sis-sync cannot sync ${definition.displayName} providers yet`,
    );
  }
  return definition.createConnector(config as never, {
    logger,
    ...(httpObserver === undefined ? {} : { httpObserver }),
    ...(egress === undefined ? {} : { egress }),
  });
}
