import type { CopyRow, CopyTarget } from '../../db/client.js';
import type { EntityType } from '../../domain/entity.js';
import type { ExtractedRecord, RecordError } from '../../domain/records.js';
import { hashOfStableJson, stableStringify } from '../../lib/content-hash.js';
import { storableText } from '../../lib/storable.js';
import { STAGING } from './staging-columns.js';

/*
 * Staging rows for `DatabaseHandle.copyFrom`: each column's value in PostgreSQL's text form, so a
 * package streams into staging through one COPY per entity (on PostgreSQL) without a statement
 * per batch. Lists are array literals with every element quoted.
 */

export interface StagingTarget {
  runId: string;
  tenantId: string;
  providerId: string;
}

const COMMON_COLUMNS = [
  { name: 'run_id', type: 'uuid' },
  { name: 'tenant_id', type: 'text' },
  { name: 'provider_id', type: 'uuid' },
  { name: 'external_id', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'content_hash', type: 'text' },
  { name: 'data', type: 'jsonb' },
  { name: 'raw', type: 'jsonb' },
  { name: 'invalid', type: 'boolean' },
  { name: 'source_file', type: 'text' },
  { name: 'source_line', type: 'integer' },
  { name: 'source_page', type: 'text' },
] as const;

/** The staging table of an entity and its columns, in the order `stagingRows` fills them. */
export function stagingCopyTarget(entity: EntityType): CopyTarget {
  const spec = STAGING[entity];
  return {
    table: spec.table,
    columns: [
      ...COMMON_COLUMNS,
      ...spec.columns.map((c) => ({ name: c.column, type: c.type === 'list' ? 'text[]' : 'text' })),
    ],
  };
}

/**
 * The staging rows of one batch. A record that failed validation but has an id is staged once as
 * `invalid` (however many errors it has): present, so not deactivated, but not applied.
 */
export function stagingRows<E extends EntityType>(
  target: StagingTarget,
  entity: E,
  records: readonly ExtractedRecord<E>[],
  errors: readonly RecordError[],
): { rows: CopyRow[]; staged: number; invalid: number } {
  const spec = STAGING[entity];
  const { runId, tenantId, providerId } = target;
  const emptyTyped = spec.columns.map((c) => (c.type === 'list' ? '{}' : null));
  const rows: CopyRow[] = [];
  for (const r of records) {
    const { file, line, page } = r.source;
    // One serialisation serves both: the hash is of the key-sorted JSON, and jsonb ignores key order.
    const json = r.deleted ? '{}' : stableStringify(r.data);
    rows.push([
      runId,
      tenantId,
      providerId,
      r.externalId,
      r.deleted ? 'tobedeleted' : 'active',
      r.deleted ? '' : hashOfStableJson(json),
      json,
      r.raw === null ? null : JSON.stringify(r.raw),
      'f',
      file ?? null,
      line === undefined ? null : String(line),
      page ?? null,
      ...(r.deleted
        ? emptyTyped
        : spec.columns.map((c) =>
            c.type === 'list' ? arrayLiteral(c.value(r.data) ?? []) : c.value(r.data),
          )),
    ]);
  }
  const invalidKeys = new Set<string>();
  for (const e of errors) {
    if (e.externalId === null || e.severity === 'warning') continue;
    const { file, line, page } = e.source;
    const key = `${e.externalId}\u0000${file ?? ''}\u0000${line ?? ''}\u0000${page ?? ''}`;
    if (invalidKeys.has(key)) continue;
    invalidKeys.add(key);
    rows.push([
      runId,
      tenantId,
      providerId,
      // An id the database cannot hold (a NUL in it) made its record an error; it still keeps its place.
      storableText(e.externalId),
      'active',
      '',
      '{}',
      null,
      't',
      file ?? null,
      line === undefined ? null : String(line),
      page ?? null,
      ...emptyTyped,
    ]);
  }
  return { rows, staged: records.length, invalid: invalidKeys.size };
}

/** A text[] literal with every element quoted (so commas, braces, spaces and NULL stay text). */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
