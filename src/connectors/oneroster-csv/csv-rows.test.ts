import { Readable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { type CsvRow, CsvFileError, readCsv } from './csv-rows.js';

const COLUMNS = ['sourcedId', 'name', 'grade'];

async function read(stream: Readable): Promise<{ rows: CsvRow[]; error?: CsvFileError }> {
  const reader = await readCsv(stream, 'users.csv', COLUMNS, ['sourcedId']);
  const rows: CsvRow[] = [];
  try {
    for await (const row of reader.rows) rows.push(row);
    return { rows };
  } catch (error) {
    if (!(error instanceof CsvFileError)) throw error;
    return { rows, error };
  }
}

describe('readCsv', () => {
  it('maps cells by header name and numbers rows by the line they start on', async () => {
    const { rows, error } = await read(
      Readable.from([Buffer.from('\uFEFFname,sourcedId,grade\r\n\r\n"Ada\r\nB.",u-1,09\r\nGrace,u-2\r\n')]),
    );
    expect(error).toBeUndefined();
    expect(rows).toEqual([
      { line: 3, values: { name: 'Ada\r\nB.', sourcedId: 'u-1', grade: '09' }, cellCountProblem: null },
      {
        line: 5,
        values: { name: 'Grace', sourcedId: 'u-2', grade: '' },
        cellCountProblem: 'users.csv line 5 has 2 cells but the header has 3',
      },
    ]);
  });

  it('reports an empty file as such', async () => {
    const reader = await readCsv(Readable.from([Buffer.from('\r\n')]), 'users.csv', COLUMNS, ['sourcedId']);
    expect(reader.header.map((p) => p.code)).toEqual(['empty_file']);
  });

  it('ends a truncated file with a CsvFileError naming the file and line, after the rows before it', async () => {
    const { rows, error } = await read(
      Readable.from([Buffer.from('sourcedId,name,grade\nu-1,Ada,09\nu-2,"Gra')]),
    );
    expect(rows.map((r) => r.values.sourcedId)).toEqual(['u-1']);
    expect(error?.line).toBe(3);
    expect(error?.message).toBe(
      'users.csv line 3: Quote Not Closed: the parsing is finished with an opening quote at line 3 (the file looks truncated)',
    );
  });

  it('turns a malformed header into a CsvFileError', async () => {
    await expect(
      readCsv(Readable.from([Buffer.from('sourcedId,na"me\n')]), 'users.csv', COLUMNS, []),
    ).rejects.toThrow(
      new CsvFileError(
        'users.csv line 1: Invalid Opening Quote: a quote is found on field 1 at line 1, value is "na"',
        1,
      ),
    );
  });

  it('turns a read error into a CsvFileError naming the file', async () => {
    const stream = new Readable({ read() {} });
    stream.push('sourcedId,name,grade\nu-1,Ada,09\n');
    const reader = await readCsv(stream, 'users.csv', COLUMNS, []);
    setImmediate(() => stream.destroy(new Error('EIO: i/o error, read')));
    const rows: CsvRow[] = [];
    await expect(
      (async () => {
        for await (const row of reader.rows) rows.push(row);
      })(),
    ).rejects.toThrow(new CsvFileError('users.csv: EIO: i/o error, read', undefined));
    expect(rows.map((r) => r.values.sourcedId)).toEqual(['u-1']);
  });

  it('closes the stream when the rows are left early', async () => {
    const stream = Readable.from(
      (function* () {
        yield Buffer.from('sourcedId,name,grade\n');
        for (let i = 0; ; i++) yield Buffer.from(`u-${i},Ada,09\n`);
      })(),
    );
    const reader = await readCsv(stream, 'users.csv', COLUMNS, []);
    for await (const row of reader.rows) if (row.line === 10) break;
    expect(stream.destroyed).toBe(true);
  });
});
