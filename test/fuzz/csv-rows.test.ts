import { writeFileSync } from 'node:fs';
import path from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  CLASS_TYPES,
  ENROLLMENT_ROLES,
  ONEROSTER_ENTITIES,
  ORG_TYPES,
  SESSION_TYPES,
  USER_ROLES,
} from '../../src/connectors/oneroster/entities.js';
import { ENTITY_TYPES, type EntityType } from '../../src/domain/entity.js';
import { cell, writePackage } from '../support/oneroster-package.js';
import { expectLocated, extractEntity } from './csv-extract.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/*
 * Random valid-shaped OneRoster 1.1 rows with random defects (blank required values, wrong types,
 * bad dates and vocabularies, NUL characters, missing and extra cells), duplicate ids, empty lines,
 * mixed line endings and quotes inside fields, under a header that may be reordered, re-cased,
 * widened or missing a column. Through the real connector, exactly the clean rows become records
 * (their cells intact), and each defect is an error naming the row's line and the field.
 */

type Kind = 'id' | 'status' | 'free' | 'text' | 'enum' | 'date' | 'year' | 'bool' | 'list' | 'userIds';
interface Column {
  kind: Kind;
  required: boolean;
  values?: readonly string[];
}

const FILE: Record<EntityType, string> = {
  schools: 'orgs',
  terms: 'academicSessions',
  courses: 'courses',
  classes: 'classes',
  users: 'users',
  enrollments: 'enrollments',
};

/** How each column is read (entities.ts), by entity. Columns not named here are free text. */
const KINDS: Record<EntityType, Record<string, Omit<Column, 'required'>>> = {
  schools: { type: { kind: 'enum', values: ORG_TYPES } },
  terms: {
    type: { kind: 'enum', values: SESSION_TYPES },
    startDate: { kind: 'date' },
    endDate: { kind: 'date' },
    schoolYear: { kind: 'year' },
  },
  courses: { grades: { kind: 'list' }, subjects: { kind: 'list' }, subjectCodes: { kind: 'list' } },
  classes: {
    classType: { kind: 'enum', values: CLASS_TYPES },
    termSourcedIds: { kind: 'list' },
    grades: { kind: 'list' },
    periods: { kind: 'list' },
  },
  users: {
    enabledUser: { kind: 'bool' },
    role: { kind: 'enum', values: USER_ROLES },
    orgSourcedIds: { kind: 'list' },
    userIds: { kind: 'userIds' },
    grades: { kind: 'list' },
  },
  enrollments: {
    role: { kind: 'enum', values: ENROLLMENT_ROLES },
    primary: { kind: 'bool' },
    beginDate: { kind: 'date' },
    endDate: { kind: 'date' },
  },
};

function columnsOf(entity: EntityType): Record<string, Column> {
  const spec = ONEROSTER_ENTITIES[entity];
  return Object.fromEntries(
    spec.columns.map((name) => {
      const kind =
        name === 'sourcedId'
          ? { kind: 'id' as const }
          : name === 'status'
            ? { kind: 'status' as const }
            : KINDS[entity][name];
      const required = spec.requiredColumns.includes(name);
      return [
        name,
        {
          kind: kind?.kind ?? (required ? 'text' : 'free'),
          required,
          ...(kind?.values === undefined ? {} : { values: kind.values }),
        },
      ];
    }),
  );
}

/** Text with what CSV must quote or keep: commas, quotes, line breaks, spaces, non-ASCII. */
const text = fc
  .tuple(
    fc.constantFrom('Ada', 'Zoë', '李', '😀', 'x'),
    fc.string({
      unit: fc.constantFrom('a', 'é', '😀', ',', '"', '\n', '\r\n', '\r', ' ', "'", ';', '\\'),
      maxLength: 8,
    }),
  )
  .map(([a, b]) => a + b);

function validValue(column: Column): fc.Arbitrary<string> {
  switch (column.kind) {
    case 'id':
      return fc.constantFrom('r-1', 'r-2', 'r-3', '0042', 'é-1', 'id 7');
    case 'status':
      return fc.constantFrom('', 'active', 'Active');
    case 'free':
      return fc.oneof(fc.constant(''), text);
    case 'text':
      return text;
    case 'enum':
      return fc.constantFrom(...column.values!).map((v) => (v.length % 2 === 0 ? v.toUpperCase() : v));
    case 'date':
      return fc.constantFrom('2025-08-15', '2026-02-28', '2024-02-29T10:00:00Z');
    case 'year':
      return fc.constantFrom('2026', '1999');
    case 'bool':
      return fc.constantFrom('true', 'FALSE', '1', '0');
    case 'list':
      return fc.constantFrom('a', 'a,b', ' 09 , 10 ', '"x"');
    case 'userIds':
      return fc.constantFrom('', '{LDAP:12}', '{LDAP:12},{Fed:0099}');
  }
}

