/*
 * Injectable faults for the OneRoster simulator, from a `--faults` spec: a comma-separated list
 * of `kind[:times][@collection][+skip]`.
 *   kind        429 | 500 | 503 | slow | reset | truncate | short | expire | noenvelope | grow | shrink | legacy
 *   times       how often it fires (default 1; `*` for every time)
 *   @collection only on requests for that collection (orgs, users, ...); default any
 *   +skip       matching requests to let through first (default 1, so the fault hits mid-pull)
 * `expire` ends the OAuth 2 tokens issued so far, and revokes a static bearer token (the ClassLink
 * proxy's) for good. `grow` and `shrink` move the collection's total from that request on: a
 * record appears at the front of the collection, or its first record disappears, so
 * `X-Total-Count` differs between the pages of one pull and every later record shifts by one.
 * `legacy` (1.2 only) serves a page of users as servers still on 1.1 habits do: each with a `role`
 * and `orgs[]` beside its `roles[]`.
 * Example: `429:3@users,500:2,truncate@enrollments,expire,short@users,grow@enrollments`.
 */

export const FAULT_KINDS = [
  '429',
  '500',
  '503',
  'slow',
  'reset',
  'truncate',
  'short',
  'expire',
  'noenvelope',
  'grow',
  'shrink',
  'legacy',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  kind: FaultKind;
  /** Remaining firings; Infinity for `*`. */
  remaining: number;
  collection: string | null;
  skip: number;
}

export function parseFaults(spec: string): Fault[] {
  if (spec.trim() === '') return [];
  return spec.split(',').map((raw) => {
    const match = /^([a-z0-9]+)(?::(\d+|\*))?(?:@([A-Za-z]+))?(?:\+(\d+))?$/.exec(raw.trim());
    const kind = match?.[1] as FaultKind | undefined;
    if (match === null || kind === undefined || !FAULT_KINDS.includes(kind)) {
      throw new Error(
        `"${raw}" is not a fault (kind[:times][@collection][+skip], kind one of ${FAULT_KINDS.join(', ')})`,
      );
    }
    return {
      kind,
      remaining: match[2] === undefined ? 1 : match[2] === '*' ? Number.POSITIVE_INFINITY : Number(match[2]),
      collection: match[3] ?? null,
      skip: match[4] === undefined ? 1 : Number(match[4]),
    };
  });
}

/** The fault to apply to this request, if any; consumes one firing. */
export function takeFault(faults: Fault[], collection: string): Fault | null {
  for (const fault of faults) {
    if (fault.remaining <= 0 || (fault.collection !== null && fault.collection !== collection)) continue;
    if (fault.skip > 0) {
      fault.skip -= 1;
      continue;
    }
    fault.remaining -= 1;
    return fault;
  }
  return null;
}
