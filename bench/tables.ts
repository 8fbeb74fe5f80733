/*
 * The tables the benchmarks print and write to docs/performance.md.
 */
import os from 'node:os';

export const seconds = (ms: number | null) => (ms === null ? 'n/a' : (ms / 1000).toFixed(2));

/** A Markdown table padded the way prettier pads one, so the written file passes format:check. */
export function markdownTable(rows: string[][]): string {
  const width = (text: string) => [...text].length;
  const columns = rows[0]!.length;
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(3, ...rows.map((row) => width(escapeCell(row[c] ?? '')))),
  );
  const line = (row: string[]) =>
    `| ${row.map((cell, c) => escapeCell(cell).padEnd(widths[c]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function plainTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The machine a bench ran on, as rows of a two-column table (a blank header first). */
export function machineRows(database: { name: string; version: string }): string[][] {
  const cpus = os.cpus();
  return [
    ['', ''],
    ['CPU', cpus[0]?.model.trim() ?? 'unknown'],
    ['cores', String(cpus.length)],
    ['RAM', `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`],
    ['OS', `${os.type()} ${os.release()} (${os.arch()})`],
    ['Node', process.version],
    [database.name, database.version],
    ['date', new Date().toISOString().slice(0, 10)],
    [
      'load average at start',
      os
        .loadavg()
        .map((load) => load.toFixed(2))
        .join(', '),
    ],
  ];
}
