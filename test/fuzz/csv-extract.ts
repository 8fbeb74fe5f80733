import { expect } from 'vitest';

import type { IncompleteEntity } from '../../src/connectors/connector.js';
import { createOneRosterCsvConnector } from '../../src/connectors/oneroster-csv/csv-connector.js';
import type { EntityType } from '../../src/domain/entity.js';
import type { ExtractedRecord, RecordError } from '../../src/domain/records.js';
import { createLogger } from '../../src/lib/logger.js';

/*
 * One entity of a OneRoster CSV package through the real connector, and what every fuzz property
 * asks of the outcome: each problem is a per-record error or a per-file one that says where it is,
 * and each record is one the database can store.
 */

const logger = createLogger({ level: 'silent' });

export interface Extracted {
  records: ExtractedRecord[];
  errors: RecordError[];
  incomplete: IncompleteEntity[];
  /** The session's own warnings (manifest, unknown files). */
  warnings: RecordError[];
}

/** Everything the connector yields for `entity` of the package in `dir`. Throws what the connector throws. */
export async function extractEntity(dir: string, entity: EntityType): Promise<Extracted> {
  const session = await createOneRosterCsvConnector({ localPath: dir }).open({
    signal: new AbortController().signal,
    logger,
  });
  const out: Extracted = { records: [], errors: [], incomplete: [], warnings: session.warnings };
  try {
    for await (const batch of session.extract(entity, (p) => out.incomplete.push(p))) {
      out.records.push(...batch.records);
      out.errors.push(...batch.errors);
    }
  } finally {
    await session.close();
  }
  return out;
}

/** JSON that jsonb refuses: a NUL, or an unpaired surrogate (JSON.stringify escapes it as \udXXX). */
const UNSTORABLE_JSON = /\\u0000|\\ud[89a-f]/i;
// eslint-disable-next-line no-control-regex
const UNSTORABLE_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A value the database can store as jsonb: serialisable, without NUL or unpaired surrogates. */
export function expectStorableJson(value: unknown): void {
  const json = JSON.stringify(value);
  expect(json).not.toMatch(UNSTORABLE_JSON);
}

/** Text the database can store in a text column. */
export function expectStorableText(text: string | null | undefined): void {
  if (typeof text === 'string') expect(text).not.toMatch(UNSTORABLE_TEXT);
}

/**
 * Every error names a file the entity reads and, for a record, the line it starts on (2 or more;
 * the header's warnings are line 1), in its message too; every file-level problem names its file;
 * every record comes from a data line and is storable. (The texts of errors may quote what the
 * database cannot hold; the engine replaces that when it records them.)
 */
export function expectLocated(out: Extracted, entity: EntityType, files: readonly string[]): void {
  for (const e of out.errors) {
    expect(files, e.message).toContain(e.source.file);
    expect(e.message).toContain(e.source.file);
    expect(e.code).toMatch(/^[a-z_]+$/);
    expect(Number.isInteger(e.source.line) && e.source.line! >= 1, e.message).toBe(true);
    if (e.severity !== 'warning' && e.externalId !== null) expect(e.source.line).toBeGreaterThanOrEqual(2);
  }
  for (const p of out.incomplete) {
    expect(p.entity).toBe(entity);
    expect(files, p.message).toContain(p.source.file);
    expect(p.message).toContain(p.source.file);
    if (p.source.line !== undefined) expect(p.source.line).toBeGreaterThanOrEqual(1);
  }
  for (const r of out.records) {
    expect(files).toContain(r.source.file);
    expect(r.source.line).toBeGreaterThanOrEqual(2);
    expect(r.externalId.trim()).not.toBe('');
    expectStorableText(r.externalId);
    expectStorableJson(r.data);
    expectStorableJson(r.raw);
  }
}
