import type { ConfigIssue } from './config-schema.js';

interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** JSON-pointer `/sftp/port` to dotted `sftp.port`. */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/**
 * Validator errors as one plain message per field: unknown properties named, enum choices
 * listed, and the noise of nested anyOf branches dropped.
 */
export function schemaIssues(errors: Iterable<SchemaError>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (error.keyword === 'boolean') continue; // the per-property twin of an additionalProperties error
    const at = pointerToPath(error.instancePath);
    let message = error.message;
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params.additionalProperties as string[] | undefined) ?? [];
      for (const name of extra) {
        const path = at === '' ? name : `${at}.${name}`;
        if (!seen.has(path)) issues.push({ path, message: 'is not a known field' });
        seen.add(path);
      }
      continue;
    }
    if (error.keyword === 'required') {
      const missing = (error.params.requiredProperties as string[] | undefined) ?? [];
      for (const name of missing) {
        const path = at === '' ? name : `${at}.${name}`;
        if (!seen.has(path)) issues.push({ path, message: 'is required' });
        seen.add(path);
      }
      continue;
    }
    if (error.keyword === 'enum') {
      const allowed = (error.params.allowedValues as unknown[] | undefined) ?? [];
      message = `must be one of ${allowed.map(String).join(', ')}`;
    } else if (error.keyword === 'pattern') {
      message = `must match the pattern ${String(error.params.pattern)}`;
    }
    if (seen.has(at)) continue;
    seen.add(at);
    issues.push({ path: at, message });
  }
  return issues;
}
