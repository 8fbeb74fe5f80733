import type { TSchema } from 'typebox';

import type { ProviderType } from '../domain/provider-type.js';
import { createClassLinkConnector } from './classlink/classlink-connector.js';
import { checkClassLinkConfig, classlinkConfigSchema, type ClassLinkConfig } from './classlink/config.js';
import { createCleverConnector } from './clever/clever-connector.js';
import { checkCleverConfig, cleverConfigSchema, type CleverConfig } from './clever/config.js';
import type { ConfigIssue, ConfigRulesContext } from './config-schema.js';
import type { Connector, ConnectorDeps } from './connector.js';
import {
  checkOneRosterApiConfig,
  oneRosterApiConfigSchema,
  type OneRosterApiConfig,
} from './oneroster-api/config.js';
import { createOneRosterApiConnector } from './oneroster-api/oneroster-api-connector.js';
import { createOneRosterCsvConnector } from './oneroster-csv/csv-connector.js';
import {
  checkOneRosterCsvConfig,
  oneRosterCsvConfigSchema,
  oneRosterCsvServerPaths,
  type OneRosterCsvConfig,
} from './oneroster-csv/config.js';

/** What sis-sync knows about one provider type. Adding a provider adds one entry here. */
export interface ProviderDefinition<Config = never> {
  type: ProviderType;
  displayName: string;
  description: string;
  /** JSON Schema of the config; fields marked writeOnly are secrets. */
  configSchema: TSchema;
  /** Rules a schema cannot say: "this or that", https in production. */
  checkConfig(config: Config, ctx: ConfigRulesContext): ConfigIssue[];
  /** Files on the sis-sync server that the config would read (only trusted admins may name them). */
  serverPaths(config: Config): { path: string; value: string }[];
  /** Builds the connector from a validated config; absent while a type can be stored but not yet synced. */
  createConnector?: (config: Config, deps: ConnectorDeps) => Connector;
}

const none = () => [];

const clever: ProviderDefinition<CleverConfig> = {
  type: 'CLEVER',
  displayName: 'Clever',
  description: 'Clever Secure Sync, Data API v3.0.',
  configSchema: cleverConfigSchema,
  checkConfig: checkCleverConfig,
  serverPaths: none,
  createConnector: (config, deps) => createCleverConnector(config, deps),
};

const classlink: ProviderDefinition<ClassLinkConfig> = {
  type: 'CLASSLINK',
  displayName: 'ClassLink',
  description: 'ClassLink Roster Server (OneRoster 1.1), direct or through the ClassLink proxy.',
  configSchema: classlinkConfigSchema,
  checkConfig: checkClassLinkConfig,
  serverPaths: none,
  createConnector: (config, deps) => createClassLinkConnector(config, deps),
};

const oneRosterApi: ProviderDefinition<OneRosterApiConfig> = {
  type: 'ONEROSTER_API',
  displayName: 'OneRoster API',
  description:
    'Any OneRoster 1.1 REST provider (OAuth 1.0a or OAuth 2 client credentials), or 1.2 (OAuth 2).',
  configSchema: oneRosterApiConfigSchema,
  checkConfig: checkOneRosterApiConfig,
  serverPaths: none,
  createConnector: (config, deps) => createOneRosterApiConnector(config, deps),
};

const oneRosterCsv: ProviderDefinition<OneRosterCsvConfig> = {
  type: 'ONEROSTER_CSV',
  displayName: 'OneRoster CSV',
  description: 'OneRoster 1.1 or 1.2 CSV files (zip or folder) over SFTP, or from a folder on the server.',
  configSchema: oneRosterCsvConfigSchema,
  checkConfig: checkOneRosterCsvConfig,
  serverPaths: oneRosterCsvServerPaths,
  createConnector: (config, deps) => createOneRosterCsvConnector(config, deps),
};

/** The one list of providers. */
export const PROVIDER_REGISTRY: Readonly<Record<ProviderType, ProviderDefinition<never>>> = {
  CLEVER: clever,
  CLASSLINK: classlink,
  ONEROSTER_API: oneRosterApi,
  ONEROSTER_CSV: oneRosterCsv,
};

export function providerDefinition(type: ProviderType): ProviderDefinition<never> {
  return PROVIDER_REGISTRY[type];
}
