import type { Logger } from '../../lib/logger.js';
import type { EgressPolicy } from '../../lib/network-guard.js';
import { err, ok, type Result } from '../../lib/result.js';
import { ConnectorError } from '../connector.js';
import { noAuth, type AuthStrategy } from '../http/auth.js';
import {
  createHttpClient,
  type DescribeFailure,
  type HttpClient,
  type HttpClientDeps,
  type HttpObserver,
  type HttpSettings,
} from '../http/http-client.js';
import { checker, cleverListSchema, cleverSingleSchema, cleverTokensSchema } from './clever-schemas.js';
import { CLEVER_API_BASE_URL, CLEVER_TOKENS_URL, type CleverConfig } from './config.js';

/*
 * Clever's Data API over the shared HTTP layer: the district token (given, or looked up with
 * the application's client credentials and looked up again when Clever answers 401, since
 * district tokens rotate), and list paging by `rel=next` links.
 */

/** Clever's maximum page size: fewest requests against a limit of 1200 per minute. */
export const CLEVER_PAGE_LIMIT = 10_000;

export interface CleverHttpOptions {
  settings?: Partial<HttpSettings>;
  sleep?: HttpClientDeps['sleep'];
  /** Page size; Clever allows up to 10000. */
  pageLimit?: number;
  /** Counts the requests to the Data API and the token endpoint. */
  observer?: HttpObserver;
  /** Which non-public addresses the API and token endpoint may resolve to. */
  egress?: EgressPolicy;
}

export interface CleverPage {
  /** The objects of the page, unchecked. */
  items: unknown[];
  /** The request path and query, to point at the page in messages. */
  where: string;
  /** A page that is shorter than asked for yet links a next one: records may be missing. */
  short: boolean;
  /** Whether a next page is linked. */
  more: boolean;
  /** The list's total, when Clever says it (`count=true`). */
  count: number | null;
}

/** A page as read, with its next link as Clever wrote it. */
interface ReadPage {
  page: CleverPage;
  next: string | undefined;
}

/** A promise that never rejects: its outcome as a value. */
const settle = <T>(promise: Promise<T>): Promise<Result<T, unknown>> =>
  promise.then(
    (value) => ok(value),
    (error: unknown) => err(error),
  );

const checkList = checker(cleverListSchema);
const checkSingle = checker(cleverSingleSchema);
const checkTokens = checker(cleverTokensSchema);

/** Clever's error body is `{"message": "..."}`; an HTML body means a wrong token type or endpoint. */
const describeFailure: DescribeFailure = (status, body) => {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { message?: unknown }).message === 'string'
    ) {
      const detail = (parsed as { message: string }).message.slice(0, 200);
      return status === 413 ? { code: 'config_invalid', detail } : { detail };
    }
  } catch {
    // Not JSON: said below.
  }
  return body.trimStart().startsWith('<')
    ? { detail: 'an HTML page (wrong token type or endpoint)' }
    : undefined;
};

export class CleverClient {
  readonly baseUrl: URL;
  readonly pageLimit: number;
  /** The base URL without a trailing slash, to append paths to. */
  private readonly root: string;
  private readonly http: HttpClient;

  constructor(config: CleverConfig, logger: Logger, options: CleverHttpOptions = {}) {
    this.baseUrl = new URL((config.baseUrl ?? CLEVER_API_BASE_URL).replace(/\/+$/, ''));
    this.root = this.baseUrl.href.replace(/\/+$/, '');
    this.pageLimit = Math.min(CLEVER_PAGE_LIMIT, Math.max(1, options.pageLimit ?? CLEVER_PAGE_LIMIT));
    const httpDeps: HttpClientDeps = {
      logger,
      ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
      ...(options.observer === undefined ? {} : { observer: options.observer }),
      ...(options.egress === undefined ? {} : { egress: options.egress }),
    };
    const settings = options.settings ?? {};
    const tokenHttp = createHttpClient(
      { provider: 'Clever token endpoint', auth: noAuth, settings, describeFailure },
      httpDeps,
    );
    this.http = createHttpClient(
      { provider: 'Clever', auth: districtTokenAuth(config, tokenHttp), settings, describeFailure },
      httpDeps,
    );
  }

