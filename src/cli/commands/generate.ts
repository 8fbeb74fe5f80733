import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';

import { InvalidArgumentError, type Command } from 'commander';

import type { Config } from '../../config/config.js';
import { districtOnDay } from '../../generator/district-on-day.js';
import type { MutationRates, MutationSummary } from '../../generator/mutate-district.js';
import {
  GENERATOR_SYSTEM_NAME,
  ONEROSTER_1P2_FILES,
  ONEROSTER_HEADERS,
  writeOneRosterPackage,
  type PackageCounts,
} from '../../generator/write-oneroster-package.js';

interface GenerateOptions extends Partial<MutationRates> {
  students: number;
  out: string;
  seed: number;
  day: number;
  json: boolean;
  onerosterVersion: '1.1' | '1.2';
}

/** Beyond this a typo (an extra zero or three) would exhaust memory long before it wrote a file. */
const MAX_STUDENTS = 5_000_000;
const MAX_DAY = 3650;

/** Flag, rate name and what the rate means, for the day-by-day changes. */
const RATE_FLAGS: readonly [string, keyof MutationRates, string][] = [
  ['--adds', 'adds', 'new students (with guardians)'],
  ['--edits', 'edits', 'users with a changed name, phone or grade'],
  ['--email-changes', 'emailChanges', 'users with a new email'],
  ['--drops', 'drops', 'users removed from the export'],
  ['--reappearances', 'reappearances', 'users dropped on earlier days who return'],
  ['--enrollment-changes', 'enrollmentChanges', 'student enrollments moved to another section'],
  ['--duplicate-emails', 'duplicateEmails', "new students given another user's email"],
];

/**
 * `sis-sync generate`: a synthetic district as a OneRoster bulk package (1.1, or 1.2 with
 * `--oneroster-version 1.2`), for trials, tests and benchmarks. The same students, seed and day always give the same files, so an operator derives
 * the next day's export by asking for the next day rather than by keeping state around.
 */
export function generateCommand(program: Command, _config: Config): void {
  const command = program
    .command('generate')
    .description('write a synthetic district as a OneRoster 1.1 or 1.2 CSV package (opens no database)')
    .requiredOption('--students <n>', 'how many students the district has on day 0', parseStudents)
    .requiredOption('--out <dir>', 'folder to write; new, empty, or written by sis-sync generate before')
    .option(
      '--seed <n>',
      'any whole number from 0 to 4294967295; the same seed gives the same district',
      parseSeed,
      1,
    )
    .option(
      '--day <k>',
      'the export after k days of changes (each a fraction of the users, see the rate options)',
      parseDay,
      0,
    )
    .option(
      '--oneroster-version <version>',
      '1.1, or 1.2 (users.csv without roles, roles.csv, userProfiles.csv)',
      parseVersion,
      '1.1',
    )
    .option('--json', 'print what was written as JSON', false);
  for (const [flag, , meaning] of RATE_FLAGS) {
    command.option(`${flag} <fraction>`, `per day: ${meaning}, as a fraction of the users`, parseRate);
  }
  command.action(async (options: GenerateOptions) => {
    const out = path.resolve(options.out);
    await prepareOutFolder(out);
    const rates: Partial<MutationRates> = {};
    for (const [, name] of RATE_FLAGS) {
      const rate = options[name];
      if (rate !== undefined) rates[name] = rate;
    }
    const {
      district,
      rates: applied,
      days,
    } = districtOnDay({
      students: options.students,
      seed: options.seed,
      day: options.day,
      rates,
    });
    const files = await writeOneRosterPackage(district, out, { version: options.onerosterVersion });
    const changes = days.at(-1) ?? null;
    if (options.json) {
      console.log(
        JSON.stringify(
          {
            out,
            onerosterVersion: options.onerosterVersion,
            students: options.students,
            seed: options.seed,
            day: options.day,
            files,
            ...(changes === null ? {} : { rates: applied, changes }),
          },
          null,
          2,
        ),
      );
    } else {
      printReport(out, options, files, changes);
    }
  });
}

