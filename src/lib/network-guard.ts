import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

import { Agent, buildConnector } from 'undici';

import { err, ok, type Result } from './result.js';

/*
 * The guard on outbound connections (provider APIs and token endpoints, SFTP hosts, webhook
 * receivers): an address outside the public internet is refused unless the policy allows its
 * class or a CIDR holding it. The check is made on the address a connection is about to open
 * to, after resolution, so a host name that resolves to 127.0.0.1 (or is re-pointed there
 * between two lookups, DNS rebinding) is caught as surely as a literal IP in a URL.
 */

/** What an address is, as far as reaching it from this service goes. */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved';

/** The classes a policy may allow by name; `reserved` ones only through a CIDR. */
export const ALLOWABLE_CLASSES = ['loopback', 'private', 'link-local'] as const;
export type AllowableClass = (typeof ALLOWABLE_CLASSES)[number];

export interface EgressPolicy {
  readonly classes: ReadonlySet<AllowableClass>;
  /** The CIDRs as written, for messages and docs. */
  readonly cidrs: readonly string[];
  readonly allowList: BlockList;
}

interface Range {
  cidr: string;
  cls: Exclude<AddressClass, 'public'>;
}

const V4_RANGES: Range[] = [
  { cidr: '0.0.0.0/8', cls: 'reserved' },
  { cidr: '10.0.0.0/8', cls: 'private' },
  { cidr: '100.64.0.0/10', cls: 'reserved' },
  { cidr: '127.0.0.0/8', cls: 'loopback' },
  { cidr: '169.254.0.0/16', cls: 'link-local' },
  { cidr: '172.16.0.0/12', cls: 'private' },
  { cidr: '192.0.0.0/24', cls: 'reserved' },
  { cidr: '192.0.2.0/24', cls: 'reserved' },
  { cidr: '192.168.0.0/16', cls: 'private' },
  { cidr: '198.18.0.0/15', cls: 'reserved' },
  { cidr: '198.51.100.0/24', cls: 'reserved' },
  { cidr: '203.0.113.0/24', cls: 'reserved' },
  { cidr: '224.0.0.0/4', cls: 'reserved' },
  { cidr: '240.0.0.0/4', cls: 'reserved' },
];

const V6_RANGES: Range[] = [
  { cidr: '::/128', cls: 'reserved' },
  { cidr: '::1/128', cls: 'loopback' },
  { cidr: '64:ff9b::/96', cls: 'reserved' },
  { cidr: '100::/64', cls: 'reserved' },
  { cidr: '2001:db8::/32', cls: 'reserved' },
  { cidr: 'fc00::/7', cls: 'private' },
  { cidr: 'fe80::/10', cls: 'link-local' },
  { cidr: 'fec0::/10', cls: 'reserved' },
  { cidr: 'ff00::/8', cls: 'reserved' },
];

const RANGES = ((): { list: BlockList; cls: Range['cls'] }[] => {
  const build = (ranges: Range[], type: 'ipv4' | 'ipv6') =>
    ranges.map(({ cidr, cls }) => {
      const list = new BlockList();
      const [network, prefix] = cidr.split('/') as [string, string];
      list.addSubnet(network, Number(prefix), type);
      return { list, cls };
    });
  return [...build(V4_RANGES, 'ipv4'), ...build(V6_RANGES, 'ipv6')];
})();

/**
 * An IPv4-mapped IPv6 address (::ffff:127.0.0.1, ::ffff:7f00:1) as the IPv4 address it reaches,
 * brackets removed; any other address unchanged. Null when it is not an IP address at all.
 */