  /** A URL under the Data API root: `path` is relative to it (`/users`). */
  url(path: string, params: Record<string, string> = {}): URL {
    const url = new URL(`${this.root}${path}`);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url;
  }

  /** `GET` one object (`{data: {...}}`). */
  async getOne(path: string, signal: AbortSignal): Promise<unknown> {
    const url = this.url(path);
    const response = await this.http.requestJson({ url, signal });
    const checked = checkSingle(response.body);
    if (!checked.ok) {
      throw new ConnectorError(
        'invalid_payload',
        `Clever: GET ${url.pathname} answered 200 without a {data} object`,
      );
    }
    return checked.value.data;
  }

  /** The first page of a list only, without reading on (a probe, as `testConnection` makes). */
  async firstPage(path: string, params: Record<string, string>, signal: AbortSignal): Promise<CleverPage> {
    const url = this.url(path, { limit: String(this.pageLimit), ...params });
    return (await this.readPage(url, signal)).page;
  }

  /**
   * Every page of a list, following `rel=next` until there is none (or an empty page).
   *
   * One page is read ahead: as soon as a page's next link is known, the next page is requested,
   * before this one is handed over, so Clever's time to answer overlaps the consumer's mapping
   * and staging of the page in hand. Never more than that one page is in flight or held. Its
   * failure (after the HTTP layer's retries), and a next link that is refused, surface when the
   * consumer asks for that page, as they would without the read-ahead; a consumer that stops
   * early has it cancelled and settled before `return()` resolves.
   */
  async *pages(
    path: string,
    params: Record<string, string>,
    signal: AbortSignal,
  ): AsyncGenerator<CleverPage> {
    // Cancels the page read ahead when nobody will ask for it; the run's signal cancels it too.
    const stop = new AbortController();
    const readSignal = AbortSignal.any([signal, stop.signal]);
    const seen = new Set<string>();
    const read = async (url: URL): Promise<ReadPage> => {
      const where = `${url.pathname}${url.search}`;
      if (seen.has(url.href)) {
        throw new ConnectorError(
          'invalid_payload',
          `Clever: GET ${where} was already read; its next link goes round in a circle`,
          { source: { page: where } },
        );
      }
      seen.add(url.href);
      return this.readPage(url, readSignal);
    };
    const readLink = async (uri: string, from: string): Promise<ReadPage> =>
      read(this.resolveLink(uri, from));
    // Settled, so that a page read ahead which fails while the consumer is busy is never an
    // unhandled rejection; its error is thrown when that page is asked for.
    let ahead: Promise<Result<ReadPage, unknown>> | null = settle(
      read(this.url(path, { limit: String(this.pageLimit), ...params })),
    );
    try {
      while (ahead !== null) {
        const result: Result<ReadPage, unknown> = await ahead;
        ahead = null;
        if (!result.ok) throw result.error;
        const { page, next }: ReadPage = result.value;
        if (page.more && next !== undefined) {
          ahead = settle(readLink(next, page.where));
        }
        yield page;
      }
    } finally {
      if (ahead !== null) {
        // The consumer stopped (or failed) with a page in flight: nothing will read it.
        stop.abort();
        await ahead;
      }
    }
  }

