import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';

/*
 * RFC 4180 output as OneRoster wants it: LF line ends, UTF-8 without BOM, a field quoted only
 * when it holds a comma, a quote or a line break, embedded quotes doubled.
 */

const NEEDS_QUOTES = /[",\r\n]/;

export function encodeField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A multi-valued cell: the values comma-joined in one field (quoted when there are several). */
export function encodeList(values: readonly string[]): string {
  return encodeField(values.join(','));
}

export function encodeRow(fields: readonly string[]): string {
  return `${fields.map(encodeField).join(',')}\n`;
}

/** Lines are gathered into chunks this big before a write, so millions of rows cost few writes. */
const CHUNK_CHARS = 1 << 20;

/**
 * Writes a header and rows to `file`, waiting for the stream to drain whenever it asks, so a
 * six-million-row file never sits in memory. Resolves with the number of rows once the file is
 * flushed; rejects if the file cannot be written.
 */
export async function writeCsvFile(
  file: string,
  header: readonly string[],
  lines: Iterable<string>,
): Promise<number> {
  const stream = createWriteStream(file, { encoding: 'utf8', highWaterMark: CHUNK_CHARS });
  // A listener from the start: an error between two writes would otherwise crash the process.
  const failed = new Promise<never>((_, reject) => stream.on('error', reject));
  failed.catch(() => undefined);
  let rows = 0;
  let chunk = encodeRow(header);
  const flush = async () => {
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failed]);
    chunk = '';
  };
  try {
    for (const line of lines) {
      chunk += line;
      rows++;
      if (chunk.length >= CHUNK_CHARS) await flush();
    }
    await flush();
    stream.end();
    await Promise.race([finished(stream), failed]);
  } catch (error) {
    stream.destroy();
    throw error;
  }
  return rows;
}
