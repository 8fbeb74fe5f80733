import { Readable } from 'node:stream';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { type CsvRecord, CsvParser, CsvSyntaxError, readCsvRecords } from './csv-parser.js';
import { MAX_RECORD_CHARS } from './package-limits.js';

interface Parsed {
  records: CsvRecord[];
  error?: { code: string; line: number; message: string };
}

/** Splits `bytes` at `cuts` (byte offsets, ascending). */
function chunksAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

async function parseChunks(chunks: (Buffer | string)[] | AsyncIterable<Buffer>): Promise<Parsed> {
  const records: CsvRecord[] = [];
  try {
    for await (const batch of readCsvRecords(Array.isArray(chunks) ? Readable.from(chunks) : chunks)) {
      records.push(...batch);
    }
    return { records };
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    return { records, error: { code: error.code, line: error.line, message: error.message } };
  }
}

const parse = (text: string | Buffer, cuts: number[] = []) =>
  parseChunks(chunksAt(typeof text === 'string' ? Buffer.from(text) : text, cuts));

/** `[line, ...cells]` for each record. */
const rows = (parsed: Parsed) => parsed.records.map((r) => [r.line, ...r.cells]);

describe('readCsvRecords', () => {
  it('reads every cell as a string, leading zeros and spaces kept', async () => {
    const parsed = await parse('id,grade,name\n007,09, Ada \n');
    expect(rows(parsed)).toEqual([
      [1, 'id', 'grade', 'name'],
      [2, '007', '09', ' Ada '],
    ]);
  });

  it('accepts LF, CRLF and CR-only record endings, mixed too', async () => {
    const expected = [
      [1, 'a', 'b'],
      [2, '1', '2'],
      [3, '3', '4'],
    ];
    for (const text of ['a,b\n1,2\n3,4\n', 'a,b\r\n1,2\r\n3,4\r\n', 'a,b\r1,2\r3,4\r', 'a,b\r\n1,2\n3,4\r']) {
      expect(rows(await parse(text)), JSON.stringify(text)).toEqual(expected);
    }
  });

  it('reads the last record without a line break after it', async () => {
    expect(rows(await parse('a,b\n1,2'))).toEqual([
      [1, 'a', 'b'],
      [2, '1', '2'],
    ]);
    expect(rows(await parse('a,b\n1,"2"'))).toEqual([
      [1, 'a', 'b'],
      [2, '1', '2'],
    ]);
  });

  it('drops a UTF-8 BOM (once), even when it arrives a byte at a time', async () => {
    const text = '\uFEFF"id",name\n1,Zoë\n';
    const bytes = Buffer.from(text);
    const expected = [
      [1, 'id', 'name'],
      [2, '1', 'Zoë'],
    ];
    expect(rows(await parse(text))).toEqual(expected);
    expect(rows(await parse(bytes, [1, 2, 3, 4]))).toEqual(expected);
    expect(rows(await parse('\uFEFF\uFEFFid\n'))).toEqual([[1, '\uFEFFid']]);
    // Text streams (setEncoding) keep the BOM; it is dropped all the same.
    expect(rows(await parseChunks(['\uFEFFid,name\n', '1,Zoë\n']))).toEqual(expected);
  });

  it('reads a file that starts with a UTF-16LE BOM as UTF-16LE', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,name\r\n1,Zoë\r\n', 'utf16le')]);
    const expected = [
      [1, 'id', 'name'],
      [2, '1', 'Zoë'],
    ];
    expect(rows(await parse(bytes))).toEqual(expected);
    expect(rows(await parse(bytes, [1, 5, 6]))).toEqual(expected);
  });

  it('reads quoted cells with commas, doubled quotes and line breaks', async () => {
    const parsed = await parse('a,b,c\n"x, y","say ""hi""",""\n"1\n2","3\r\n4","5\r6"\nend,,\n');
    expect(rows(parsed)).toEqual([
      [1, 'a', 'b', 'c'],
      [2, 'x, y', 'say "hi"', ''],
      [3, '1\n2', '3\r\n4', '5\r6'],
      [7, 'end', '', ''],
    ]);
  });

  it('numbers records by the line they start on, counting line breaks inside quotes', async () => {
    const parsed = await parse('h\n"a\n\nb"\n\n"c\r\nd"\r\nx\r"y\ry"\r\rz');
    expect(rows(parsed)).toEqual([
      [1, 'h'],
      [2, 'a\n\nb'],
      [6, 'c\r\nd'],
      [8, 'x'],
      [9, 'y\ry'],
      [12, 'z'],
    ]);
  });

  it('skips empty lines, but not a line of spaces, a lone comma or an empty quoted cell', async () => {
    const parsed = await parse('a,b\n\n\r\n\r1,2\n \n,\n""\n\n');
    expect(rows(parsed)).toEqual([
      [1, 'a', 'b'],
      [5, '1', '2'],
      [6, ' '],
      [7, '', ''],
      [8, ''],
    ]);
  });

  it('yields records whatever their number of cells; a trailing comma is one more empty cell', async () => {
    const parsed = await parse('a,b,c\n1\n1,2,3,4\n1,2,');
    expect(rows(parsed)).toEqual([
      [1, 'a', 'b', 'c'],
      [2, '1'],
      [3, '1', '2', '3', '4'],
      [4, '1', '2', ''],
    ]);
  });

  it('yields nothing for an empty file or one of line breaks only', async () => {
    for (const text of ['', '\uFEFF', '\n', '\r\n\r\n', '\r\r\n']) {
      expect(await parse(text), JSON.stringify(text)).toEqual({ records: [] });
    }
  });

  it('ends a truncated file (an unclosed quote) with an error naming its last line, after the records before it', async () => {
    const parsed = await parse('a,b\n1,2\n3,"4\n5\n');
    expect(rows(parsed)).toEqual([
      [1, 'a', 'b'],
      [2, '1', '2'],
    ]);
    expect(parsed.error).toEqual({
      code: 'quote_not_closed',
      line: 4,
      message: 'Quote Not Closed: the parsing is finished with an opening quote at line 4',
    });
    expect((await parse('a,b\n1,"2')).error?.line).toBe(2);
    expect((await parse('a,b\n1,"2""')).error?.line).toBe(2);
    expect((await parse('a,b\n1,"2\r\n')).error?.line).toBe(2);
  });

  it('rejects a quote inside an unquoted cell', async () => {
    const parsed = await parse('a,b\n1,2\n3,4"5"\n6,7\n');
    expect(rows(parsed)).toEqual([
      [1, 'a', 'b'],
      [2, '1', '2'],
    ]);
    expect(parsed.error).toEqual({
      code: 'invalid_opening_quote',
      line: 3,
      message: 'Invalid Opening Quote: a quote is found on field 1 at line 3, value is "4"',
    });
  });

  it('rejects anything but a delimiter or a line break after a closing quote', async () => {
    const parsed = await parse('a,b\n"1\n2",3\n"4"é,5\n');
    expect(rows(parsed)).toEqual([
      [1, 'a', 'b'],
      [2, '1\n2', '3'],
    ]);
    expect(parsed.error).toEqual({
      code: 'invalid_closing_quote',
      line: 4,
      message:
        'Invalid Closing Quote: got "é" at line 4 instead of delimiter, record delimiter, trimable character (if activated) or comment',
    });
    expect((await parse('a\n"1" \n')).error?.code).toBe('invalid_closing_quote');
    expect((await parse('a\n""x\n')).error?.code).toBe('invalid_closing_quote');
  });

  it('passes errors of the stream through, after the records read before them', async () => {
    const stream = new Readable({ read() {} });
    stream.push('a,b\n1,2\n3,');
    setImmediate(() => stream.destroy(new Error('EIO: i/o error, read')));
    const records: CsvRecord[] = [];
    await expect(
      (async () => {
        for await (const batch of readCsvRecords(stream)) records.push(...batch);
      })(),
    ).rejects.toThrow('EIO: i/o error, read');
    expect(rows({ records })).toEqual([
      [1, 'a', 'b'],
      [2, '1', '2'],
    ]);
  });

  it('reads a record of MAX_RECORD_CHARS characters and ends at a longer one, naming its line, however chunked', async () => {
    const x = (n: number) => 'x'.repeat(n);
    const longest = `"y",${x(MAX_RECORD_CHARS - 4)}`;
    for (const cuts of [[], [9, 70_000, MAX_RECORD_CHARS]]) {
      const fits = await parse(`a,b\n${longest}\n1,2\n`, cuts);
      expect(fits.error).toBeUndefined();
      expect(fits.records.map((r) => r.line)).toEqual([1, 2, 3]);
      // Ended in an unquoted cell, in a quoted one, on the fast path (no quote), and by the file's end.
      for (const tooLong of [
        `${longest}z\n3,4\n`,
        `"${x(MAX_RECORD_CHARS - 1)}"\r\n3,4\n`,
        `${x(MAX_RECORD_CHARS + 1)}\n3,4\n`,
        x(MAX_RECORD_CHARS + 1),
      ]) {
        const parsed = await parse(`a,b\n1,2\n${tooLong}`, cuts);
        expect(rows(parsed), JSON.stringify(cuts)).toEqual([
          [1, 'a', 'b'],
          [2, '1', '2'],
        ]);
        expect(parsed.error).toEqual({
          code: 'record_too_long',
          line: 3,
          message: 'Record Too Long: the record starting at line 3 is longer than 1,048,576 characters',
        });
      }
    }
  });

  it('stops a line that never ends at the cap instead of holding it, and says when a quote was left open', async () => {
    let read = 0;
    async function* endless(head: string, text: string) {
      const chunk = Buffer.from(text.repeat(65_536 / text.length));
      yield Buffer.from(head);
      for (;;) {
        read += chunk.length;
        yield await Promise.resolve(chunk);
      }
    }
    const unclosed = await parseChunks(endless('id,name\n1,"Ada\n', 'ab,cd\n'));
    expect(rows(unclosed)).toEqual([[1, 'id', 'name']]);
    expect(unclosed.error).toMatchObject({
      code: 'record_too_long',
      line: 2,
      message: expect.stringContaining('(it holds a quote that is not closed)'),
    });
    expect(read).toBeLessThanOrEqual(MAX_RECORD_CHARS + 65_536);
    read = 0;
    // Commas only: no cell grows, but the record's list of cells would.
    const commas = await parseChunks(endless('id,name\n', ','));
    expect(commas.error).toMatchObject({ code: 'record_too_long', line: 2 });
    expect(commas.error?.message).not.toContain('quote');
    expect(read).toBeLessThanOrEqual(MAX_RECORD_CHARS + 65_536);
  });

  // Quotes, doubled quotes, CRLF, lone CR, an empty line, multi-byte characters (2, 3 and 4 bytes).
  const TRICKY = '\uFEFFid,"na,me"\r\n"é""x","a\r\nb"\r\n\r\n€,😀\rz,"""",\n"\r",ü\r\n';
  const TRICKY_ROWS = [
    [1, 'id', 'na,me'],
    [2, 'é"x', 'a\r\nb'],
    [5, '€', '😀'],
    [6, 'z', '"', ''],
    [7, '\r', 'ü'],
  ];

  it('reads the tricky sample', async () => {
    expect(rows(await parse(TRICKY))).toEqual(TRICKY_ROWS);
  });

  it('gives the same records whichever byte two chunks meet at', async () => {
    const bytes = Buffer.from(TRICKY);
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(rows(await parse(bytes, [cut])), `cut at ${cut}`).toEqual(TRICKY_ROWS);
    }
  });

  it('gives the same records whichever bytes three chunks meet at', async () => {
    const bytes = Buffer.from(TRICKY);
    for (let a = 1; a < bytes.length; a++) {
      for (let b = a + 1; b < bytes.length; b++) {
        expect(rows(await parse(bytes, [a, b])), `cuts at ${a}, ${b}`).toEqual(TRICKY_ROWS);
      }
    }
  });

  it('gives the same records a byte at a time, and a character at a time', async () => {
    const bytes = Buffer.from(TRICKY);
    expect(
      rows(
        await parse(
          bytes,
          Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
        ),
      ),
    ).toEqual(TRICKY_ROWS);
    const parser = new CsvParser();
    const out: CsvRecord[] = [];
    for (const char of TRICKY.slice(1)) parser.write(char, out);
    parser.end(out);
    expect(rows({ records: out })).toEqual(TRICKY_ROWS);
  });

  it('reports malformed input the same way whichever byte two chunks meet at', async () => {
    for (const text of ['a\n1,"2\n3"x\n', 'a\n1,2"\n', 'a\n"1\r\n2\r\n']) {
      const bytes = Buffer.from(text);
      const whole = await parse(bytes);
      expect(whole.error).toBeDefined();
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(await parse(bytes, [cut]), `${JSON.stringify(text)} cut at ${cut}`).toEqual(whole);
      }
    }
  });

  it('reads back what a writer quotes, with its line numbers, however the bytes are chunked', async () => {
    const cell = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'z', 'é', '😀', ' ', '\t') }),
      fc.string({ unit: fc.constantFrom('x', 'é', '😀', ',', '"', '\n', '\r', '\r\n', ' ') }),
    );
    const record = fc.array(cell, { minLength: 1, maxLength: 4 });
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    const file = fc.record({
      bom: fc.boolean(),
      records: fc.array(fc.record({ cells: record, blankLines: fc.array(eol, { maxLength: 2 }), end: eol }), {
        maxLength: 6,
      }),
      lastEnds: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(file, fc.array(fc.nat(), { maxLength: 6 }), async (spec, cutSeeds) => {
        let text = '';
        const expected: (string | number)[][] = [];
        spec.records.forEach((r, index) => {
          text += r.blankLines.join('');
          const quoted = r.cells.map((c) => (/^[^,"\r\n]*$/.test(c) ? c : `"${c.replaceAll('"', '""')}"`));
          const raw = quoted.join(',');
          // A record of one empty unquoted cell is an empty line.
          if (raw !== '') expected.push([lineBreaks(text) + 1, ...r.cells]);
          text += raw;
          if (index < spec.records.length - 1 || spec.lastEnds) text += r.end;
        });
        const bytes = Buffer.from((spec.bom ? '\uFEFF' : '') + text);
        const cuts = [...new Set(cutSeeds.map((s) => s % (bytes.length + 1)))].sort((a, b) => a - b);
        const parsed = await parse(bytes, cuts);
        expect(parsed.error).toBeUndefined();
        expect(rows(parsed)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('reads any text, malformed or not, the same whichever bytes the chunks meet at', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '😀', ',', '"', '\n', '\r', ' ', '\uFEFF') });
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 6 }), async (t, cutSeeds) => {
        const bytes = Buffer.from(t);
        const cuts = [...new Set(cutSeeds.map((s) => s % (bytes.length + 1)))].sort((a, b) => a - b);
        expect(await parse(bytes, cuts)).toEqual(await parse(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('streams: records come out while the source is still being read', async () => {
    const total = 200_000;
    let produced = 0;
    function* source() {
      yield Buffer.from('id,name,grade\n');
      for (let i = 0; i < total; i += 1000) {
        let text = '';
        for (let j = i; j < i + 1000; j++) text += `u-${j},"Name ${j}",0${j % 9}\n`;
        produced += 1000;
        yield Buffer.from(text);
      }
    }
    let count = 0;
    let producedAtFirst = -1;
    let last: CsvRecord | undefined;
    for await (const batch of readCsvRecords(Readable.from(source()))) {
      if (producedAtFirst === -1) producedAtFirst = produced;
      count += batch.length;
      last = batch.at(-1);
    }
    expect(producedAtFirst).toBeLessThanOrEqual(1000);
    expect(count).toBe(total + 1);
    expect(last).toEqual({
      line: total + 1,
      cells: [`u-${total - 1}`, `Name ${total - 1}`, `0${(total - 1) % 9}`],
    });
  });
});

function lineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}
