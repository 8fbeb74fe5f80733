import type { EntityType } from '../../domain/entity.js';
import { ConnectorError } from '../connector.js';
import type { HttpClient } from '../http/http-client.js';
import { ONEROSTER_ENTITIES } from './entities.js';
import { imsxStatusOf } from './rest-status.js';

/*
 * Reading one OneRoster 1.1 REST collection page by page (providers.md 2.4), shared by the
 * OneRoster API and ClassLink connectors. Pages are asked for with `limit`/`offset` in a stable
 * `sort=sourcedId` order; the pull ends on an empty page, at `X-Total-Count`, when `Link` has no
 * `next`, or on a page shorter than the server's page size. Anything that looks like success but
 * cannot be trusted to be the whole collection (a 200 without its envelope, a total that moves,
 * fewer objects than the total, a page that keeps failing) ends the pull as incomplete, so the
 * engine deactivates nothing on its word.
 */

/** Envelope keys a server may use for a collection: the spec's, then vendor variants. */
const ENVELOPE_KEYS: Record<string, readonly string[]> = {
  orgs: ['orgs', 'schools'],
  academicSessions: ['academicSessions', 'terms'],
  courses: ['courses'],
  classes: ['classes'],
  users: ['users', 'students', 'teachers'],
  enrollments: ['enrollments'],
};

/** A runaway server (a `next` link to itself) cannot keep a pull going forever. */
const MAX_PAGES = 100_000;

export interface RestPage {
  objects: unknown[];
  /** Request path and offset, for record sources and messages. */
  path: string;
  offset: number;
}

export interface CollectionProblem {
  code: string;
  message: string;
  path: string;
  offset: number;
}

export interface OneRosterRestClient {
  /** Pages of one collection; `onProblem` says why the collection is incomplete, then the pages stop. */
  pages(
    entity: EntityType,
    options: { filter?: string; signal: AbortSignal },
    onProblem: (problem: CollectionProblem) => void,
  ): AsyncGenerator<RestPage>;
  /** One page of a collection, for connection tests. */
  first(
    entity: EntityType,
    limit: number,
    signal: AbortSignal,
  ): Promise<{ objects: unknown[]; total: number | null }>;
}

export function createOneRosterRestClient(options: {
  baseUrl: string;
  http: HttpClient;
  pageSize: number;
}): OneRosterRestClient {
  const root = options.baseUrl.replace(/\/+$/, '');
  const urlOf = (collection: string, params: Record<string, string>) => {
    const url = new URL(`${root}/${collection}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url;
  };

  const envelope = (collection: string, body: unknown): unknown[] | null => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
    for (const key of ENVELOPE_KEYS[collection] ?? [collection]) {
      const value = (body as Record<string, unknown>)[key];
      if (Array.isArray(value)) return value as unknown[];
    }
    return null;
  };

  return {
    async *pages(entity, { filter, signal }, onProblem) {
      const collection = ONEROSTER_ENTITIES[entity].collection;
      const limit = options.pageSize;
      let offset = 0;
      let received = 0;
      let firstTotal: number | null = null;
      let largestPage = 0;
      for (let page = 0; page < MAX_PAGES; page++) {
        const url = urlOf(collection, {
          limit: String(limit),
          offset: String(offset),
          sort: 'sourcedId',
          orderBy: 'asc',
          ...(filter === undefined ? {} : { filter }),
        });
        const where = `${url.pathname} at offset ${offset}`;
        let response;
        try {
          response = await options.http.requestJson({ url, signal });
        } catch (error) {
          // Credentials, cancellation and configuration stop the whole pull; a page that keeps
          // failing makes this collection incomplete and the others may still arrive.
          if (
            !(error instanceof ConnectorError) ||
            !['rate_limited', 'provider_unavailable', 'timeout', 'invalid_payload', 'not_found'].includes(
              error.code,
            )
          ) {
            throw error;
          }
          onProblem({
            code: `page_${error.code}`,
            message: `${where}: ${error.message}`,
            path: url.pathname,
            offset,
          });
          return;
        }
        const objects = envelope(collection, response.body);
        if (objects === null) {
          const status = imsxStatusOf(response.body);
          const why =
            status === null
              ? `answered ${response.status} without a "${collection}" array`
              : `answered ${response.status} with a status instead of data (${[status.codeMajor, ...status.codeMinor, status.description?.slice(0, 200)].filter((s) => s !== null && s !== undefined).join(', ')})`;
          onProblem({
            code: 'missing_envelope',
            message: `${where} ${why}; the collection is incomplete`,
            path: url.pathname,
            offset,
          });
          return;
        }
        const totalHeader = response.headers.get('x-total-count');
        const total = totalHeader !== null && /^\d+$/.test(totalHeader.trim()) ? Number(totalHeader) : null;
        if (total !== null) {
          firstTotal ??= total;
          if (total !== firstTotal) {
            onProblem({
              code: 'total_changed',
              message: `${where}: X-Total-Count moved from ${firstTotal} to ${total} during the pull; the collection is incomplete`,
              path: url.pathname,
              offset,
            });
            return;
          }
        }
        if (objects.length > 0) yield { objects, path: url.pathname, offset };
        received += objects.length;
        offset += objects.length;
        const link = response.headers.get('link');
        const end =
          objects.length === 0 ||
          (firstTotal !== null && received >= firstTotal) ||
          (link !== null && !/rel="?next"?/i.test(link)) ||
          (firstTotal === null && largestPage > 0 && objects.length < largestPage);
        largestPage = Math.max(largestPage, objects.length);
        if (end) {
          if (firstTotal !== null && received !== firstTotal) {
            onProblem({
              code: 'count_mismatch',
              message: `${where}: received ${received} objects but X-Total-Count said ${firstTotal}; the collection is incomplete`,
              path: url.pathname,
              offset,
            });
          }
          return;
        }
      }
      onProblem({
        code: 'too_many_pages',
        message: `${root}/${collection}: more than ${MAX_PAGES} pages; the collection is incomplete`,
        path: `/${collection}`,
        offset,
      });
    },

    async first(entity, limit, signal) {
      const collection = ONEROSTER_ENTITIES[entity].collection;
      const url = urlOf(collection, { limit: String(limit), offset: '0' });
      const response = await options.http.requestJson({ url, signal });
      const objects = envelope(collection, response.body);
      if (objects === null) {
        throw new ConnectorError(
          'invalid_payload',
          `${url.pathname} answered without a "${collection}" array`,
        );
      }
      const header = response.headers.get('x-total-count');
      return { objects, total: header !== null && /^\d+$/.test(header.trim()) ? Number(header) : null };
    },
  };
}
