import type { EntityType } from '../../domain/entity.js';
import type { ExtractedRecord, RecordError, RecordSource } from '../../domain/records.js';
import {
  ConnectorError,
  type ConnectorErrorCode,
  type ExtractBatch,
  type IncompleteEntity,
} from '../connector.js';
import type { CleverClient } from './clever-client.js';
import type { CleverMapped, MapResult } from './clever-mapping.js';
import type { FieldIssue } from './clever-schemas.js';

/*
 * Reading one Clever list into batches of one entity, and what a broken page means: the records
 * read so far are kept, the entity is reported incomplete (so the engine deactivates nothing of
 * it) with the page that failed, and the pull of that entity stops. Failures that no page can
 * fix (refused credentials, a cancelled run) stop the whole run.
 */

/** Failures that leave one entity incomplete rather than failing the run. */
const PAGE_FAILURES = new Set<ConnectorErrorCode>([
  'provider_unavailable',
  'timeout',
  'rate_limited',
  'invalid_payload',
  'not_found',
]);

export type Incomplete = (problem: IncompleteEntity) => void;

/** What one object of a page turns into. */
export interface PageItems<E extends EntityType> {
  records: ExtractedRecord<E>[];
  errors: RecordError[];
}

export const noItems = <E extends EntityType>(): PageItems<E> => ({ records: [], errors: [] });

export function recordOf<E extends EntityType>(
  mapped: CleverMapped<E>,
  source: RecordSource,
): ExtractedRecord<E> {
  return { externalId: mapped.externalId, deleted: false, data: mapped.data, raw: mapped.raw, source };
}

export function recordErrors(
  kind: string,
  externalId: string | null,
  issues: FieldIssue[],
  source: RecordSource,
): RecordError[] {
  const where = source.page === undefined ? 'Clever' : `Clever ${source.page}`;
  return issues.map((issue) => ({
    externalId,
    field: issue.field === '' ? null : issue.field,
    code: 'invalid_record',
    message: `${where}: ${kind} ${externalId ?? '(no id)'}: ${issue.message}`,
    source,
  }));
}

/** A mapping result as page items: the record, or one error per wrong field. */
export function itemsOf<E extends EntityType>(
  kind: string,
  result: MapResult<E>,
  source: RecordSource,
): PageItems<E> {
  return result.ok
    ? { records: [recordOf(result.value, source)], errors: [] }
    : { records: [], errors: recordErrors(kind, result.externalId, result.issues, source) };
}

/**
 * Pages of `path` mapped by `map`, one batch per page. Returns whether the whole list arrived:
 * read to its end, no page failed, no page came short.
 */
export async function* readList<E extends EntityType>(
  client: CleverClient,
  entity: E,
  path: string,
  params: Record<string, string>,
  signal: AbortSignal,
  onIncomplete: Incomplete,
  map: (item: unknown, source: RecordSource) => PageItems<E>,
): AsyncGenerator<ExtractBatch<E>, boolean> {
  let whole = true;
  try {
    for await (const page of client.pages(path, params, signal)) {
      const source: RecordSource = { page: page.where };
      if (page.short) {
        whole = false;
        onIncomplete({
          entity,
          code: 'short_page',
          message: `Clever: GET ${page.where} returned ${page.items.length} records, fewer than the ${client.pageLimit} asked for, yet linked a next page: records may be missing from it`,
          source,
        });
      }
      const batch: ExtractBatch<E> = { records: [], errors: [] };
      for (const item of page.items) {
        const items = map(item, source);
        batch.records.push(...items.records);
        batch.errors.push(...items.errors);
      }
      yield batch;
    }
    return whole;
  } catch (error) {
    if (!(error instanceof ConnectorError) || !PAGE_FAILURES.has(error.code)) throw error;
    onIncomplete({
      entity,
      code: error.code,
      message: `${error.message}; the ${entity} pull stopped there`,
      source: error.options.source ?? { page: path },
    });
    return false;
  }
}
