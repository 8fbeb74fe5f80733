import type { Readable } from 'node:stream';

import { readCsv } from './csv-rows.js';

export type FileMode = 'bulk' | 'delta' | 'absent';

export interface Manifest {
  onerosterVersion: string | null;
  /** `file.<name>` rows, by name (`users`, `orgs`, ...). */
  files: ReadonlyMap<string, FileMode>;
  systemName: string | null;
  systemCode: string | null;
  /** Rows that could not be read as expected; none of them stops the sync. */
  warnings: string[];
}

const MODES: readonly FileMode[] = ['bulk', 'delta', 'absent'];

/** Reads `manifest.csv`: `propertyName,value` rows in any order. */
export async function readManifest(stream: Readable): Promise<Manifest> {
  const reader = await readCsv(stream, 'manifest.csv', ['propertyName', 'value'], ['propertyName', 'value']);
  const fatal = reader.header.find((p) => p.fatal);
  if (fatal !== undefined) throw new Error(fatal.message);
  const files = new Map<string, FileMode>();
  const properties = new Map<string, string>();
  const warnings: string[] = [];
  for await (const row of reader.rows) {
    const name = (row.values.propertyName ?? '').trim();
    const value = (row.values.value ?? '').trim();
    if (name === '') continue;
    if (name.startsWith('file.')) {
      const mode = value.toLowerCase() as FileMode;
      // Some 1.2 exports star the files 1.2 added (`file.roles*`), after the binding's tables.
      if (MODES.includes(mode)) files.set(name.slice('file.'.length).replace(/\*$/, ''), mode);
      else {
        warnings.push(
          `manifest.csv line ${row.line}: ${name} is "${value}", not bulk, delta or absent; the file is treated as absent`,
        );
      }
    } else {
      properties.set(name, value);
    }
  }
  return {
    onerosterVersion: properties.get('oneroster.version') ?? null,
    files,
    systemName: properties.get('source.systemName') || null,
    systemCode: properties.get('source.systemCode') || null,
    warnings,
  };
}
