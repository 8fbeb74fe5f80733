import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

import yauzl from 'yauzl';

import { ConnectorError } from '../connector.js';

/** The files of a OneRoster package, wherever they are: a folder or a zip, read as streams. */
export interface PackageFiles {
  /** "folder /exports/today" or "zip /exports/today.zip", for messages. */
  readonly description: string;
  /** Names of the files at the package root. */
  readonly names: readonly string[];
  /** Files found below the root, which OneRoster does not allow and sis-sync ignores. */
  readonly nested: readonly string[];
  open(name: string): Promise<Readable>;
  close(): Promise<void>;
}

export async function openPackage(localPath: string): Promise<PackageFiles> {
  let info;
  try {
    info = await stat(localPath);
  } catch {
    throw new ConnectorError('not_found', `${localPath} does not exist`);
  }
  if (info.isDirectory()) return openFolder(localPath);
  if (localPath.toLowerCase().endsWith('.zip')) return openZip(localPath);
  throw new ConnectorError('config_invalid', `${localPath} is neither a folder nor a .zip file`);
}

async function openFolder(folder: string): Promise<PackageFiles> {
  const entries = await readdir(folder, { withFileTypes: true });
  return {
    description: `folder ${folder}`,
    names: entries.filter((e) => e.isFile()).map((e) => e.name),
    nested: entries.filter((e) => e.isDirectory()).map((e) => `${e.name}/`),
    open: (name) => Promise.resolve(createReadStream(path.join(folder, name))),
    close: () => Promise.resolve(),
  };
}

function openZip(file: string): Promise<PackageFiles> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error !== null) {
        reject(new ConnectorError('invalid_payload', `${file} is not a readable zip file: ${error.message}`));
        return;
      }
      const entries = new Map<string, yauzl.Entry>();
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('error', (err: Error) =>
        reject(new ConnectorError('invalid_payload', `${file} is not a readable zip file: ${err.message}`)),
      );
      zip.on('end', () => resolve(zipPackage(file, zip, entries)));
      zip.readEntry();
    });
  });
}

function zipPackage(file: string, zip: yauzl.ZipFile, entries: Map<string, yauzl.Entry>): PackageFiles {
  // Files belong at the root. Some exporters wrap them in one folder: accept that, when the
  // manifest sits in it and nothing sits at the root.
  let prefix = '';
  const rootNames = [...entries.keys()].filter((n) => !n.includes('/'));
  if (!rootNames.includes('manifest.csv')) {
    const wrapped = [...entries.keys()].filter((n) => /^[^/]+\/manifest\.csv$/.test(n));
    if (rootNames.length === 0 && wrapped.length === 1) prefix = wrapped[0]!.slice(0, -'manifest.csv'.length);
  }
  const names: string[] = [];
  const nested: string[] = [];
  for (const name of entries.keys()) {
    const relative = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    if (name.startsWith(prefix) && !relative.includes('/')) names.push(relative);
    else nested.push(name);
  }
  return {
    description: `zip ${file}${prefix === '' ? '' : ` (files in ${prefix})`}`,
    names,
    nested,
    open: (name) =>
      new Promise((resolve, reject) => {
        const entry = entries.get(prefix + name);
        if (entry === undefined) {
          reject(new ConnectorError('not_found', `${name} is not in ${file}`));
          return;
        }
        zip.openReadStream(entry, (error, stream) => {
          if (error !== null) {
            reject(new ConnectorError('invalid_payload', `${name} in ${file}: ${error.message}`));
          } else resolve(stream);
        });
      }),
    close: () => {
      zip.close();
      return Promise.resolve();
    },
  };
}
