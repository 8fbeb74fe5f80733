import type { TSchema } from 'typebox';

import { isSchemaObject } from './config-schema.js';

/** What a response shows in place of a stored secret; sent back unchanged, it keeps the secret. */
export const REDACTED = '********';

type Json = Record<string, unknown>;

/** Dotted paths of every writeOnly (secret) field in a config schema. */
export function secretPaths(schema: TSchema): string[][] {
  const found: string[][] = [];
  const walk = (node: unknown, at: string[]) => {
    if (!isSchemaObject(node)) return;
    if (node.writeOnly === true) {
      found.push(at);
      return;
    }
    const properties = node.properties as Record<string, unknown> | undefined;
    if (properties !== undefined) {
      for (const [key, child] of Object.entries(properties)) walk(child, [...at, key]);
    }
  };
  walk(schema, []);
  return found;
}

/** Whether any secret field of `config` holds the redaction placeholder. */
export function containsPlaceholder(schema: TSchema, config: Json): boolean {
  return secretPaths(schema).some((at) => getAt(config, at) === REDACTED);
}

function getAt(obj: unknown, at: string[]): unknown {
  let cur = obj;
  for (const key of at) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

function setAt(obj: Json, at: string[], value: unknown): void {
  let cur = obj;
  for (const key of at.slice(0, -1)) {
    const next = cur[key];
    if (typeof next !== 'object' || next === null) return; // the parent object is gone: nothing to set
    cur = next as Json;
  }
  const last = at[at.length - 1];
  if (last === undefined) return;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/** A copy with every secret replaced by the placeholder. */
export function redactConfig(schema: TSchema, config: Json): Json {
  const copy = structuredClone(config);
  for (const at of secretPaths(schema)) {
    if (getAt(copy, at) !== undefined) setAt(copy, at, REDACTED);
  }
  return copy;
}

/**
 * An update's config with stored secrets carried over: a secret the update omits, or sends as
 * the placeholder, keeps its stored value; `null` removes it; any other value replaces it.
 * Returns the merged config and the paths of the secrets that changed.
 */
export function mergeSecrets(
  schema: TSchema,
  incoming: Json,
  stored: Json,
): { config: Json; changedSecrets: string[] } {
  const merged = structuredClone(incoming);
  const changedSecrets: string[] = [];
  for (const at of secretPaths(schema)) {
    const next = getAt(merged, at);
    const previous = getAt(stored, at);
    if (next === undefined || next === REDACTED) {
      setAt(merged, at, previous);
    } else if (next === null) {
      setAt(merged, at, undefined);
      if (previous !== undefined) changedSecrets.push(at.join('.'));
    } else if (next !== previous) {
      changedSecrets.push(at.join('.'));
    }
  }
  return { config: merged, changedSecrets };
}
