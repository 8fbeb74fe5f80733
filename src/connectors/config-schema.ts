import Type, { type TSchema } from 'typebox';

import { literalRefusal, type EgressPolicy } from '../lib/network-guard.js';

/**
 * Building blocks for provider config schemas. A secret is marked `writeOnly` (the JSON Schema
 * keyword for values a client may send but never reads back): the API redacts every such field
 * in responses, and the OpenAPI document shows it as write-only.
 */
export function secret(description: string) {
  return Type.String({ minLength: 1, writeOnly: true, description });
}

export function httpUrl(description: string) {
  return Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://', description });
}

export function nonEmpty(description: string, maxLength = 512) {
  return Type.String({ minLength: 1, maxLength, description });
}

/** A problem with one field of a provider config, addressed by a dotted path (`sftp.port`). */
export interface ConfigIssue {
  path: string;
  message: string;
}

export interface ConfigRulesContext {
  /** In production every provider URL must be https. */
  production: boolean;
  /**
   * The outbound policy: a literal IP it refuses is an issue of the field naming it (a host name
   * can only be judged when a connection resolves it). Absent: not checked.
   */
  egress?: EgressPolicy;
}

/** A literal IP host the policy refuses, as an issue of `path`. */
export function checkHost(host: string | undefined, path: string, ctx: ConfigRulesContext): ConfigIssue[] {
  if (host === undefined || ctx.egress === undefined) return [];
  const refused = literalRefusal(ctx.egress, host);
  return refused === null ? [] : [{ path, message: refused.message }];
}

export function isSchemaObject(schema: unknown): schema is TSchema & Record<string, unknown> {
  return typeof schema === 'object' && schema !== null;
}

/** Checks an optional URL field beyond its pattern: parseable, and https in production. */
export function checkUrl(value: string | undefined, path: string, ctx: ConfigRulesContext): ConfigIssue[] {
  if (value === undefined) return [];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [{ path, message: `"${value}" is not a URL` }];
  }
  if (url.username !== '' || url.password !== '') {
    return [{ path, message: 'must not carry credentials; use the credential fields' }];
  }
  if (ctx.production && url.protocol !== 'https:') {
    return [{ path, message: 'must be an https URL in production' }];
  }
  return checkHost(url.hostname, path, ctx);
}
