import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { OneRosterVersion } from '../../connectors/oneroster/row-reader.js';
import {
  idOf,
  type DistrictSource,
  type JsonObject,
  type JsonValue,
  type OneRosterCollection,
} from '../district-source.js';
import { parseFaults, takeFault, type Fault, type FaultKind } from './faults.js';
import { createOAuth1Verifier } from './oauth1-verifier.js';

/*
 * A OneRoster REST server over a district source, speaking the protocol as real servers do
 * (providers.md 2): envelopes keyed by entity, limit/offset paging with X-Total-Count and Link,
 * `filter` on a field, OAuth 1.0a verification (bad signatures, stale timestamps and reused
 * nonces refused with imsx 401 bodies), an OAuth 2 client-credentials token endpoint, static
 * bearer tokens (ClassLink's proxy), and injected faults.
 *
 * In 1.2 mode (providers.md 2.9; the 1.2 Rostering OpenAPI) it serves a 1.2 source under
 * `/ims/oneroster/rostering/v1p2`: users as UserDType (`roles[]`, preferredFirstName, pronouns,
 * userMasterIdentifier, primaryOrg, userProfiles), and only to OAuth 2 bearer tokens from its
 * token endpoint whose scope grants the rostering reads (roster-core.readonly or roster.readonly);
 * an OAuth 1.0a signature, an expired or unknown token is refused with an imsx 401 body and a
 * `WWW-Authenticate: Bearer` challenge (RFC 6750), a token without the scope with 403 forbidden.
 */

/** The 1.2 scopes (1.2 OpenAPI, OAuth2CC). */
export const ONEROSTER_1P2_SCOPES = {
  core: 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly',
  roster: 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly',
  demographics: 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster-demographics.readonly',
} as const;
const SCOPES_1P2: readonly string[] = Object.values(ONEROSTER_1P2_SCOPES);

export interface OneRosterServerOptions {
  source: DistrictSource;
  /** The OneRoster version served; default the source's. A 1.2 server needs a 1.2 source. */
  version?: OneRosterVersion;
  port?: number;
  host?: string;
  /**
   * Where the OneRoster root is served: `/ims/oneroster/v1p1` (1.2: `/ims/oneroster/rostering/v1p2`),
   * or a proxy's `/<appId>/ims/oneroster/v1p1`.
   */
  basePath?: string;
  /** OAuth 1.0a and OAuth 2 clients: id -> secret. */
  clients: ReadonlyMap<string, string>;
  signatureMethods: readonly string[];
  /** Accepted static bearer tokens (the ClassLink proxy's). */
  bearerTokens?: readonly string[];
  tokenTtlSeconds?: number;
  faults?: string;
  /** Retry-After sent with injected 429s. */
  retryAfterSeconds?: number;
  /** How long a `slow` fault holds its answer. */
  slowMs?: number;
  maxLimit?: number;
}

export interface RunningOneRosterServer {
  version: OneRosterVersion;
  host: string;
  port: number;
  /** `http://host:port` + basePath. */
  baseUrl: string;
  tokenUrl: string;
  /** Data requests answered, by collection, faults included. */
  requests: Map<string, number>;
  /** Replaces the fault plan (tests: sync clean, then with a fault, on one server). */
  setFaults(spec: string): void;
  /** The faults that fired since the plan was set, in order, with the collection path they hit. */
  firedFaults(): { kind: FaultKind; path: string }[];
  close(): Promise<void>;
}

const COLLECTIONS: Record<
  string,
  { collection: OneRosterCollection; key: string; keep?: (o: JsonObject) => boolean }
> = {
  orgs: { collection: 'orgs', key: 'orgs' },
  schools: { collection: 'orgs', key: 'orgs', keep: (o) => o.type === 'school' },
  academicSessions: { collection: 'academicSessions', key: 'academicSessions' },
  terms: { collection: 'academicSessions', key: 'academicSessions', keep: (o) => o.type === 'term' },
  courses: { collection: 'courses', key: 'courses' },
  classes: { collection: 'classes', key: 'classes' },
  users: { collection: 'users', key: 'users' },
  students: { collection: 'users', key: 'users', keep: (o) => hasRole(o, 'student') },
  teachers: { collection: 'users', key: 'users', keep: (o) => hasRole(o, 'teacher') },
  enrollments: { collection: 'enrollments', key: 'enrollments' },
};

