type Json = Record<string, unknown>;

/** Every leaf of a nested object, keyed by its dotted path (`sftp.port`). Arrays are leaves. */
export function flattenObject(
  value: unknown,
  prefix = '',
  into = new Map<string, unknown>(),
): Map<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      flattenObject(child, prefix === '' ? key : `${prefix}.${key}`, into);
    }
  } else if (prefix !== '') {
    into.set(prefix, value);
  }
  return into;
}

/** The dotted paths of an object's leaves, sorted. */
export function leafPaths(value: Json): string[] {
  return [...flattenObject(value).keys()].sort();
}

/** The dotted paths whose leaf differs between two objects (added, removed or changed), sorted. */
export function changedPaths(before: Json, after: Json): string[] {
  const a = flattenObject(before);
  const b = flattenObject(after);
  return [...new Set([...a.keys(), ...b.keys()])]
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .sort();
}
