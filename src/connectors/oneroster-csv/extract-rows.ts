import type { Readable } from 'node:stream';

import type { EntityType } from '../../domain/entity.js';
import type { RecordError, RecordSource } from '../../domain/records.js';
import { storageProblem } from '../../lib/storable.js';
import type { ExtractBatch, ExtractMode, IncompleteEntity } from '../connector.js';
import {
  mapOneRosterRow,
  toExtractedRecord,
  type MappedRow,
  type OneRosterEntity,
} from '../oneroster/entities.js';
import type { OneRosterVersion } from '../oneroster/row-reader.js';
import { CsvFileError, readCsv, type CsvFileFacts, type CsvFileReader, type CsvRow } from './csv-rows.js';

/*
 * Reading one OneRoster CSV file into batches of mapped records and per-record errors, each error
 * naming its file, line and field.
 */

export const BATCH_SIZE = 1000;

export const emptyBatch = <E extends EntityType>(): ExtractBatch<E> => ({ records: [], errors: [] });

export const batchFull = (batch: ExtractBatch) => batch.records.length + batch.errors.length >= BATCH_SIZE;

/** `file line N: message`, unless the message already says where it is. */
const located = (message: string, at: RecordSource) =>
  at.file !== undefined && message.startsWith(at.file) ? message : `${at.file} line ${at.line}: ${message}`;

/**
 * Adds one mapped row to a batch: its record, or its errors (a record with errors is not applied;
 * with its id, the engine keeps it as present but invalid), and its warnings.
 */
export function addMappedRow<E extends EntityType>(
  batch: ExtractBatch<E>,
  mapped: MappedRow<E>,
  row: CsvRow,
  file: string,
  extra?: Readonly<Record<string, unknown>>,
): void {
  const source = { file, line: row.line };
  const problems = [...mapped.problems];
  if (row.cellCountProblem !== null) {
    problems.unshift({ field: '', code: 'invalid_value', message: row.cellCountProblem });
  }
  const unstorable =
    (hasNul(row.values) ? storageProblem(row.values) : null) ??
    (extra === undefined ? null : storageProblem(extra));
  if (unstorable !== null) problems.push({ ...unstorable, code: 'invalid_value' });
  if (problems.length > 0) {
    // The engine stages a record with errors once per place, and the same id at two places reads
    // as a duplicate: every error of one record carries one place, the record's own row when it is
    // at fault, else its first faulty roles.csv row. Each message still names its own line.
    const place = problems.some((p) => p.source === undefined) ? source : problems[0]!.source!;
    for (const p of problems) {
      batch.errors.push({
        externalId: mapped.externalId,
        field: p.field === '' ? null : p.field,
        code: p.code,
        message: located(p.message, p.source ?? source),
        source: place,
      });
    }
    return;
  }
  if (mapped.externalId === null) return;
  for (const w of mapped.warnings) {
    const at = w.source ?? source;
    batch.errors.push({
      externalId: mapped.externalId,
      field: w.field === '' ? null : w.field,
      code: w.code,
      message: located(w.message, at),
      source: at,
      severity: 'warning',
    });
  }
  batch.records.push(
    toExtractedRecord({ ...mapped, externalId: mapped.externalId }, row.values, source, extra),
  );
}

/**
 * Whether a cell holds a NUL byte. Of what the database cannot store, that is all decoded text can
 * hold (decoders replace unpaired surrogates); `includes` is the cheap look every row can afford.
 */
function hasNul(values: Readonly<Record<string, string>>): boolean {
  for (const field in values) if (values[field]!.includes('\u0000')) return true;
  return false;
}

/** Header deviations that stop nothing, as warnings; whether one of them makes the file unreadable. */
export function headerOutcome(
  reader: CsvFileReader,
  file: string,
): { warnings: RecordError[]; fatal: { code: string; message: string } | null } {
  const warnings: RecordError[] = [];
  let fatal: { code: string; message: string } | null = null;
  for (const problem of reader.header) {
    if (problem.fatal) fatal ??= { code: problem.code, message: problem.message };
    else {
      warnings.push({
        externalId: null,
        field: problem.column,
        code: problem.code,
        message: problem.message,
        source: { file, line: 1 },
        severity: 'warning',
      });
    }
  }
  return { warnings, fatal };
}

export interface FileToRead<E extends EntityType> {
  entity: E;
  spec: OneRosterEntity<E>;
  version: OneRosterVersion;
  /** The file's name in the package (its spelling there). */
  file: string;
  open(): Promise<Readable>;
  mode: ExtractMode;
  /** Told what the file looks like once its header is read. */
  saw(facts: CsvFileFacts): void;
}

/** Streams one file's rows as batches; a file that cannot be read on makes the entity incomplete. */
export async function* extractFile<E extends EntityType>(
  target: FileToRead<E>,
  onIncomplete: (problem: IncompleteEntity) => void,
): AsyncGenerator<ExtractBatch<E>> {
  const { entity, spec, file, version } = target;
  const stream = await target.open();
  let batch = emptyBatch<E>();
  try {
    const reader = await readCsv(stream, file, spec.columns, spec.requiredColumns, {
      version,
      ...(spec.aliases === undefined ? {} : { aliases: spec.aliases }),
    });
    target.saw(reader.facts);
    const header = headerOutcome(reader, file);
    batch.errors.push(...header.warnings);
    if (header.fatal !== null) {
      onIncomplete({ entity, ...header.fatal, source: { file, line: 1 } });
      stream.destroy();
      if (batch.errors.length > 0) yield batch;
      return;
    }
    for await (const row of reader.rows) {
      const mapped = mapOneRosterRow(spec, row.values, target.mode === 'delta', { version });
      addMappedRow(batch, mapped, row, file);
      if (batchFull(batch)) {
        yield batch;
        batch = emptyBatch<E>();
      }
    }
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    onIncomplete({
      entity,
      code: 'malformed_file',
      message: error.message,
      source: { file, ...(error.line === undefined ? {} : { line: error.line }) },
    });
  }
  if (batch.records.length + batch.errors.length > 0) yield batch;
}