  /** One page of a list, checked; errors name the page. */
  private async readPage(url: URL, signal: AbortSignal): Promise<ReadPage> {
    const where = `${url.pathname}${url.search}`;
    let body: unknown;
    try {
      body = (await this.http.requestJson({ url, signal })).body;
    } catch (error) {
      // Say which page: the HTTP layer names only the path, never the query.
      if (!(error instanceof ConnectorError)) throw error;
      throw new ConnectorError(error.code, `${error.message} [page ${where}]`, {
        retryable: error.retryable,
        source: { page: where },
        cause: error,
      });
    }
    const checked = checkList(body);
    if (!checked.ok) {
      throw new ConnectorError(
        'invalid_payload',
        `Clever: GET ${where} answered 200 without a list envelope ({data: [{data, uri}], links}): ${checked.issues
          .map((i) => i.message)
          .join('; ')}`,
        { retryable: true, source: { page: where } },
      );
    }
    const items = checked.value.data.map((d) => d.data);
    const next = checked.value.links?.find((l) => l.rel === 'next')?.uri;
    // Clever's docs: a page may link on although nothing follows; an empty page is the end.
    const more = next !== undefined && items.length > 0;
    const limit = Number(url.searchParams.get('limit') ?? this.pageLimit);
    return {
      page: { items, where, short: more && items.length < limit, more, count: checked.value.count ?? null },
      next,
    };
  }

  /**
   * A `links[].uri` as a URL. Clever writes them from its own root (`/v3.0/users?...`); they are
   * re-rooted on the configured base URL so a proxy or simulator base keeps working, and a link
   * to another host is refused rather than sent the district token.
   */
  private resolveLink(uri: string, where: string): URL {
    const root = this.baseUrl.pathname.replace(/\/+$/, '');
    const version = /\/v3\.\d$/.exec(root)?.[0] ?? '';
    if (/^https?:/i.test(uri)) {
      const absolute = new URL(uri);
      if (absolute.origin !== this.baseUrl.origin) {
        throw new ConnectorError(
          'invalid_payload',
          `Clever: GET ${where} links its next page on another host`,
        );
      }
      return absolute;
    }
    const path = version !== '' && uri.startsWith(`${version}/`) ? uri.slice(version.length) : uri;
    return new URL(`${this.root}${path.startsWith('/') ? path : `/${path}`}`);
  }
}

/**
 * The district token: `accessToken` if given; otherwise (and again after a 401, when client
 * credentials are configured) the one `GET <tokenUrl>?owner_type=district` lists for `districtId`.
 */
function districtTokenAuth(config: CleverConfig, tokenHttp: HttpClient): AuthStrategy {
  let token: string | null = config.accessToken ?? null;
  const canLookUp =
    config.clientId !== undefined && config.clientSecret !== undefined && config.districtId !== undefined;

  async function lookUp(signal: AbortSignal): Promise<string> {
    if (!canLookUp) {
      throw new ConnectorError(
        'config_invalid',
        'Clever: no accessToken, and no clientId/clientSecret/districtId to look one up',
      );
    }
    const url = new URL(config.tokenUrl ?? CLEVER_TOKENS_URL);
    url.searchParams.set('owner_type', 'district');
    url.searchParams.set('district', config.districtId!);
    const basic = Buffer.from(`${config.clientId}:${config.clientSecret}`).toString('base64');
    const response = await tokenHttp.requestJson({
      url,
      signal,
      headers: { authorization: `Basic ${basic}` },
    });
    const checked = checkTokens(response.body);
    if (!checked.ok) {
      throw new ConnectorError(
        'invalid_payload',
        `Clever: GET ${url.pathname} answered without a token list`,
      );
    }
    const found = checked.value.data.find(
      (t) => t.owner.type === 'district' && t.owner.id === config.districtId,
    );
    if (found === undefined) {
      throw new ConnectorError(
        'auth_failed',
        `Clever lists no token for district ${config.districtId}: the district has not authorized this application, or has revoked it`,
      );
    }
    return found.access_token;
  }

  return {
    kind: canLookUp ? 'Clever district token (looked up)' : 'Clever district token',
    async authorize({ signal }) {
      token ??= await lookUp(signal);
      return { authorization: `Bearer ${token}` };
    },
    ...(canLookUp
      ? {
          async refresh(signal: AbortSignal) {
            token = null;
            token = await lookUp(signal);
          },
        }
      : {}),
  };
}
