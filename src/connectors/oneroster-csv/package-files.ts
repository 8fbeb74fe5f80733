import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

import yauzl from 'yauzl';

import { ConnectorError } from '../connector.js';
import { formatBytes, PACKAGE_LIMITS, type PackageLimits } from './package-limits.js';

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

export async function openPackage(
  localPath: string,
  limits: PackageLimits = PACKAGE_LIMITS,
): Promise<PackageFiles> {
  let info;
  try {
    info = await stat(localPath);
  } catch {
    throw new ConnectorError('not_found', `${localPath} does not exist`);
  }
  if (info.isDirectory()) return openFolder(localPath);
  if (localPath.toLowerCase().endsWith('.zip')) return openZip(localPath, limits);
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

/**
 * Reads a zip's directory, refusing before any entry is inflated what would be unsafe to read:
 * names that could escape a folder, duplicate names, too many entries, sizes over the limits and
 * compression ratios only a zip bomb has. Nothing is ever extracted to disk (entries stream
 * straight into the CSV reader), so a name is only ever a key; the name rules still stand, since
 * a package holding `../users.csv` was made by mistake or by someone hostile.
 */
function openZip(file: string, limits: PackageLimits): Promise<PackageFiles> {
  const refused = (message: string) => new ConnectorError('invalid_payload', `zip ${file}: ${message}`);
  return new Promise((resolve, reject) => {
    // strictFileNames keeps backslashes, so that a name using them as separators is refused
    // rather than read as a folder; validateEntrySizes makes yauzl fail an entry that inflates to
    // more or fewer bytes than it declares (the guard below checks that too).
    const options = { lazyEntries: true, autoClose: false, strictFileNames: true, validateEntrySizes: true };
    yauzl.open(file, options, (error, zip) => {
      if (error !== null) {
        reject(new ConnectorError('invalid_payload', `${file} is not a readable zip file: ${error.message}`));
        return;
      }
      let failed = false;
      const fail = (problem: ConnectorError) => {
        if (failed) return;
        failed = true;
        zip.close();
        reject(problem);
      };
      if (zip.entryCount > limits.maxEntries) {
        fail(
          refused(
            `it holds ${zip.entryCount.toLocaleString('en-US')} entries, more than the limit of ${limits.maxEntries.toLocaleString('en-US')}; refused`,
          ),
        );
        return;
      }
      const entries = new Map<string, yauzl.Entry>();
      const folders = new Set<string>();
      let total = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        const problem = entryProblem(
          entry,
          limits,
          total,
          entries.has(entry.fileName) || folders.has(entry.fileName),
        );
        if (problem !== null) {
          fail(refused(`entry ${JSON.stringify(entry.fileName)} ${problem}; refused`));
          return;
        }
        total += entry.uncompressedSize;
        if (entry.fileName.endsWith('/')) folders.add(entry.fileName);
        else entries.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.on('error', (err: Error) => {
        const name = YAUZL_NAME_ERROR.exec(err.message);
        fail(
          name === null
            ? new ConnectorError('invalid_payload', `${file} is not a readable zip file: ${err.message}`)
            : refused(`entry ${JSON.stringify(name[2])} ${NAME_REASON[name[1]!]}; refused`),
        );
      });
      zip.on('end', () => resolve(zipPackage(file, zip, entries)));
      zip.readEntry();
    });
  });
}

/** yauzl's own name checks (absolute, `..`, backslash) fail the zip with these messages. */
const YAUZL_NAME_ERROR = /^(absolute path|invalid relative path|invalid characters in fileName): ([^]*)$/;
const NAME_REASON: Record<string, string> = {
  'absolute path': 'is an absolute path (a leading / or a drive letter)',
  'invalid relative path': 'has a .. segment, which would point outside the package',
  'invalid characters in fileName': 'uses backslashes, which would be read as folder separators',
};

/** Why an entry of the directory is refused, or null; `total` is the size of the entries before it. */
function entryProblem(
  entry: yauzl.Entry,
  limits: PackageLimits,
  total: number,
  duplicate: boolean,
): string | null {
  const name = entry.fileName;
  // yauzl refuses absolute names, `..` and backslashes itself; this repeats it so that a change
  // of library or option cannot quietly let one through.
  if (name === '' || name.includes('\0')) return 'has an empty name or a NUL character';
  if (name.includes('\\')) return NAME_REASON['invalid characters in fileName']!;
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return NAME_REASON['absolute path']!;
  if (name.split('/').includes('..')) return NAME_REASON['invalid relative path']!;
  if (duplicate) return "appears twice, so which copy is the package's cannot be told";
  const size = entry.uncompressedSize;
  if (size > limits.maxFileBytes) {
    return `declares ${formatBytes(size)} uncompressed, more than the limit of ${formatBytes(limits.maxFileBytes)} per file`;
  }
  if (total + size > limits.maxTotalBytes) {
    return `brings the package to ${formatBytes(total + size)} uncompressed, more than the limit of ${formatBytes(limits.maxTotalBytes)}`;
  }
  if (size >= limits.ratioFromBytes && size > limits.maxRatio * entry.compressedSize) {
    const ratio =
      entry.compressedSize === 0 ? 'from nothing' : `${Math.round(size / entry.compressedSize)}:1`;
    return `inflates ${formatBytes(entry.compressedSize)} to ${formatBytes(size)} (${ratio}), past the limit of ${limits.maxRatio}:1 for files of ${formatBytes(limits.ratioFromBytes)} or more: a zip bomb`;
  }
  return null;
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
          } else resolve(guardEntry(stream, entry, `entry ${JSON.stringify(entry.fileName)} of zip ${file}`));
        });
      }),
    close: () => {
      zip.close();
      return Promise.resolve();
    },
  };
}

/**
 * The entry's bytes as they inflate, checked against what its directory record declares: the
 * limits were judged on those sizes, so an entry that inflates past its size (a bomb that lies)
 * is cut off at the first chunk over it, and one that ends short or fails its CRC-32 is corrupt.
 * Every failure is a ConnectorError naming the zip and the entry.
 */
function guardEntry(source: Readable, entry: yauzl.Entry, where: string): Readable {
  const declared = entry.uncompressedSize;
  const failure = (message: string) => new ConnectorError('invalid_payload', `${where} ${message}`);
  const tooLong = () =>
    failure(`inflates to more than the ${formatBytes(declared)} it declares; refused as a zip bomb`);
  let bytes = 0;
  let crc = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > declared) {
        done(tooLong());
        return;
      }
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done) {
      if (bytes < declared) {
        done(
          failure(
            `ends after ${formatBytes(bytes)} of the ${formatBytes(declared)} it declares: the zip is corrupt`,
          ),
        );
      } else if (crc !== entry.crc32) {
        done(failure('fails its CRC-32 check: the zip is corrupt'));
      } else done();
    },
    destroy(error, done) {
      // Read to the end or stopped early: the file read and the inflater stop with it.
      source.unpipe(guard);
      source.destroy();
      done(error);
    },
  });
  // yauzl's own check of the size fires first, upstream; it gets the same message.
  source.on('error', (error: Error) => {
    guard.destroy(
      /too many bytes/.test(error.message) ? tooLong() : failure(`cannot be read: ${error.message}`),
    );
  });
  source.pipe(guard);
  return guard;
}