/** A 1.1 user's `role`, or any of a 1.2 user's `roles[]`. */
function hasRole(user: JsonObject, role: string): boolean {
  if (user.role === role) return true;
  const roles = user.roles;
  return (
    Array.isArray(roles) &&
    roles.some((r) => typeof r === 'object' && r !== null && !Array.isArray(r) && r.role === role)
  );
}

export async function startOneRosterServer(options: OneRosterServerOptions): Promise<RunningOneRosterServer> {
  const version = options.version ?? options.source.version;
  if (version !== options.source.version) {
    throw new Error(
      `the district source is OneRoster ${options.source.version}; a ${version} server needs a ${version} package (sis-sync generate --oneroster-version ${version})`,
    );
  }
  const v1p2 = version === '1.2';
  const basePath = (
    options.basePath ?? (v1p2 ? '/ims/oneroster/rostering/v1p2' : '/ims/oneroster/v1p1')
  ).replace(/\/+$/, '');
  const verifier = createOAuth1Verifier({
    consumers: options.clients,
    signatureMethods: options.signatureMethods,
  });
  let faults: Fault[] = parseFaults(options.faults ?? '');
  let fired: { kind: FaultKind; path: string }[] = [];
  /** Issued tokens: when each expires, and (1.2) the scopes it grants. */
  const tokens = new Map<string, { expiresAt: number; scopes: readonly string[] }>();
  const bearers = new Set(options.bearerTokens ?? []);
  /** Static bearer tokens an `expire` fault revoked; a new fault plan restores them. */
  const revoked = new Set<string>();
  /** Records added (> 0) or removed (< 0) mid-pull by `grow` and `shrink`, by served path. */
  const drift = new Map<string, number>();
  const requests = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const ttl = options.tokenTtlSeconds ?? 3600;

  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      if (body.length < 64 * 1024) body += chunk.toString();
    });
    req.on('end', () => {
      try {
        handle(req, res, body);
      } catch {
        status(res, 500, 'internal_server_error', 'the simulator failed');
      }
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (req.method === 'POST' && url.pathname === '/token') return issueToken(req, res, body);
    if (req.method !== 'GET') return status(res, 405, 'unsupported', 'only GET is served');
    const rest = url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length + 1) : null;
    const route = rest === null ? undefined : COLLECTIONS[rest];
    if (route === undefined || rest === null) return status(res, 404, 'unknownobject', 'no such endpoint');
    const denied = authenticate(req);
    if (denied !== null) return refuse(req, res, denied);
    if (v1p2 && !hasReadScope(req)) {
      return status(res, 403, 'forbidden', 'the access token does not grant the rostering read scopes');
    }
    requests.set(rest, (requests.get(rest) ?? 0) + 1);

    const fault = takeFault(faults, rest);
    if (fault !== null) fired.push({ kind: fault.kind, path: rest });
    switch (fault?.kind) {
      case '429':
        res.writeHead(429, {
          'retry-after': String(options.retryAfterSeconds ?? 1),
          'content-type': 'application/json',
        });
        res.end(JSON.stringify(imsx('server_busy', 'too many requests')));
        return;
      case '500':
      case '503':
        return status(res, Number(fault.kind), 'internal_server_error', 'injected failure');
      case 'reset':
        req.socket.destroy();
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) serveCollection(url, rest, route, res, false);
        }, options.slowMs ?? 3000);
        timers.add(timer);
        return;
      }
      case 'expire': {
        tokens.clear();
        const bearer = bearerOf(req);
        if (bearer !== null) {
          // A static token cannot be renewed by its client: once expired it stays refused.
          if (bearers.has(bearer)) revoked.add(bearer);
          return refuse(req, res, 'the access token has expired');
        }
        break;
      }
      case 'grow':
      case 'shrink':
        drift.set(rest, (drift.get(rest) ?? 0) + (fault.kind === 'grow' ? 1 : -1));
        break;
      case 'noenvelope':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      case 'legacy':
      case 'truncate':
      case 'short':
      case undefined:
        break;
    }
    serveCollection(
      url,
      rest,
      route,
      res,
      fault?.kind === 'short',
      fault?.kind === 'truncate',
      fault?.kind === 'legacy',
    );
  }

  function serveCollection(
    url: URL,
    rest: string,
    route: (typeof COLLECTIONS)[string],
    res: ServerResponse,
    short: boolean,
    truncate = false,
    legacy = false,
  ): void {
    let objects = options.source.collections[route.collection];
    if (route.keep !== undefined) objects = objects.filter(route.keep);
    objects = drifted(objects, drift.get(rest) ?? 0);
    const filter = url.searchParams.get('filter');
    if (filter !== null) {
      const predicate = parseFilter(filter);
      if (predicate === null) return status(res, 400, 'invalid_filter_field', `cannot read filter ${filter}`);
      objects = objects.filter(predicate);
    }
    const limit = Math.min(
      Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100),
      options.maxLimit ?? 10_000,
    );
    const offset = Math.max(0, Number(url.searchParams.get('offset') ?? 0) || 0);
    let page = objects.slice(offset, offset + limit);
    if (short) page = page.slice(0, Math.floor(page.length / 2));
    const link = (o: number) => {
      const next = new URL(url);
      next.searchParams.set('offset', String(o));
      next.searchParams.set('limit', String(limit));
      return `<${next.pathname}${next.search}>`;
    };
    const links = [
      `${link(0)}; rel="first"`,
      `${link(Math.max(0, Math.floor((objects.length - 1) / limit) * limit))}; rel="last"`,
    ];
    if (offset + limit < objects.length) links.unshift(`${link(offset + limit)}; rel="next"`);
    if (legacy && v1p2 && route.collection === 'users') page = page.map(withLegacyRole);
    const text = JSON.stringify({ [route.key]: page });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-total-count': String(objects.length),
      link: links.join(', '),
    });
    if (truncate) {
      // Headers promise the whole body; half of it arrives and the connection drops.
      res.write(text.slice(0, Math.floor(text.length / 2)));
      res.socket?.destroy();
      return;
    }
    res.end(text);
  }

  /** 401 with an imsx body; in 1.2, also the bearer challenge of RFC 6750 3. */
  function refuse(req: IncomingMessage, res: ServerResponse, why: string): void {
    if (v1p2) {
      const error = bearerOf(req) === null ? 'invalid_request' : 'invalid_token';
      res.setHeader(
        'www-authenticate',
        `Bearer realm="OneRoster", error="${error}", error_description="${why}"`,
      );
    }
    status(res, 401, 'unauthorisedrequest', why);
  }

  function authenticate(req: IncomingMessage): string | null {
    const header = req.headers.authorization;
    if (header === undefined) {
      return v1p2 ? 'an OAuth 2 bearer token is required' : 'credentials are required';
    }
    if (header.startsWith('Bearer ')) {
      const token = bearerOf(req) ?? '';
      if (revoked.has(token)) return 'the access token has expired';
      if (bearers.has(token)) return null;
      const issued = tokens.get(token);
      if (issued === undefined) return 'the access token is not valid or has expired';
      return issued.expiresAt > Date.now() ? null : 'the access token has expired';
    }
    if (v1p2) {
      return 'OneRoster 1.2 accepts only OAuth 2 bearer tokens; OAuth 1.0a signatures are not accepted';
    }
    const result = verifier.verify({
      method: req.method ?? 'GET',
      scheme: 'http',
      host: req.headers.host ?? '',
      target: req.url ?? '/',
      authorization: header,
    });
    return result.ok ? null : `${result.failure}: ${result.message}`;
  }

  function issueToken(req: IncomingMessage, res: ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic !== null) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString();
      const colon = decoded.indexOf(':');
      const unform = (s: string) => new URLSearchParams(`v=${s}`).get('v') ?? '';
      id = unform(decoded.slice(0, colon));
      secret = unform(decoded.slice(colon + 1));
    }
    res.setHeader('content-type', 'application/json');
    if (form.get('grant_type') !== 'client_credentials') {
      res.writeHead(400).end(JSON.stringify({ error: 'unsupported_grant_type' }));
      return;
    }
    if (id === null || secret === null || options.clients.get(id) !== secret) {
      res.writeHead(401).end(JSON.stringify({ error: 'invalid_client' }));
      return;
    }
    let scopes: readonly string[] = [];
    if (v1p2) {
      // No scope asked for: all three rostering scopes (RFC 6749 3.3 lets a server pick a default).
      const asked = (form.get('scope') ?? '').split(' ').filter((x) => x !== '');
      const unknown = asked.filter((x) => !SCOPES_1P2.includes(x));
      if (unknown.length > 0) {
        res
          .writeHead(400)
          .end(JSON.stringify({ error: 'invalid_scope', error_description: `unknown scope ${unknown[0]}` }));
        return;
      }
      scopes = asked.length > 0 ? asked : SCOPES_1P2;
    }
    const token = randomBytes(24).toString('base64url');
    tokens.set(token, { expiresAt: Date.now() + ttl * 1000, scopes });
    res.writeHead(200).end(
      JSON.stringify({
        access_token: token,
        token_type: 'bearer',
        expires_in: ttl,
        ...(v1p2 ? { scope: scopes.join(' ') } : {}),
      }),
    );
  }

  /** A static bearer grants everything; an issued 1.2 token what its scope says. */
  function hasReadScope(req: IncomingMessage): boolean {
    const issued = tokens.get(bearerOf(req) ?? '');
    if (issued === undefined) return true;
    return (
      issued.scopes.includes(ONEROSTER_1P2_SCOPES.core) || issued.scopes.includes(ONEROSTER_1P2_SCOPES.roster)
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const origin = `http://${address.address}:${address.port}`;
  return {
    version,
    host: address.address,
    port: address.port,
    baseUrl: `${origin}${basePath}`,
    tokenUrl: `${origin}/token`,
    requests,
    firedFaults: () => [...fired],
    setFaults: (spec) => {
      faults = parseFaults(spec);
      fired = [];
      revoked.clear();
      drift.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A collection after records appeared at its front (`count` > 0) or left it (`count` < 0). An
 * added record copies the first one under a new sourcedId, so it maps like the others.
 */
function drifted(objects: JsonObject[], count: number): JsonObject[] {
  if (count <= 0) return objects.slice(-count);
  const first = objects[0];
  if (first === undefined) return objects;
  const added = Array.from({ length: count }, (_, i) => ({
    ...first,
    sourcedId: `${idOf(first)}-added-${i + 1}`,
    dateLastModified: new Date().toISOString(),
  }));
  return [...added, ...objects];
}

/**
 * A 1.2 user as a server that never moved off 1.1 still sends it: with a `role` (its primary
 * one) and `orgs[]` beside `roles[]` (providers.md 2.9).
 */
function withLegacyRole(user: JsonObject): JsonObject {
  const roles = (Array.isArray(user.roles) ? user.roles : []).filter(
    (r): r is { [key: string]: JsonValue } => typeof r === 'object' && r !== null && !Array.isArray(r),
  );
  const primary = roles.find((r) => r.roleType === 'primary') ?? roles[0];
  const orgs: JsonValue[] = [];
  const seen = new Set<string>();
  for (const r of roles) {
    const org = r.org as { sourcedId?: unknown } | undefined;
    if (typeof org?.sourcedId === 'string' && !seen.has(org.sourcedId)) {
      seen.add(org.sourcedId);
      orgs.push(r.org as JsonValue);
    }
  }
  return { ...user, ...(primary === undefined ? {} : { role: primary.role ?? null }), orgs };
}

function bearerOf(req: IncomingMessage): string | null {
  const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return match === null ? null : match[1]!;
}

function imsx(minor: string, description: string) {
  return {
    imsx_codeMajor: 'failure',
    imsx_severity: 'error',
    imsx_description: description,
    imsx_CodeMinor: {
      imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: minor }],
    },
  };
}

function status(res: ServerResponse, code: number, minor: string, description: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(imsx(minor, description)));
}

/** `field<op>'value'` (one predicate; `''` escapes a quote). Null when it cannot be read. */
function parseFilter(filter: string): ((o: JsonObject) => boolean) | null {
  const match = /^([A-Za-z]+)(>=|<=|!=|=|>|<|~)'((?:[^']|'')*)'$/.exec(filter.trim());
  if (match === null) return null;
  const [, field, op, rawValue] = match as unknown as [string, string, string, string];
  const value = rawValue.replaceAll("''", "'");
  const isDate = field === 'dateLastModified';
  const compare = (a: string) =>
    isDate ? Date.parse(a) - Date.parse(value) : a < value ? -1 : a > value ? 1 : 0;
  return (o) => {
    const v = o[field];
    const text =
      typeof v === 'string' ? v : typeof v === 'number' ? String(v) : field === 'sourcedId' ? idOf(o) : null;
    if (text === null) return false;
    switch (op) {
      case '=':
        return compare(text) === 0;
      case '!=':
        return compare(text) !== 0;
      case '>':
        return compare(text) > 0;
      case '>=':
        return compare(text) >= 0;
      case '<':
        return compare(text) < 0;
      case '<=':
        return compare(text) <= 0;
      default:
        return text.includes(value);
    }
  };
}