export function normalizeAddress(raw: string): { address: string; family: 4 | 6 } | null {
  const address = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  const family = isIP(address);
  if (family === 4) return { address, family: 4 };
  if (family !== 6) return null;
  const lower = address.toLowerCase();
  const dotted = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted !== null && isIP(dotted[1]!) === 4) return { address: dotted[1]!, family: 4 };
  const hex = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex !== null) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return { address: `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, family: 4 };
  }
  return { address, family: 6 };
}

/** The class of an IP address (v4, v6 or v4-mapped v6). Throws on something that is no IP address. */
export function classifyAddress(raw: string): AddressClass {
  const normalized = normalizeAddress(raw);
  if (normalized === null) throw new Error(`not an IP address: ${raw}`);
  const type = normalized.family === 4 ? 'ipv4' : 'ipv6';
  for (const range of RANGES) {
    if (range.list.check(normalized.address, type)) return range.cls;
  }
  return 'public';
}

/** Parses `SIS_SYNC_OUTBOUND_ALLOW`: a comma list of class names and CIDRs; `none` (or nothing) allows nothing. */
export function parseEgressPolicy(raw: string): Result<EgressPolicy, string> {
  const classes = new Set<AllowableClass>();
  const cidrs: string[] = [];
  const allowList = new BlockList();
  for (const part of raw.split(',')) {
    const entry = part.trim().toLowerCase();
    if (entry === '' || entry === 'none') continue;
    if ((ALLOWABLE_CLASSES as readonly string[]).includes(entry)) {
      classes.add(entry as AllowableClass);
      continue;
    }
    const [network, prefix, extra] = entry.split('/');
    const normalized = network === undefined ? null : normalizeAddress(network);
    const bits = prefix === undefined ? Number.NaN : Number(prefix);
    const max = normalized?.family === 4 ? 32 : 128;
    if (
      normalized === null ||
      normalized.address !== network ||
      extra !== undefined ||
      !/^\d+$/.test(prefix ?? '') ||
      bits > max
    ) {
      return err(
        `entry "${part.trim()}" is neither ${ALLOWABLE_CLASSES.join(', ')} nor a CIDR such as 10.20.0.0/16`,
      );
    }
    allowList.addSubnet(normalized.address, bits, normalized.family === 4 ? 'ipv4' : 'ipv6');
    cidrs.push(entry);
  }
  return ok({ classes, cidrs, allowList });
}

/** A policy from a list known to be valid (code and tests). */
export function egressPolicy(raw: string): EgressPolicy {
  const parsed = parseEgressPolicy(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

/** `policy` with loopback allowed too (the demo, whose simulators listen there). */
export function allowingLoopback(policy: EgressPolicy): EgressPolicy {
  if (policy.classes.has('loopback')) return policy;
  return { ...policy, classes: new Set([...policy.classes, 'loopback']) };
}

/** Why `address` may not be reached under `policy`, or null when it may. */
export function refusalOf(
  policy: EgressPolicy,
  address: string,
): { cls: AddressClass; reason: string } | null {
  const cls = classifyAddress(address);
  if (cls === 'public') return null;
  if (cls !== 'reserved' && policy.classes.has(cls)) return null;
  const normalized = normalizeAddress(address)!;
  if (policy.allowList.check(normalized.address, normalized.family === 4 ? 'ipv4' : 'ipv6')) return null;
  const reason =
    cls === 'loopback'
      ? 'is a loopback address; set SIS_SYNC_OUTBOUND_ALLOW=loopback to allow it'
      : cls === 'private'
        ? 'is in a private range; set SIS_SYNC_OUTBOUND_ALLOW=private to allow it'
        : cls === 'link-local'
          ? 'is link-local (cloud metadata lives there); set SIS_SYNC_OUTBOUND_ALLOW=link-local to allow it'
          : 'is in a reserved range; add a CIDR holding it to SIS_SYNC_OUTBOUND_ALLOW to allow it';
  return { cls, reason };
}

/** A connection refused by the policy: never worth retrying, since the address will not change class. */
export class EgressRefusedError extends Error {
  constructor(
    readonly address: string,
    readonly host: string,
    readonly addressClass: AddressClass,
    readonly reason: string,
  ) {
    super(`address ${address}${host === address ? '' : ` (host ${host})`} ${reason}`);
    this.name = 'EgressRefusedError';
  }

  /** The message naming what was being reached: "provider address 10.0.0.5 (host ...) is ...". */
  describe(what: string): string {
    return `${what} ${this.message}`;
  }
}

/** The EgressRefusedError somewhere in an error's cause chain (fetch wraps it in "fetch failed"). */
export function findEgressRefusal(error: unknown): EgressRefusedError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && current !== undefined; depth++) {
    if (current instanceof EgressRefusedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A literal IP host (in a URL or an SFTP config) that the policy refuses, for config validation;
 * null for an allowed address or a host name (which only connection time can judge).
 */
export function literalRefusal(policy: EgressPolicy, host: string): EgressRefusedError | null {
  const normalized = normalizeAddress(host);
  if (normalized === null) return null;
  const refusal = refusalOf(policy, normalized.address);
  return refusal === null
    ? null
    : new EgressRefusedError(normalized.address, normalized.address, refusal.cls, refusal.reason);
}

/**
 * Resolves `host` and checks every address it resolves to, returned in the resolver's order.
 * All must pass, so a name that mixes a public and an internal address cannot be used to reach
 * the internal one on a later connection.
 */
export async function resolveCheckedAll(
  policy: EgressPolicy,
  host: string,
): Promise<{ address: string; family: 4 | 6 }[]> {
  const literal = normalizeAddress(host);
  const addresses =
    literal !== null
      ? [literal]
      : (await lookup(host, { all: true, verbatim: true })).map(
          (entry) => normalizeAddress(entry.address) ?? { address: entry.address, family: 6 as const },
        );
  if (addresses.length === 0) throw new Error(`${host} resolved to no address`);
  for (const entry of addresses) {
    const refusal = refusalOf(policy, entry.address);
    if (refusal !== null) throw new EgressRefusedError(entry.address, host, refusal.cls, refusal.reason);
  }
  return addresses;
}

/** The first checked address of `host` (see resolveCheckedAll), for clients that take one address. */
export async function resolveChecked(
  policy: EgressPolicy,
  host: string,
): Promise<{ address: string; family: 4 | 6 }> {
  return (await resolveCheckedAll(policy, host))[0]!;
}

/**
 * What Node's `fetch` takes as `dispatcher`. Typed by `undici-types` (through @types/node), a
 * different package from `undici`'s own types, so the agent is handed over through this type.
 */
export type FetchDispatcher = NonNullable<RequestInit['dispatcher']>;

const dispatchers = new WeakMap<EgressPolicy, FetchDispatcher>();

/**
 * An undici dispatcher for `fetch` that resolves each new connection's host itself, checks the
 * addresses, and connects to the checked one (TLS still verifies and sends SNI for the name).
 * The `undici` package is pinned to the version inside Node 20, whose fetch takes it as
 * `dispatcher`. One per policy, so connections are pooled as with the global dispatcher.
 */
export function guardedDispatcher(policy: EgressPolicy): FetchDispatcher {
  const existing = dispatchers.get(policy);
  if (existing !== undefined) return existing;
  const base = buildConnector({});
  const connect: buildConnector.connector = (options, callback) => {
    const host = options.hostname;
    resolveCheckedAll(policy, host).then(
      (addresses) => {
        const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
        // Each checked address in turn until one connects, as Node does for a name with an
        // IPv6 and an IPv4 address when only one of them listens.
        const attempt = (index: number) =>
          base(
            {
              ...options,
              hostname: addresses[index]!.address,
              ...(servername === undefined ? {} : { servername }),
            },
            (error, socket) => {
              if (error !== null && index + 1 < addresses.length) attempt(index + 1);
              else if (error !== null) callback(error, null);
              else callback(null, socket);
            },
          );
        attempt(0);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
  const agent = new Agent({ connect }) as unknown as FetchDispatcher;
  dispatchers.set(policy, agent);
  return agent;
}
