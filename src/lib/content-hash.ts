import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted, so equal values always serialise alike (properties whose value is
 * undefined are left out, as JSON.stringify leaves them out). Written with string appends rather
 * than entry arrays: it runs once per staged record.
 */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += stableStringify(value[i]);
    }
    return `${out}]`;
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let out = '{';
    let first = true;
    for (const key of keys) {
      const v = object[key];
      if (v === undefined) continue;
      if (!first) out += ',';
      first = false;
      out += `${JSON.stringify(key)}:${stableStringify(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}

/**
 * A short fingerprint of a record's content from its `stableStringify` form: equal content, equal
 * hash (staging keeps the same string as the record's JSON, so it is serialised once).
 */
export function hashOfStableJson(json: string): string {
  return createHash('sha1').update(json).digest('base64url');
}
