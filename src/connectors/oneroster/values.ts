/*
 * Parsers for OneRoster cell values. Real exports deviate from the spec in predictable ways
 * (booleans as TRUE or 1, enumerations in the wrong case, datetimes where dates belong); these
 * accept what is unambiguous and refuse the rest with a message that says what was expected.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const good = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (message: string): Parsed<never> => ({ ok: false, message });

/** An empty cell is no value at all: OneRoster writes nothing between the commas. */
export function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

export function parseBoolean(value: string): Parsed<boolean> {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1') return good(true);
  if (v === 'false' || v === '0') return good(false);
  return bad(`"${value}" is not true or false`);
}

/**
 * Matches an enumeration token whatever its case, and answers with the spec's spelling. OneRoster
 * 1.2 lets a vocabulary be extended with `ext:<token>` values (1.2 OpenAPI: pattern
 * `(ext:)[a-zA-Z0-9.\-_]+`); those are kept as sent when `extensible`.
 */
export function parseEnum<T extends string>(
  value: string,
  allowed: readonly T[],
  what: string,
  options: { version?: string; extensible?: boolean } = {},
): Parsed<T | `ext:${string}`> {
  const v = value.trim().toLowerCase();
  const match = allowed.find((a) => a.toLowerCase() === v);
  if (match !== undefined) return good(match);
  const trimmed = value.trim();
  if (options.extensible === true && /^ext:[A-Za-z0-9.\-_]+$/.test(trimmed)) {
    return good(trimmed as `ext:${string}`);
  }
  const listed = options.extensible === true ? [...allowed, 'ext:...'] : allowed;
  return bad(`"${value}" is not a OneRoster ${options.version ?? '1.1'} ${what} (${listed.join(', ')})`);
}

/** YYYY-MM-DD; an ISO datetime is cut to its date. */
export function parseDate(value: string): Parsed<string> {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
  if (match === null) return bad(`"${value}" is not a date (YYYY-MM-DD)`);
  const [, y, m, d] = match;
  const date = new Date(`${y}-${m}-${d}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(d)) {
    return bad(`"${value}" is not a real date`);
  }
  return good(`${y}-${m}-${d}`);
}

export function parseYear(value: string): Parsed<number> {
  const v = value.trim();
  return /^\d{4}$/.test(v) ? good(Number(v)) : bad(`"${value}" is not a year (YYYY)`);
}

/** A list cell: comma-separated items, blanks dropped. Leading zeros and case are kept. */
export function parseList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : value.split(',');
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/** `{LDAP:12},{Fed:23}` (CSV) into type/identifier pairs. */
export function parseUserIds(value: string): Parsed<{ type: string; identifier: string }[]> {
  const ids: { type: string; identifier: string }[] = [];
  const pattern = /\{([^:{}]+):([^{}]*)\}/g;
  // Only separators may stand between the pairs. (Each gap is looked at once: cutting each pair
  // out of the whole text was quadratic, minutes for a cell of 100,000 pairs.)
  const separators = /^[\s,]*$/;
  let end = 0;
  for (const match of value.matchAll(pattern)) {
    if (!separators.test(value.slice(end, match.index))) return notPairs(value);
    ids.push({ type: match[1]!.trim(), identifier: match[2]!.trim() });
    end = match.index + match[0].length;
  }
  if (!separators.test(value.slice(end))) return notPairs(value);
  return good(ids);
}

const notPairs = (value: string) => bad(`"${value}" is not a list of {type:identifier} pairs`);
