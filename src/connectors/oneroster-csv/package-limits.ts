/**
 * How big a OneRoster package may be, so that a hostile or broken zip (or SFTP file) ends a run
 * with a clear error instead of filling the disk, the memory or the run's time.
 *
 * How they were chosen (measured on `sis-sync generate --students 100000`, the 1.1 package):
 * enrollments.csv is 32 MB and users.csv 34 MB, 68 MB in all, so a million-student district is
 * about 0.7 GB, its largest file about 0.35 GB. Real exports carry more columns and the largest
 * districts have a few million users: 10 GiB per file and 20 GiB per package leave a margin of
 * about thirty times over that and still stop a bomb long before a disk fills. Deflate compresses
 * those files 2:1 to 14:1 (enrollments.csv, the most repetitive, 13.5:1); 200:1 leaves a margin
 * of fifteen times, while a zip bomb's entries run at 1000:1 (deflate's ceiling is about 1032:1).
 * Small files may compress better (a 1 KB manifest of repeated names), so the ratio is only
 * judged from 8 MiB up. 10,000 entries is a hundred times a full 1.2 package's two dozen files.
 *
 * Constants rather than configuration: no real package comes near them, and an operator who hits
 * one has a package to look at, not a limit to raise.
 */
export interface PackageLimits {
  /** Entries in a zip, folders included. */
  readonly maxEntries: number;
  /** Uncompressed bytes of one zip entry, or of one file downloaded over SFTP. */
  readonly maxFileBytes: number;
  /** Uncompressed bytes of every zip entry together, or of every file downloaded over SFTP. */
  readonly maxTotalBytes: number;
  /** Uncompressed bytes per compressed byte of one zip entry... */
  readonly maxRatio: number;
  /** ...judged only for entries of at least this many uncompressed bytes. */
  readonly ratioFromBytes: number;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const PACKAGE_LIMITS: PackageLimits = {
  maxEntries: 10_000,
  maxFileBytes: 10 * GiB,
  maxTotalBytes: 20 * GiB,
  maxRatio: 200,
  ratioFromBytes: 8 * MiB,
};

/**
 * Characters (UTF-16 code units: bytes, for ASCII) one CSV record may span, line breaks inside
 * quoted cells included. The reader holds one unfinished record in memory, so without a cap a
 * line that never ends (a multi-GB file without a line break, or a quote opened early and never
 * closed) would be held whole. Real records are small: a users.csv row with a few dozen orgs is
 * about 2 KB, and the widest seen (a teacher at 500 schools, 36-character ids) about 20 KB, so
 * 1 MiB is fifty times that. A record past it ends the file with an error naming the line it
 * starts on; the records before it are read.
 */
export const MAX_RECORD_CHARS = 1024 * 1024;

/** "10 GiB", "8 MiB", "1,024 bytes": a size as a message shows it. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit}`;
    }
  }
  return `${bytes.toLocaleString('en-US')} bytes`;
}