/** A value that makes the cell an error, when there is one for the column's kind. */
function badValue(column: Column): fc.Arbitrary<string> | null {
  switch (column.kind) {
    case 'enum':
      return fc.constantFrom('bogus', 'ext:custom', 'teacher student');
    case 'date':
      return fc.constantFrom('2025-02-30', 'tomorrow', '2025-8-15', '15/08/2025');
    case 'year':
      return fc.constantFrom('26', '2026-27', 'MMXXVI');
    case 'bool':
      return fc.constantFrom('yes', 'maybe', '2');
    case 'userIds':
      return fc.constantFrom('{LDAP:12', 'LDAP:12', '{LDAP:12}x');
    case 'status':
      return fc.constantFrom('deleted', 'gone');
    case 'id':
    case 'free':
    case 'text':
    case 'list':
      return null;
  }
}

type Defect =
  | { kind: 'blank'; column: string; value: string }
  | { kind: 'bad'; column: string; value: string }
  | { kind: 'nul'; column: string }
  | { kind: 'extraCells'; count: number }
  | { kind: 'missingCells'; count: number };

interface Row {
  values: Record<string, string>;
  defects: Defect[];
  eol: string;
  blankLinesAfter: string;
}

function rowOf(columns: Record<string, Column>, names: string[]): fc.Arbitrary<Row> {
  const defect: fc.Arbitrary<Defect> = fc.oneof(
    fc.record({
      kind: fc.constant('blank' as const),
      column: fc.constantFrom(...names.filter((n) => columns[n]?.required)),
      value: fc.constantFrom('', '  '),
    }),
    ...names.flatMap((n) => {
      const bad = columns[n] === undefined ? null : badValue(columns[n]);
      return bad === null
        ? []
        : [fc.record({ kind: fc.constant('bad' as const), column: fc.constant(n), value: bad })];
    }),
    fc.record({
      kind: fc.constant('nul' as const),
      column: fc.constantFrom(...names.filter((n) => columns[n] !== undefined && n !== 'password')),
    }),
    fc.record({ kind: fc.constant('extraCells' as const), count: fc.integer({ min: 1, max: 3 }) }),
    fc.record({
      kind: fc.constant('missingCells' as const),
      count: fc.integer({ min: 1, max: Math.min(3, names.length - 2) }),
    }),
  );
  return fc.record({
    values: fc.record(
      Object.fromEntries(
        names.map((n) => [
          n,
          columns[n] === undefined ? fc.oneof(fc.constant(''), text) : validValue(columns[n]),
        ]),
      ),
    ),
    defects: fc.oneof(
      { weight: 3, arbitrary: fc.constant<Defect[]>([]) },
      {
        weight: 2,
        // Missing and extra cells in one row would cancel out: one of them at most.
        arbitrary: fc
          .array(defect, { minLength: 1, maxLength: 2 })
          .filter((ds) => ds.filter((d) => d.kind === 'extraCells' || d.kind === 'missingCells').length <= 1),
      },
    ),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    blankLinesAfter: fc.constantFrom('', '', '\n', '\r\n\r\n'),
  });
}

/** The file's header: the spec's columns, maybe shuffled, re-cased, widened, or without one. */
const headerOf = (entity: EntityType) => {
  const spec = ONEROSTER_ENTITIES[entity];
  return fc
    .record({
      order: fc.shuffledSubarray([...spec.columns], { minLength: spec.columns.length }),
      dropped: fc.option(fc.constantFrom(...spec.columns), { freq: 4 }),
      extra: fc.option(fc.constantFrom('ext_note', 'metadata.x', 'favoriteColor'), { freq: 3 }),
      recased: fc.boolean(),
    })
    .map(({ order, dropped, extra, recased }) => {
      const names = order.filter((c) => c !== dropped);
      if (extra !== null) names.splice(names.length >> 1, 0, extra);
      return { names, dropped, written: names.map((n) => (recased && n === 'sourcedId' ? 'SourcedID' : n)) };
    });
};

