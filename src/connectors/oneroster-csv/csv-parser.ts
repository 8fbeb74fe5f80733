import { TextDecoder } from 'node:util';

import { MAX_RECORD_CHARS } from './package-limits.js';

/*
 * A streaming RFC 4180 reader for OneRoster CSV files: comma-separated, `"` quotes (a doubled
 * quote inside a quoted cell is one quote), CRLF, LF and CR-only record endings (mixed too), line
 * breaks allowed inside quoted cells, every cell a string, empty lines skipped. A UTF-8 BOM is
 * dropped; a file that starts with a UTF-16LE BOM is read as UTF-16LE.
 *
 * Text is parsed one chunk at a time and only the unfinished record is carried over, so memory does
 * not grow with the file; a record longer than `MAX_RECORD_CHARS` (package-limits.ts) is a fault,
 * so it does not grow with a line that never ends either. The hot path (a record without quotes,
 * whole in the chunk) is an `indexOf` for the line end and a `split(',')`; quoted cells are cut
 * with `indexOf('"')`.
 *
 * Malformed input ends the records with a `CsvSyntaxError`, after every record before the fault.
 * Its messages keep the wording of csv-parse, which this module replaced.
 *
 * What the bytes looked like (a BOM, what they were decoded as, bytes that were not valid there)
 * is kept in a `CsvEncodingFacts` the caller may pass, for the engine's bad-export diagnosis.
 */

export interface CsvRecord {
  /** Line on which the record starts (1 is the first line of the file; a line break inside a quoted cell counts). */
  line: number;
  cells: string[];
}

export type CsvSyntaxErrorCode =
  'quote_not_closed' | 'invalid_opening_quote' | 'invalid_closing_quote' | 'record_too_long';

