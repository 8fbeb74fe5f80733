/**
 * The part of JSON Schema that provider config schemas use (GET /provider-types), and what the
 * form makes of it: labels, help text, input kinds, and the config object it sends back.
 */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  writeOnly?: boolean;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  pattern?: string;
}

/** The form's values: dotted path → text as typed (or a checkbox's state). */
export type FormValues = Record<string, string | boolean>;

/** Where the server keeps a secret the admin has not retyped. */
export const REDACTED = '********';

/** A config value or schema default as text for an input. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null || value === undefined ? '' : JSON.stringify(value);
}

export function asSchema(value: unknown): JsonSchema {
  return typeof value === 'object' && value !== null ? value : {};
}

const WORDS: Record<string, string> = {
  id: 'ID',
  url: 'URL',
  sftp: 'SFTP',
  http: 'HTTP',
  oauth: 'OAuth',
  api: 'API',
};

/** A field's label: its schema title, or its key in words ("hostKeyFingerprint" → "Host key fingerprint"). */
export function labelOf(key: string, schema: JsonSchema): string {
  if (schema.title !== undefined && !schema.title.endsWith(' config')) return schema.title;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(' ')
    .map((w) => w.toLowerCase());
  let unit = '';
  if (words.length > 1 && words[words.length - 1] === 'ms') {
    words.pop();
    unit = ' (ms)';
  }
  const text = words.map((w, i) => WORDS[w] ?? (i === 0 ? w[0]?.toUpperCase() + w.slice(1) : w)).join(' ');
  return text + unit;
}

export type FieldKind = 'object' | 'secret' | 'multiline-secret' | 'enum' | 'boolean' | 'number' | 'text';

export function kindOf(key: string, schema: JsonSchema): FieldKind {
  if (schema.properties !== undefined) return 'object';
  if (schema.writeOnly === true) return /privatekey$/i.test(key) ? 'multiline-secret' : 'secret';
  if (schema.enum !== undefined) return 'enum';
  if (schema.type === 'boolean') return 'boolean';
  if (schema.type === 'integer' || schema.type === 'number') return 'number';
  return 'text';
}

/**
 * Tuning most districts never touch: optional numbers and switches, and optional groups of
 * optional fields (HTTP timeouts). They go under "Advanced settings".
 */
export function isAdvanced(key: string, schema: JsonSchema, parent: JsonSchema): boolean {
  if (parent.required?.includes(key) === true) return false;
  const kind = kindOf(key, schema);
  if (kind === 'number' || kind === 'boolean') return true;
  return kind === 'object' && (schema.required ?? []).length === 0;
}

/** The form's starting values: each schema default, or what the provider holds (secrets left blank). */
export function initialValues(
  schema: JsonSchema,
  config: Record<string, unknown> = {},
  prefix = '',
): FormValues {
  const values: FormValues = {};
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${key}`;
    const stored = config[key];
    const kind = kindOf(key, child);
    if (kind === 'object') {
      const nested = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
      Object.assign(values, initialValues(child, nested, `${path}.`));
    } else if (kind === 'boolean') {
      values[path] = stored === true || (stored === undefined && child.default === true);
    } else if (kind === 'secret' || kind === 'multiline-secret') {
      values[path] = '';
    } else if (stored !== undefined && stored !== null) {
      values[path] = textOf(stored);
    } else if (kind === 'enum' && child.default !== undefined) {
      values[path] = textOf(child.default);
    } else {
      values[path] = '';
    }
  }
  return values;
}

/** Dotted paths of the secrets a provider holds (shown as "********"). */
export function storedSecrets(schema: JsonSchema, config: Record<string, unknown>, prefix = ''): Set<string> {
  const found = new Set<string>();
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const value = config[key];
    if (child.properties !== undefined && typeof value === 'object' && value !== null) {
      for (const p of storedSecrets(child, value as Record<string, unknown>, `${prefix}${key}.`)) {
        found.add(p);
      }
    } else if (child.writeOnly === true && value !== undefined && value !== null) {
      found.add(`${prefix}${key}`);
    }
  }
  return found;
}

/**
 * The config to send. Blank fields are left out; a blank secret is left out too, which keeps the
 * stored one; a secret marked for removal is sent as null. An optional group with nothing in it
 * is left out.
 */
export function buildConfig(
  schema: JsonSchema,
  values: FormValues,
  removedSecrets: ReadonlySet<string> = new Set(),
  prefix = '',
): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${key}`;
    const kind = kindOf(key, child);
    const raw = values[path];
    if (kind === 'object') {
      const nested = buildConfig(child, values, removedSecrets, `${path}.`);
      if (Object.keys(nested).length > 0) config[key] = nested;
    } else if (kind === 'boolean') {
      if (raw === true) config[key] = true;
      else if (child.default === true) config[key] = false;
    } else if (typeof raw === 'string' && raw.trim() !== '') {
      const text = kind === 'secret' || kind === 'multiline-secret' ? raw : raw.trim();
      config[key] = kind === 'number' && Number.isFinite(Number(text)) ? Number(text) : text;
    } else if ((kind === 'secret' || kind === 'multiline-secret') && removedSecrets.has(path)) {
      config[key] = null;
    }
  }
  return config;
}
