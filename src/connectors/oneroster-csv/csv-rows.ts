import type { Readable } from 'node:stream';

import type { SourceFileFacts } from '../connector.js';
import { type CsvRecord, CsvSyntaxError, newEncodingFacts, readCsvRecords } from './csv-parser.js';

/*
 * Streams the rows of one OneRoster CSV file, mapped by header name. The header row is the only
 * reliable map (real files reorder columns, add extension columns, change case), so columns are
 * found by name; what deviates from the spec is reported, once per file, without stopping.
 */

export interface HeaderProblem {
  /** `fatal`: the file cannot be read as this entity (a required column is missing). */
  fatal: boolean;
  code: string;
  column: string | null;
  message: string;
}

export interface CsvRow {
  /** Line on which the record starts (1 is the header). */
  line: number;
  values: Record<string, string>;
  /** Set when the row has a different number of cells than the header. */
  cellCountProblem: string | null;
}

export interface CsvFileReader {
  header: HeaderProblem[];
  rows: AsyncIterable<CsvRow>;
  /** What the file looked like (its header as written, encoding, row count), filled in as it is read. */
  facts: CsvFileFacts;
}

export type CsvFileFacts = Omit<SourceFileFacts, 'entity'>;

const isExtension = (column: string) => column.startsWith('metadata.') || column.startsWith('ext_');

export interface HeaderOptions {
  /** Misspelled headers read as the column they mean (`prefferedGivenName`), with a warning. */
  aliases?: Readonly<Record<string, string>>;
  /** For messages: "not a OneRoster 1.2 column". Default 1.1. */
  version?: string;
}

/** Maps a file's header onto the spec columns; reports missing, re-cased, misspelled, unknown and reordered columns. */
export function mapHeader(
  header: string[],
  file: string,
  columns: readonly string[],
  requiredColumns: readonly string[],
  options: HeaderOptions = {},
): { fields: (string | null)[]; problems: HeaderProblem[] } {
  const version = options.version ?? '1.1';
  const problems: HeaderProblem[] = [];
  const fields: (string | null)[] = [];
  const seen = new Set<string>();
  for (const raw of header) {
    const name = raw.trim();
    let field: string | null = columns.includes(name) ? name : null;
    const alias = options.aliases?.[name];
    if (field === null && alias !== undefined && columns.includes(alias)) {
      field = alias;
      problems.push({
        fatal: false,
        code: 'header_typo',
        column: field,
        message: `${file}: header "${name}" is read as "${field}"`,
      });
    }
    if (field === null && name !== '' && !isExtension(name)) {
      field = columns.find((c) => c.toLowerCase() === name.toLowerCase()) ?? null;
      if (field !== null) {
        problems.push({
          fatal: false,
          code: 'header_case',
          column: field,
          message: `${file}: header "${name}" should be spelled "${field}"`,
        });
      } else {
        problems.push({
          fatal: false,
          code: 'unknown_column',
          column: name,
          message: `${file}: column "${name}" is not a OneRoster ${version} column and is ignored`,
        });
      }
    }
    if (field !== null && seen.has(field)) {
      problems.push({
        fatal: true,
        code: 'duplicate_column',
        column: field,
        message: `${file}: column "${field}" appears twice in the header`,
      });
    }
    if (field !== null) seen.add(field);
    fields.push(field);
  }
  for (const column of requiredColumns) {
    if (!seen.has(column)) {
      problems.push({
        fatal: true,
        code: 'missing_column',
        column,
        message: `${file}: required column "${column}" is missing from the header`,
      });
    }
  }
  for (const column of columns) {
    if (!seen.has(column) && !requiredColumns.includes(column)) {
      problems.push({
        fatal: false,
        code: 'missing_optional_column',
        column,
        message: `${file}: column "${column}" is missing; its values are taken as empty`,
      });
    }
  }
  const order = fields.filter((f): f is string => f !== null);
  const expected = columns.filter((c) => seen.has(c));
  if (order.join() !== expected.join()) {
    problems.push({
      fatal: false,
      code: 'column_order',
      column: null,
      message: `${file}: columns are not in the OneRoster ${version} order; they are read by name`,
    });
  }
  return { fields, problems };
}

/**
 * Reads `stream` as CSV (see `csv-parser.ts`): a UTF-8 BOM is dropped, CRLF, LF and CR-only line
 * endings are all accepted, quoted fields may hold commas and line breaks, and every cell stays a
 * string (leading zeros survive). A malformed file (an unclosed quote, as in a truncated file) ends
 * the rows with a `CsvFileError`, after the rows before the fault.
 */
export async function readCsv(
  stream: Readable,
  file: string,
  columns: readonly string[],
  requiredColumns: readonly string[],
  options: HeaderOptions = {},
): Promise<CsvFileReader> {
  const facts: CsvFileFacts = { header: [], ...newEncodingFacts(), rows: null };
  const batches = readCsvRecords(stream, facts);
  let batch: CsvRecord[] = [];
  try {
    while (batch.length === 0) {
      const next = await batches.next();
      if (next.done === true) break;
      batch = next.value;
    }
  } catch (error) {
    throw CsvFileError.from(error, file);
  }
  const first = batch.shift();
  if (first === undefined) {
    facts.rows = 0;
    return {
      header: [
        { fatal: true, code: 'empty_file', column: null, message: `${file} is empty: not even a header row` },
      ],
      rows: (async function* () {})(),
      facts,
    };
  }
  const header = first.cells;
  facts.header = header;
  const { fields, problems } = mapHeader(header, file, columns, requiredColumns, options);
  // Empty names closing the header (a trailing comma, seen in real 1.2 exports): rows may or may
  // not carry cells for them.
  let width = header.length;
  while (width > 0 && header[width - 1]!.trim() === '') width--;
  if (width < header.length) {
    problems.push({
      fatal: false,
      code: 'trailing_empty_headers',
      column: null,
      message: `${file}: the header ends in ${header.length - width} empty column name(s); they are ignored`,
    });
  }
  let count = 0;
  async function* rows(): AsyncGenerator<CsvRow> {
    try {
      for (;;) {
        count += batch.length;
        for (const { line, cells } of batch) {
          const values: Record<string, string> = {};
          for (let i = 0; i < fields.length; i++) {
            const field = fields[i];
            if (field !== null && field !== undefined) values[field] = cells[i] ?? '';
          }
          const cellCountProblem =
            cells.length >= width && cells.length <= header.length
              ? null
              : `${file} line ${line} has ${cells.length} cells but the header has ${width}`;
          yield { line, values, cellCountProblem };
        }
        let next;
        try {
          next = await batches.next();
        } catch (error) {
          throw CsvFileError.from(error, file);
        }
        if (next.done === true) {
          facts.rows = count;
          return;
        }
        batch = next.value;
      }
    } finally {
      // Stopped early: closes the stream.
      await batches.return(undefined);
    }
  }
  return { header: problems, rows: rows(), facts };
}

/** The file cannot be read on from here (malformed CSV, a read error). */
export class CsvFileError extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
  ) {
    super(message);
    this.name = 'CsvFileError';
  }

  static from(error: unknown, file: string): CsvFileError {
    if (error instanceof CsvSyntaxError) {
      const truncated = error.code === 'quote_not_closed' ? ' (the file looks truncated)' : '';
      return new CsvFileError(`${file} line ${error.line}: ${error.message}${truncated}`, error.line);
    }
    return new CsvFileError(`${file}: ${(error as Error).message}`, undefined);
  }
}