export class CsvSyntaxError extends Error {
  constructor(
    readonly code: CsvSyntaxErrorCode,
    message: string,
    /** Line of the fault (for an unclosed quote: the last line of the file; for a long record: its first). */
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

// Where the parser stands between two characters.
/** At the start of a cell (of a record when no cell is pending). */
const CELL_START = 0;
/** Inside an unquoted cell; `field` holds its text so far. */
const UNQUOTED = 1;
/** Inside a quoted cell; `field` holds its text so far. */
const QUOTED = 2;
/** Just after a quote inside a quoted cell: a second quote, or the end of the cell. */
const QUOTED_QUOTE = 3;
/** Just after a CR that ended a record: a LF here belongs to it. */
const AFTER_CR = 4;

type Mode = typeof CELL_START | typeof UNQUOTED | typeof QUOTED | typeof QUOTED_QUOTE | typeof AFTER_CR;

/**
 * Incremental parser over decoded text. `write` each chunk in order, then `end`; both push the
 * records they complete to `out` and throw a `CsvSyntaxError` (after pushing the records before
 * the fault) on malformed input, after which the parser must not be used again.
 */
export class CsvParser {
  private mode: Mode = CELL_START;
  /** Cells of the record being read. */
  private cells: string[] = [];
  /** Text so far of the cell being read (quoted cells: unescaped). */
  private field = '';
  /** Line of the next character. */
  private line = 1;
  /** Line on which the record being read starts. */
  private recordLine = 1;
  /** The last character read, inside a quoted cell, was a CR (a LF next to it is the same line break). */
  private quotedCr = false;
  /** Characters of the record being read that came in earlier chunks. */
  private carried = 0;

  constructor(
    /** The longest record read; a longer one is a `record_too_long` fault. */
    private readonly maxRecordChars = MAX_RECORD_CHARS,
  ) {}

  write(s: string, out: CsvRecord[]): void {
    const n = s.length;
    const max = this.maxRecordChars;
    let { mode, cells, field, line, recordLine, carried } = this;
    let i = 0;
    // Where the record being read starts in `s` (0: in an earlier chunk, `carried` characters ago).
    let start = 0;
    // Next position (at or after `i`) of each character that matters, `n` when there is none in
    // `s`, or less than `i` when it must be looked for again. (No -1 sentinel: it costs a
    // deoptimization.)
    let nl = indexOrEnd(s, '\n', 0);
    let cr = indexOrEnd(s, '\r', 0);
    let quote = indexOrEnd(s, '"', 0);
    let comma = indexOrEnd(s, ',', 0);
    while (i < n) {
      switch (mode) {
        case CELL_START: {
          if (cells.length === 0) {
            recordLine = line;
            start = i;
            carried = 0;
            // The common case: a whole record without quotes.
            if (nl < i) nl = indexOrEnd(s, '\n', i);
            if (cr < i) cr = indexOrEnd(s, '\r', i);
            if (quote < i) quote = indexOrEnd(s, '"', i);
            const end = nl < cr ? nl : cr;
            if (end < n && quote > end) {
              if (end - i > max) throw this.tooLong(recordLine, false);
              if (end > i) out.push({ line, cells: s.slice(i, end).split(',') });
              line++;
              i = end + 1;
              if (end === cr) {
                if (i === n) mode = AFTER_CR;
                else if (s.charCodeAt(i) === LF) i++;
              }
              continue;
            }
          }
          if (s.charCodeAt(i) === QUOTE) {
            mode = QUOTED;
            i++;
          } else {
            mode = UNQUOTED;
          }
          continue;
        }
        case UNQUOTED: {
          if (comma < i) comma = indexOrEnd(s, ',', i);
          if (nl < i) nl = indexOrEnd(s, '\n', i);
          if (cr < i) cr = indexOrEnd(s, '\r', i);
          if (quote < i) quote = indexOrEnd(s, '"', i);
          let end = comma < nl ? comma : nl;
          if (cr < end) end = cr;
          if (quote < end) {
            // A cell that starts with a quote is quoted; a quote later in it is a fault.
            throw new CsvSyntaxError(
              'invalid_opening_quote',
              `Invalid Opening Quote: a quote is found on field ${cells.length} at line ${line}, value is ${JSON.stringify(field + s.slice(i, quote))}`,
              line,
            );
          }
          if (end === n) {
            field += s.slice(i);
            i = n;
            continue;
          }
          const cell = field === '' ? s.slice(i, end) : field + s.slice(i, end);
          field = '';
          i = end + 1;
          mode = CELL_START;
          if (end === comma) {
            cells.push(cell);
            continue;
          }
          // The end of the record. (An empty line never gets here: CELL_START skips it.)
          if (carried + end - start > max) throw this.tooLong(recordLine, false);
          if (cells.length > 0 || cell !== '') {
            cells.push(cell);
            out.push({ line: recordLine, cells });
            cells = [];
          }
          line++;
          if (end === cr) {
            if (i === n) mode = AFTER_CR;
            else if (s.charCodeAt(i) === LF) i++;
          }
          continue;
        }
        case QUOTED: {
          if (quote < i) quote = indexOrEnd(s, '"', i);
          if (nl < i) nl = indexOrEnd(s, '\n', i);
          if (cr < i) cr = indexOrEnd(s, '\r', i);
          if (nl < quote || cr < quote) {
            line += lineBreaks(s, i, quote, this.quotedCr);
            this.quotedCr = false;
          }
          if (quote === n) {
            field += s.slice(i);
            this.quotedCr = s.charCodeAt(n - 1) === CR;
            i = n;
            continue;
          }
          field += s.slice(i, quote);
          this.quotedCr = false;
          i = quote + 1;
          mode = QUOTED_QUOTE;
          continue;
        }
        case QUOTED_QUOTE: {
          const c = s.charCodeAt(i);
          if (c === QUOTE) {
            field += '"';
            i++;
            mode = QUOTED;
            continue;
          }
          if (c === COMMA) {
            cells.push(field);
          } else if (c === LF || c === CR) {
            if (carried + i - start > max) throw this.tooLong(recordLine, false);
            cells.push(field);
            out.push({ line: recordLine, cells });
            cells = [];
            line++;
            if (c === CR) {
              if (i + 1 === n) {
                field = '';
                i = n;
                mode = AFTER_CR;
                continue;
              }
              if (s.charCodeAt(i + 1) === LF) i++;
            }
          } else {
            const got = String.fromCodePoint(s.codePointAt(i) ?? c);
            throw new CsvSyntaxError(
              'invalid_closing_quote',
              `Invalid Closing Quote: got ${JSON.stringify(got)} at line ${line} instead of delimiter, record delimiter, trimable character (if activated) or comment`,
              line,
            );
          }
          field = '';
          i++;
          mode = CELL_START;
          continue;
        }
        case AFTER_CR: {
          if (s.charCodeAt(i) === LF) i++;
          mode = CELL_START;
          continue;
        }
      }
    }
    const pending = mode !== AFTER_CR && (mode !== CELL_START || cells.length > 0);
    carried = pending ? carried + n - start : 0;
    if (carried > max) throw this.tooLong(recordLine, mode === QUOTED);
    this.mode = mode;
    this.cells = cells;
    this.field = field;
    this.line = line;
    this.recordLine = recordLine;
    this.carried = carried;
  }

  private tooLong(line: number, quoted: boolean): CsvSyntaxError {
    return new CsvSyntaxError(
      'record_too_long',
      `Record Too Long: the record starting at line ${line} is longer than ${this.maxRecordChars.toLocaleString('en-US')} characters${
        quoted ? ' (it holds a quote that is not closed)' : ''
      }`,
      line,
    );
  }

  /** The end of the text: pushes the last record (if it did not end with a line break). */
  end(out: CsvRecord[]): void {
    const { mode, cells, field } = this;
    if (mode === QUOTED) {
      // csv-parse reported the line of the last character.
      const last = field.charCodeAt(field.length - 1);
      const line = last === LF || last === CR ? this.line - 1 : this.line;
      throw new CsvSyntaxError(
        'quote_not_closed',
        `Quote Not Closed: the parsing is finished with an opening quote at line ${line}`,
        line,
      );
    }
    if (mode === UNQUOTED || mode === QUOTED_QUOTE || (mode === CELL_START && cells.length > 0)) {
      cells.push(field);
      out.push({ line: this.recordLine, cells });
    }
    this.cells = [];
    this.field = '';
    this.mode = CELL_START;
    this.carried = 0;
  }
}

function indexOrEnd(s: string, char: string, from: number): number {
  const at = s.indexOf(char, from);
  return at === -1 ? s.length : at;
}

/** Line breaks in `s` from `from` to `to` (CRLF is one; `afterCr`: the character before `from` was a CR). */
function lineBreaks(s: string, from: number, to: number, afterCr: boolean): number {
  let count = 0;
  let previousCr = afterCr;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === CR) count++;
    else if (c === LF && !previousCr) count++;
    previousCr = c === CR;
  }
  return count;
}