/**
 * Refuses a folder that holds anything but an earlier package of ours: overwriting someone's
 * files (or a real SIS export) with synthetic data would be a nasty surprise. An earlier package
 * loses its manifest first, so a reader never takes the half-rewritten files for a whole package.
 */
async function prepareOutFolder(out: string): Promise<void> {
  let entries: string[];
  try {
    const info = await stat(out);
    if (!info.isDirectory()) throw new Error(`--out ${out} is a file, not a folder`);
    entries = await readdir(out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length === 0) return;
  const ours = new Set([
    'manifest.csv',
    ...[...Object.keys(ONEROSTER_HEADERS), ...ONEROSTER_1P2_FILES].map((file) => `${file}.csv`),
  ]);
  const strangers = entries.filter((name) => !ours.has(name));
  if (strangers.length > 0 || !(await writtenByGenerator(path.join(out, 'manifest.csv')))) {
    const listed =
      strangers.length > 0
        ? ` (it holds ${strangers.slice(0, 3).join(', ')}${strangers.length > 3 ? ', ...' : ''})`
        : '';
    throw new Error(
      `--out ${out} is not empty and is not a package written by sis-sync generate${listed}; ` +
        'name a new or empty folder',
    );
  }
  await rm(path.join(out, 'manifest.csv'));
}

async function writtenByGenerator(manifest: string): Promise<boolean> {
  try {
    const lines = (await readFile(manifest, 'utf8')).split('\n');
    return lines.includes(`source.systemName,${GENERATOR_SYSTEM_NAME}`);
  } catch {
    return false;
  }
}

function printReport(
  out: string,
  options: GenerateOptions,
  files: PackageCounts,
  changes: MutationSummary | null,
): void {
  console.log(
    `wrote a OneRoster ${options.onerosterVersion} package to ${out} (${options.students.toLocaleString('en-US')} students, ` +
      `seed ${options.seed}, day ${options.day})`,
  );
  for (const [file, rows] of Object.entries(files)) {
    console.log(`  ${`${file}.csv`.padEnd(22)}${rows.toLocaleString('en-US').padStart(12)} rows`);
  }
  if (changes === null) return;
  console.log(`changes from day ${options.day - 1}:`);
  const lines: [string, number][] = [
    ['students added', changes.studentsAdded],
    ['guardians added', changes.guardiansAdded],
    ['users edited', changes.usersEdited],
    ['emails changed', changes.emailsChanged],
    ['users dropped', changes.usersDropped],
    ['users reappeared', changes.usersReappeared],
    ['duplicate emails', changes.duplicateEmails],
    ['enrollments added', changes.enrollmentsAdded],
    ['enrollments dropped', changes.enrollmentsDropped],
  ];
  for (const [label, count] of lines) {
    console.log(`  ${label.padEnd(22)}${count.toLocaleString('en-US').padStart(12)}`);
  }
}

function parseVersion(raw: string): '1.1' | '1.2' {
  if (raw !== '1.1' && raw !== '1.2') throw new InvalidArgumentError('1.1 or 1.2');
  return raw;
}

function parseWhole(raw: string, min: number, max: number, what: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new InvalidArgumentError(`${what} from ${min} to ${max.toLocaleString('en-US')}`);
  }
  return value;
}

function parseStudents(raw: string): number {
  return parseWhole(raw, 1, MAX_STUDENTS, 'a whole number of students');
}

function parseSeed(raw: string): number {
  return parseWhole(raw, 0, 0xffff_ffff, 'a whole number');
}

function parseDay(raw: string): number {
  return parseWhole(raw, 0, MAX_DAY, 'a whole number of days');
}

function parseRate(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidArgumentError('a fraction from 0 to 1, e.g. 0.01 for one user in a hundred');
  }
  return value;
}
