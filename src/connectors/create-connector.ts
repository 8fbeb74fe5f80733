import type { Logger } from '../lib/logger.js';
import type { ProviderRow } from '../repositories/providers-repository.js';
import { ConnectorError, type Connector } from './connector.js';
import { PROVIDER_REGISTRY } from './registry.js';

/** The connector for a stored provider, from the registry. */
export function createConnectorFor(
  row: Pick<ProviderRow, 'providerType'>,
  config: Record<string, unknown>,
  logger: Logger,
): Connector {
  const definition = PROVIDER_REGISTRY[row.providerType];
  if (definition.createConnector === undefined) {
    throw new ConnectorError(
      'unsupported',
      `this version of sis-sync cannot sync ${definition.displayName} providers yet`,
    );
  }
  return definition.createConnector(config as never, { logger });
}
