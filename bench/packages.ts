/*
 * The generated OneRoster packages the benchmarks sync, cached in bench/.cache/ by size and day.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { districtOnDay } from '../src/generator/district-on-day.js';
import type { MutationRates } from '../src/generator/mutate-district.js';
import { writeOneRosterPackage } from '../src/generator/write-oneroster-package.js';
import { ROOT } from './processes.js';

export const CACHE = path.join(ROOT, 'bench', '.cache');
const SEED = 1;

/** Day 1: about 5% of users edited, 5% of enrollments moved, 1% of users gone, nothing else. */
const DAY1_RATES: MutationRates = {
  adds: 0,
  edits: 0.05,
  emailChanges: 0,
  drops: 0.01,
  reappearances: 0,
  enrollmentChanges: 0.05,
  duplicateEmails: 0,
};

export interface CachedPackage {
  dir: string;
  rows: number;
  counts: Record<string, number>;
}

/** A student count written as 10k, 100k, 1M, or a plain number. */
export function parseSize(raw: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(raw.trim());
  if (match === null) throw new Error(`${flag}: ${raw} is not a size like 10k, 100k or 1M`);
  const unit = match[2]?.toLowerCase();
  const value = Number(match[1]) * (unit === 'k' ? 1_000 : unit === 'm' ? 1_000_000 : 1);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag}: ${raw} is not a whole size`);
  return value;
}

export function label(students: number): string {
  if (students % 1_000_000 === 0) return `${students / 1_000_000}M`;
  if (students % 1_000 === 0) return `${students / 1_000}k`;
  return String(students);
}

/** The cache folder of one district size. */
export function sizeDir(students: number): string {
  return path.join(CACHE, `${label(students)}-seed${SEED}`);
}

/** A package from the cache, written by the generator first when it is not there. */
export async function cachedPackage(students: number, day: 0 | 1): Promise<CachedPackage> {
  const dir = path.join(sizeDir(students), `day${day}`);
  const countsFile = path.join(dir, 'bench-counts.json');
  let counts: Record<string, number>;
  if (existsSync(countsFile) && existsSync(path.join(dir, 'manifest.csv'))) {
    counts = JSON.parse(await readFile(countsFile, 'utf8')) as Record<string, number>;
  } else {
    const started = performance.now();
    process.stderr.write(`generating ${label(students)} day ${day} into ${path.relative(ROOT, dir)} ... `);
    await rm(dir, { recursive: true, force: true });
    const { district } = districtOnDay({
      students,
      seed: SEED,
      day,
      ...(day === 1 ? { rates: DAY1_RATES } : {}),
    });
    counts = await writeOneRosterPackage(district, dir);
    await writeFile(countsFile, JSON.stringify(counts));
    process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  const rows = Object.values(counts).reduce((sum, n) => sum + n, 0);
  return { dir, rows, counts };
}

/** Puts a package's CSV files into `live`, the one folder the syncs of a bench read. */
export async function stagePackage(from: string, live: string): Promise<void> {
  await rm(live, { recursive: true, force: true });
  await mkdir(live, { recursive: true });
  for (const name of await readdir(from)) {
    if (name.endsWith('.csv')) await cp(path.join(from, name), path.join(live, name));
  }
}
