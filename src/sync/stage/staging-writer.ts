import type { SqlSession } from '../../db/client.js';
import type { EntityType } from '../../domain/entity.js';
import type { ExtractedRecord, RecordError } from '../../domain/records.js';
import { contentHash } from '../../lib/content-hash.js';
import { STAGING } from './staging-columns.js';

export interface StagingTarget {
  runId: string;
  tenantId: string;
  providerId: string;
}

interface StagedRow {
  externalId: string;
  status: 'active' | 'tobedeleted';
  hash: string;
  data: string;
  raw: string | null;
  invalid: boolean;
  file: string | null;
  line: number | null;
  page: string | null;
  typed: (string | null)[];
}

/**
 * Writes extracted records into the run's staging tables, many rows per statement (arrays
 * unnested server-side: no statement per row, no parameter limit). A record that failed
 * validation but has an id is staged as `invalid`: present, so not deactivated, but not applied.
 */
export async function stageBatch<E extends EntityType>(
  session: SqlSession,
  target: StagingTarget,
  entity: E,
  records: readonly ExtractedRecord<E>[],
  errors: readonly RecordError[],
): Promise<{ staged: number; invalid: number }> {
  const spec = STAGING[entity];
  const rows: StagedRow[] = records.map((r) => ({
    externalId: r.externalId,
    status: r.deleted ? 'tobedeleted' : 'active',
    hash: r.deleted ? '' : contentHash(r.data),
    data: JSON.stringify(r.data),
    raw: r.raw === null ? null : JSON.stringify(r.raw),
    invalid: false,
    file: r.source.file ?? null,
    line: r.source.line ?? null,
    page: r.source.page ?? null,
    typed: r.deleted
      ? spec.columns.map((c) => (c.type === 'jsonb' ? '[]' : null))
      : spec.columns.map((c) => c.value(r.data) ?? null),
  }));
  // One invalid row per failed record (a record may carry several errors).
  const invalidKeys = new Set<string>();
  for (const e of errors) {
    if (e.externalId === null || e.severity === 'warning') continue;
    const key = `${e.externalId}\u0000${e.source.file ?? ''}\u0000${e.source.line ?? ''}\u0000${e.source.page ?? ''}`;
    if (invalidKeys.has(key)) continue;
    invalidKeys.add(key);
    rows.push({
      externalId: e.externalId,
      status: 'active',
      hash: '',
      data: '{}',
      raw: null,
      invalid: true,
      file: e.source.file ?? null,
      line: e.source.line ?? null,
      page: e.source.page ?? null,
      typed: spec.columns.map((c) => (c.type === 'jsonb' ? '[]' : null)),
    });
  }
  if (rows.length === 0) return { staged: 0, invalid: 0 };

  const typedColumns = spec.columns.map((c) => c.column);
  const typedSelect = spec.columns.map((c, i) => {
    const ref = `t.c${i}`;
    return c.cast === undefined ? ref : c.cast.replace('%s', ref);
  });
  const typedUnnest = spec.columns.map((c, i) => `$${12 + i}::${c.type}[]`);
  const typedAlias = spec.columns.map((_, i) => `c${i}`);
  const sql = `
    INSERT INTO ${spec.table}
      (run_id, tenant_id, provider_id, external_id, status, content_hash, data, raw, invalid,
       source_file, source_line, source_page${typedColumns.map((c) => `, ${c}`).join('')})
    SELECT $1, $2, $3, t.external_id, t.status, t.hash, t.data, t.raw, t.invalid, t.file, t.line, t.page
           ${typedSelect.map((s) => `, ${s}`).join('')}
    FROM unnest($4::text[], $5::text[], $6::text[], $7::jsonb[], $8::jsonb[], $9::boolean[], $10::text[], $11::int[],
                $${12 + spec.columns.length}::text[]${typedUnnest.map((u) => `, ${u}`).join('')})
      AS t(external_id, status, hash, data, raw, invalid, file, line, page${typedAlias.map((a) => `, ${a}`).join('')})`;
  await session.query(sql, [
    target.runId,
    target.tenantId,
    target.providerId,
    rows.map((r) => r.externalId),
    rows.map((r) => r.status),
    rows.map((r) => r.hash),
    rows.map((r) => r.data),
    rows.map((r) => r.raw),
    rows.map((r) => r.invalid),
    rows.map((r) => r.file),
    rows.map((r) => r.line),
    ...spec.columns.map((_, i) => rows.map((r) => r.typed[i] ?? null)),
    rows.map((r) => r.page),
  ]);
  return { staged: records.length, invalid: invalidKeys.size };
}