/** How a file's bytes were read: filled in as the records are. */
export interface CsvEncodingFacts {
  /** The byte-order mark the file started with (dropped before parsing), or null. */
  bom: 'utf-8' | 'utf-16le' | null;
  /** What the bytes were decoded as. */
  encoding: 'utf-8' | 'utf-16le';
  /** Characters that could not be decoded (each read as U+FFFD), such as Latin-1 bytes in UTF-8. */
  invalidCharacters: number;
  /** The first cell holding one, with its line. */
  firstInvalid: { line: number; text: string } | null;
}

export const newEncodingFacts = (): CsvEncodingFacts => ({
  bom: null,
  encoding: 'utf-8',
  invalidCharacters: 0,
  firstInvalid: null,
});

const REPLACEMENT = '\uFFFD';

/**
 * Parses a byte stream (a `Readable`, say) as CSV, yielding the records each chunk completes.
 * Only the unfinished record is held between chunks. Errors of the source pass through.
 */
export async function* readCsvRecords(
  source: AsyncIterable<Uint8Array | string>,
  facts: CsvEncodingFacts = newEncodingFacts(),
): AsyncGenerator<CsvRecord[]> {
  const parser = new CsvParser();
  let decoder: TextDecoder | undefined;
  // The first bytes, held until there are enough to look for a UTF-16LE BOM.
  let head: Uint8Array | undefined;
  let startOfText = true;
  let out: CsvRecord[] = [];
  // A character that could not be decoded was read, and the cell holding it is not found yet.
  let locating = false;
  const write = (text: string) => {
    if (text === '') return;
    startOfText = false;
    const invalid = countOf(text, REPLACEMENT);
    if (invalid > 0) {
      facts.invalidCharacters += invalid;
      locating ||= facts.firstInvalid === null;
    }
    const from = out.length;
    parser.write(text, out);
    if (locating) locateInvalid(out, from);
  };
  const locateInvalid = (records: CsvRecord[], from: number) => {
    for (let i = from; i < records.length && locating; i++) {
      const { line, cells } = records[i]!;
      const cell = cells.find((c) => c.includes(REPLACEMENT));
      if (cell !== undefined) {
        facts.firstInvalid = { line, text: cell.slice(0, 80) };
        locating = false;
      }
    }
  };
  const decodeFrom = (bytes: Uint8Array) => {
    decoder = newDecoder(bytes);
    facts.encoding = decoder.encoding === 'utf-16le' ? 'utf-16le' : 'utf-8';
    facts.bom = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : hasUtf8Bom(bytes) ? 'utf-8' : null;
    return decoder;
  };
  try {
    for await (const chunk of source) {
      if (typeof chunk === 'string') {
        // Text read with `setEncoding` keeps its BOM (a decoder drops it).
        const bom = startOfText && chunk.charCodeAt(0) === 0xfeff;
        if (bom) facts.bom = 'utf-8';
        write(bom ? chunk.slice(1) : chunk);
      } else if (decoder !== undefined) {
        write(decoder.decode(chunk, { stream: true }));
      } else {
        head = head === undefined ? chunk : concat(head, chunk);
        if (head.length < 3) continue;
        write(decodeFrom(head).decode(head, { stream: true }));
        head = undefined;
      }
      if (out.length > 0) {
        const records = out;
        out = [];
        yield records;
      }
    }
    if (head !== undefined) write(decodeFrom(head).decode(head));
    else if (decoder !== undefined) write(decoder.decode());
    const from = out.length;
    parser.end(out);
    if (locating) locateInvalid(out, from);
  } catch (error) {
    // The records before the fault come first.
    if (out.length > 0) yield out;
    throw error;
  }
  if (out.length > 0) yield out;
}

/** UTF-8 unless the text starts with a UTF-16LE BOM; the decoder drops the BOM either way. */
function newDecoder(head: Uint8Array): TextDecoder {
  return new TextDecoder(head[0] === 0xff && head[1] === 0xfe ? 'utf-16le' : 'utf-8');
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

function countOf(text: string, char: string): number {
  let count = 0;
  for (let at = text.indexOf(char); at !== -1; at = text.indexOf(char, at + 1)) count++;
  return count;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const both = new Uint8Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  return both;
}