const fileCase = fc.constantFrom(...ENTITY_TYPES).chain((entity) =>
  headerOf(entity).chain((header) =>
    fc.record({
      entity: fc.constant(entity),
      header: fc.constant(header),
      rows: fc.array(rowOf(columnsOf(entity), header.names), { maxLength: 12 }),
    }),
  ),
);

const breaks = (s: string) => s.match(/\r\n|\r|\n/g)?.length ?? 0;

/** The file's text, each row's line, and each row's values as written (defects applied). */
function render(header: string[], names: string[], rows: Row[]) {
  let text = `${header.map(cell).join(',')}\n`;
  const written = rows.map((row) => {
    const values = { ...row.values };
    for (const d of row.defects) {
      if (d.kind === 'blank' || d.kind === 'bad') values[d.column] = d.value;
      if (d.kind === 'nul') values[d.column] = `N\u0000${values[d.column] ?? ''}`;
    }
    let cells = names.map((n) => values[n] ?? '');
    for (const d of row.defects) {
      if (d.kind === 'extraCells') cells = [...cells, ...Array<string>(d.count).fill('more')];
      if (d.kind === 'missingCells') cells = cells.slice(0, names.length - d.count);
    }
    const line = breaks(text) + 1;
    text += cells.map(cell).join(',') + row.eol + row.blankLinesAfter;
    const read = Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
    // A defect in a cell that missing cells then took away is not there to report.
    const cut = new Set(names.slice(cells.length));
    const defects = row.defects.filter((d) => !('column' in d) || !cut.has(d.column));
    return { line, read, id: (read.sourcedId ?? '').trim(), defects };
  });
  return { text, written };
}

const RUNS = 200;

describe('fuzz: valid-shaped OneRoster rows with random defects', () => {
  it(
    'reads exactly the clean rows, cells intact, and reports each defect at its line and field',
    async () => {
      await fc.assert(
        fc.asyncProperty(fileCase, async ({ entity, header, rows }) => {
          const dir = writePackage({});
          const file = `${FILE[entity]}.csv`;
          writeFileSync(
            path.join(dir, 'manifest.csv'),
            `propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.${FILE[entity]},bulk\n`,
          );
          const spec = ONEROSTER_ENTITIES[entity];
          const { text, written } = render(header.written, header.names, rows);
          writeFileSync(path.join(dir, file), text);

          const out = await extractEntity(dir, entity);

          expectLocated(out, entity, [file]);
          if (header.dropped !== null && spec.requiredColumns.includes(header.dropped)) {
            expect(out.records).toEqual([]);
            expect(out.incomplete).toEqual([
              expect.objectContaining({ code: 'missing_column', source: { file, line: 1 } }),
            ]);
            return;
          }
          expect(out.incomplete).toEqual([]);
          const clean = written.filter((_, i) => rows[i]!.defects.length === 0);
          expect(out.records.map((r) => [r.source.line, r.externalId])).toEqual(
            clean.map((w) => [w.line, w.id]),
          );
          out.records.forEach((r, i) => {
            const { password: _, ...kept } = Object.fromEntries(
              Object.entries(clean[i]!.read).filter(([n]) => spec.columns.includes(n)),
            );
            expect(r.raw).toEqual(kept);
          });
          const errorsAt = (line: number) =>
            out.errors.filter((e) => e.source.line === line && e.severity !== 'warning');
          written.forEach((w, i) => {
            const found = errorsAt(w.line);
            if (rows[i]!.defects.length === 0) {
              expect(found).toEqual([]);
              return;
            }
            expect(found.length).toBeGreaterThan(0);
            for (const e of found) expect(e.externalId).toBe(w.id === '' ? null : w.id);
            const fields = found.map((e) => e.field);
            for (const d of w.defects) {
              if (d.kind === 'nul') continue;
              const field = d.kind === 'extraCells' || d.kind === 'missingCells' ? null : d.column;
              expect(fields, JSON.stringify(d)).toContain(field);
            }
            // What the database cannot store is reported once per row, at the first such cell found.
            const nul = w.defects.flatMap((d) => (d.kind === 'nul' ? [d.column] : []));
            if (nul.length > 0) expect(fields.some((f) => f !== null && nul.includes(f))).toBe(true);
          });
          for (const e of out.errors) {
            if (e.severity === 'warning') expect(e.source.line).toBe(1);
            else expect(written.map((w) => w.line)).toContain(e.source.line);
          }
        }),
        fuzzParameters(RUNS),
      );
    },
    fuzzTimeout(RUNS, 200),
  );
});
