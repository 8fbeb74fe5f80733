import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { runCli } from '../support/cli.js';

/*
 * `sis-sync generate` as an operator runs it: a package on disk, the same bytes for the same
 * options, day k derived from the seed, and plain refusals that leave other people's files alone.
 * It must not touch a database: every run here points at one that cannot be reached.
 */

const tempDir = (prefix: string) => mkdtempSync(path.join(inject('workDir'), prefix));
// A database that does not answer, and a data folder that must stay unmade.
const noDatabase = () => ({
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
  SIS_SYNC_DATA_DIR: path.join(tempDir('gen-data-'), 'never-created'),
});

const filesOf = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(path.join(dir, name), 'utf8')]));

describe('sis-sync generate', () => {
  it('writes a OneRoster 1.1 package and says what it wrote, without opening a database', async () => {
    const out = path.join(tempDir('gen-'), 'district');
    const env = noDatabase();
    const result = await runCli(['generate', '--students', '300', '--out', out, '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ out, students: 300, seed: 1, day: 0 });
    expect(report.changes).toBeUndefined();
    expect(Object.keys(report.files).sort()).toEqual(
      ['academicSessions', 'classes', 'courses', 'enrollments', 'orgs', 'users'].sort(),
    );
    for (const [file, rows] of Object.entries(report.files as Record<string, number>)) {
      const lines = readFileSync(path.join(out, `${file}.csv`), 'utf8')
        .trimEnd()
        .split('\n');
      expect(lines.length - 1, file).toBe(rows);
    }
    expect(report.files.users).toBeGreaterThan(300);
    expect(readFileSync(path.join(out, 'manifest.csv'), 'utf8')).toContain('oneroster.version,1.1');
    expect(existsSync(env.SIS_SYNC_DATA_DIR)).toBe(false);

    const text = await runCli(['generate', '--students', '300', '--out', tempDir('gen-text-')], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('wrote a OneRoster 1.1 package');
    expect(text.stdout).toMatch(/users\.csv\s+[\d,]+ rows/);
  });

  it('gives the same bytes for the same options, and day k the same whether written fresh or over day 0', async () => {
    const first = tempDir('gen-same-a-');
    const second = tempDir('gen-same-b-');
    const args = ['--students', '250', '--seed', '77'];
    expect((await runCli(['generate', ...args, '--out', first], noDatabase())).code).toBe(0);
    expect((await runCli(['generate', ...args, '--out', second], noDatabase())).code).toBe(0);
    expect(filesOf(second)).toEqual(filesOf(first));

    const fresh = tempDir('gen-day2-');
    const day2 = await runCli(['generate', ...args, '--day', '2', '--out', fresh, '--json'], noDatabase());
    expect(day2.code).toBe(0);
    // Over an earlier package of ours: allowed, and the result is day 2 exactly.
    const over = await runCli(['generate', ...args, '--day', '2', '--out', first, '--json'], noDatabase());
    expect(over.code).toBe(0);
    expect(filesOf(first)).toEqual(filesOf(fresh));
    expect(filesOf(first)['users.csv']).not.toEqual(filesOf(second)['users.csv']);

    const report = JSON.parse(day2.stdout);
    expect(report.day).toBe(2);
    expect(report.rates).toMatchObject({ adds: 0.01, drops: 0.01, duplicateEmails: 0 });
    expect(report.changes.studentsAdded).toBeGreaterThan(0);
    expect(report.changes.usersDropped).toBeGreaterThan(0);
  }, 120_000);

  it('takes mutation rates as fractions', async () => {
    const args = ['generate', '--students', '300', '--day', '1', '--json'];
    const none = await runCli(
      [
        ...args,
        '--out',
        tempDir('gen-rates-0-'),
        ...['--adds', '0', '--edits', '0', '--email-changes', '0', '--drops', '0'],
        ...['--reappearances', '0', '--enrollment-changes', '0', '--duplicate-emails', '0'],
      ],
      noDatabase(),
    );
    expect(none.code).toBe(0);
    expect(Object.values(JSON.parse(none.stdout).changes)).toEqual(Array(9).fill(0));

    const many = await runCli(
      [...args, '--out', tempDir('gen-rates-1-'), '--drops', '0.1', '--duplicate-emails', '0.01'],
      noDatabase(),
    );
    const report = JSON.parse(many.stdout);
    expect(report.rates.drops).toBe(0.1);
    // A tenth of the users, and a hundredth of them as clashing new students.
    expect(report.changes.usersDropped).toBeGreaterThan(report.files.users * 0.08);
    expect(report.changes.duplicateEmails).toBeGreaterThan(0);
  });

  it.each([
    [['--students', '0'], /--students/],
    [['--students', '-5'], /--students/],
    [['--students', 'many'], /--students/],
    [['--students', '10', '--seed', '1.5'], /--seed/],
    [['--students', '10', '--day', 'tomorrow'], /--day/],
    [['--students', '10', '--drops', '1.5'], /--drops/],
    [['--students', '10', '--email-changes', 'lots'], /--email-changes/],
    [[], /required option '--students/],
  ])('refuses %j', async (args, message) => {
    const out = path.join(tempDir('gen-bad-'), 'out');
    const result = await runCli(['generate', '--out', out, ...args], noDatabase());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a folder that holds anything but an earlier package of its own, and leaves it alone', async () => {
    const foreign = tempDir('gen-foreign-');
    writeFileSync(path.join(foreign, 'notes.txt'), 'keep me');
    const refused = await runCli(['generate', '--students', '10', '--out', foreign], noDatabase());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not empty and is not a package written by sis-sync generate');
    expect(refused.stderr).toContain('notes.txt');
    expect(readdirSync(foreign)).toEqual(['notes.txt']);

    // A real SIS export has the same file names but another source: still not ours to overwrite.
    const export_ = tempDir('gen-sis-export-');
    writeFileSync(path.join(export_, 'manifest.csv'), 'propertyName,value\nsource.systemName,PowerSchool\n');
    writeFileSync(path.join(export_, 'users.csv'), 'sourcedId\n');
    const sis = await runCli(['generate', '--students', '10', '--out', export_], noDatabase());
    expect(sis.code).toBe(1);
    expect(readFileSync(path.join(export_, 'users.csv'), 'utf8')).toBe('sourcedId\n');

    const file = path.join(tempDir('gen-file-'), 'a-file');
    writeFileSync(file, '');
    const onFile = await runCli(['generate', '--students', '10', '--out', file], noDatabase());
    expect(onFile.code).toBe(1);
    expect(onFile.stderr).toContain('is a file, not a folder');

    const empty = tempDir('gen-empty-');
    mkdirSync(empty, { recursive: true });
    expect((await runCli(['generate', '--students', '10', '--out', empty], noDatabase())).code).toBe(0);
  });
});
