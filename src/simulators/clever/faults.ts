/*
 * Injectable faults for the Clever simulator: what real providers do to a long pull (rate-limit
 * bursts, 5xx, slow answers, dropped connections, truncated bodies, a page that silently lacks
 * records, a token that expires half way). A spec is a comma-separated list of items:
 *
 *   kind[=value][xCOUNT][@AT][~PATH]
 *
 * - kind: 429, 500, 502, 503, 504, slow (value: delay in ms, default 500), reset, truncate,
 *   short-page, token-expiry;
 * - xCOUNT: how many consecutive matching requests it hits (default 1; `xall`: every one);
 * - @AT: the first matching data request it hits, counting from 1 (default 1);
 * - ~PATH: only requests whose path starts with PATH (`~/v3.0/sections`).
 *
 * Example: `429x3@2,503x2~/v3.0/users,slow=300,reset@5,truncate@6,short-page~/v3.0/users,token-expiry@4`.
 */

export const FAULT_KINDS = [
  '429',
  '500',
  '502',
  '503',
  '504',
  'slow',
  'reset',
  'truncate',
  'short-page',
  'token-expiry',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  value: number | null;
  /** Infinity for `xall`. */
  count: number;
  at: number;
  path: string | null;
}

const ITEM =
  /^(429|500|502|503|504|slow|reset|truncate|short-page|token-expiry)(?:=(\d+))?(?:x(\d+|all))?(?:@(\d+))?(?:~(\/\S*))?$/;

export class FaultSpecError extends Error {}

export function parseFaultSpec(spec: string): FaultSpec[] {
  const items = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return items.map((item) => {
    const match = ITEM.exec(item);
    if (match === null) {
      throw new FaultSpecError(
        `"${item}" is not a fault; write kind[=value][xCOUNT][@AT][~PATH] with kind one of ${FAULT_KINDS.join(', ')}`,
      );
    }
    const [, kind, value, count, at, path] = match;
    return {
      kind: kind as FaultKind,
      value: value === undefined ? null : Number(value),
      count: count === undefined ? 1 : count === 'all' ? Infinity : Number(count),
      at: at === undefined ? 1 : Math.max(1, Number(at)),
      path: path ?? null,
    };
  });
}

/** Decides which fault, if any, hits each data request, in arrival order. */
export class FaultPlan {
  private readonly state: { spec: FaultSpec; seen: number; fired: number }[];

  constructor(specs: readonly FaultSpec[]) {
    this.state = specs.map((spec) => ({ spec, seen: 0, fired: 0 }));
  }

  /** The fault for this request (the first spec that claims it); every matching spec counts it. */
  next(path: string): FaultSpec | null {
    let chosen: FaultSpec | null = null;
    for (const entry of this.state) {
      const { spec } = entry;
      if (spec.path !== null && !path.startsWith(spec.path)) continue;
      entry.seen += 1;
      if (chosen !== null || entry.seen < spec.at || entry.fired >= spec.count) continue;
      entry.fired += 1;
      chosen = spec;
    }
    return chosen;
  }

  /** How often each fault fired, for the simulator's summary and for tests. */
  fired(): { spec: FaultSpec; fired: number }[] {
    return this.state.map(({ spec, fired }) => ({ spec, fired }));
  }
}
