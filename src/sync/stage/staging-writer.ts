import type { EntityType } from '../../domain/entity.js';
import type { ExtractedRecord, RecordError } from '../../domain/records.js';
import { contentHash } from '../../lib/content-hash.js';
import { STAGING } from './staging-columns.js';

/*
 * Staging rows in PostgreSQL's COPY text format: one line per row, columns separated by tabs,
 * `\N` for NULL, backslash escapes for backslash, tab, line feed and carriage return. Lists are
 * array literals with every element quoted. The lines go to `DatabaseHandle.copyFrom`, so a
 * package streams into staging without a statement per batch.
 */

export interface StagingTarget {
  runId: string;
  tenantId: string;
  providerId: string;
}

/** `table (columns)` for the COPY of an entity's staging rows, in the order `stagingLines` writes. */
export function stagingCopyTarget(entity: EntityType): string {
  const spec = STAGING[entity];
  const columns = [
    'run_id',
    'tenant_id',
    'provider_id',
    'external_id',
    'status',
    'content_hash',
    'data',
    'raw',
    'invalid',
    'source_file',
    'source_line',
    'source_page',
    ...spec.columns.map((c) => c.column),
  ];
  return `${spec.table} (${columns.join(', ')})`;
}

/**
 * The staging lines of one batch. A record that failed validation but has an id is staged once as
 * `invalid` (however many errors it has): present, so not deactivated, but not applied.
 */
export function stagingLines<E extends EntityType>(
  target: StagingTarget,
  entity: E,
  records: readonly ExtractedRecord<E>[],
  errors: readonly RecordError[],
): { text: string; staged: number; invalid: number } {
  const spec = STAGING[entity];
  const prefix = `${copyText(target.runId)}\t${copyText(target.tenantId)}\t${copyText(target.providerId)}\t`;
  const emptyTyped = spec.columns.map((c) => (c.type === 'list' ? '{}' : '\\N')).join('\t');
  const tail = (emptyTyped === '' ? '' : `\t${emptyTyped}`) + '\n';
  let text = '';
  for (const r of records) {
    const source = r.source;
    text +=
      prefix +
      copyText(r.externalId) +
      (r.deleted
        ? '\ttobedeleted\t\t{}'
        : `\tactive\t${contentHash(r.data)}\t${copyText(JSON.stringify(r.data))}`) +
      `\t${r.raw === null ? '\\N' : copyText(JSON.stringify(r.raw))}\tf\t` +
      `${copyText(source.file ?? null)}\t${source.line ?? '\\N'}\t${copyText(source.page ?? null)}`;
    if (r.deleted) {
      text += tail;
    } else {
      for (const c of spec.columns) {
        text += '\t';
        text += c.type === 'list' ? copyText(arrayLiteral(c.value(r.data) ?? [])) : copyText(c.value(r.data));
      }
      text += '\n';
    }
  }
  const invalidKeys = new Set<string>();
  for (const e of errors) {
    if (e.externalId === null || e.severity === 'warning') continue;
    const { file, line, page } = e.source;
    const key = `${e.externalId}\u0000${file ?? ''}\u0000${line ?? ''}\u0000${page ?? ''}`;
    if (invalidKeys.has(key)) continue;
    invalidKeys.add(key);
    text +=
      prefix +
      `${copyText(e.externalId)}\tactive\t\t{}\t\\N\tt\t` +
      `${copyText(file ?? null)}\t${line ?? '\\N'}\t${copyText(page ?? null)}` +
      tail;
  }
  return { text, staged: records.length, invalid: invalidKeys.size };
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field of COPY's text format. */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : value;
}

/** A text[] literal with every element quoted (so commas, braces, spaces and NULL stay text). */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
