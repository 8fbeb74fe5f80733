import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

import type { ProviderType } from '../domain/provider-type.js';
import { err, ok, type Result } from '../lib/result.js';
import type { ConfigIssue, ConfigRulesContext } from './config-schema.js';
import { PROVIDER_REGISTRY } from './registry.js';
import { schemaIssues } from './schema-issues.js';

const validators = new Map<ProviderType, ReturnType<typeof Compile>>();

function validatorFor(type: ProviderType) {
  let validator = validators.get(type);
  if (validator === undefined) {
    validator = Compile(PROVIDER_REGISTRY[type].configSchema);
    validators.set(type, validator);
  }
  return validator;
}

/**
 * Validates a provider config against its type's schema and rules, and fills in defaults.
 * Issue paths are relative to the config (`sftp.port`).
 */
export function validateProviderConfig(
  type: ProviderType,
  config: unknown,
  ctx: ConfigRulesContext,
): Result<Record<string, unknown>, ConfigIssue[]> {
  const definition = PROVIDER_REGISTRY[type];
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return err([{ path: '', message: 'must be an object' }]);
  }
  const validator = validatorFor(type);
  if (!validator.Check(config)) return err(schemaIssues(validator.Errors(config)));
  const withDefaults = Value.Default(definition.configSchema, structuredClone(config)) as Record<
    string,
    unknown
  >;
  const issues = definition.checkConfig(withDefaults as never, ctx);
  return issues.length > 0 ? err(issues) : ok(withDefaults);
}
