import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { ConnectorError } from '../../src/connectors/connector.js';
import { openPackage } from '../../src/connectors/oneroster-csv/package-files.js';
import { PACKAGE_LIMITS } from '../../src/connectors/oneroster-csv/package-limits.js';
import { downloadFile } from '../../src/connectors/oneroster-csv/sftp-download.js';
import { fetchFromSftp, type SftpSettings } from '../../src/connectors/oneroster-csv/sftp-fetch.js';
import { withSftpSession } from '../../src/connectors/oneroster-csv/sftp-session.js';
import { startSftpServer, type RunningSftpServer } from '../../src/simulators/sftp-server.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { driver } from '../support/database.js';
import { smallDistrict, writePackage } from '../support/oneroster-package.js';
import { TEST_SECRETS } from '../support/secrets.js';
import { csvProvider, rows, syncNow } from '../support/sync.js';
import { zipBytes, type ZipEntrySpec } from '../support/zip-writer.js';

/** The small district's package files, as zip entries under `prefix`. */
function packageEntries(prefix = '', change: (text: string) => string = (s) => s): ZipEntrySpec[] {
  const dir = writePackage(smallDistrict());
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name: `${prefix}${name}`, data: change(readFileSync(path.join(dir, name), 'utf8')) }));
}

/** The package with `users.csv` replaced by (or followed by) hostile entries. */
function withEntries(extra: ZipEntrySpec[], options: { dropUsers?: boolean } = {}): ZipEntrySpec[] {
  return [
    ...packageEntries().filter((e) => !(options.dropUsers === true && e.name === 'users.csv')),
    ...extra,
  ];
}

const MB = 1024 * 1024;

/** Reads a stream to its end; returns how many bytes it gave. */
async function drain(opening: Promise<Readable>): Promise<number> {
  let bytes = 0;
  for await (const chunk of await opening) bytes += (chunk as Buffer).length;
  return bytes;
}
const zeros = (bytes: number) => Buffer.alloc(bytes, 0x30); // '0' characters: a CSV-looking bomb

let t: TestApp;
let work: string;
beforeAll(async () => {
  t = await createTestApp();
  work = mkdtempSync(path.join(inject('workDir'), 'zip-limits-'));
});
afterAll(async () => t.close());

const snapshot = async (tenant: string) => ({
  users: await rows(t, `SELECT id, active, given_name FROM users WHERE tenant_id = '${tenant}' ORDER BY id`),
  enrollments: await rows(t, `SELECT id, active FROM enrollments WHERE tenant_id = '${tenant}' ORDER BY id`),
  schools: await rows(t, `SELECT id, active, name FROM schools WHERE tenant_id = '${tenant}' ORDER BY id`),
});

describe(`hostile zip packages end the run with a precise error, roster untouched, on ${driver}`, () => {
  const tenant = 'zip-limits';
  let providerId: string;
  let dir: string;
  let zip: string;
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    // The zip sits two folders deep so that a `../` entry written anywhere would land in `work`.
    dir = path.join(mkdtempSync(path.join(work, 'provider-')), 'inbox');
    mkdirSync(dir);
    zip = path.join(dir, 'package.zip');
    writeFileSync(zip, zipBytes(packageEntries()));
    providerId = await csvProvider(t, tenant, zip);
    expect((await syncNow(t, providerId)).status).toBe('SUCCESS');
    before = await snapshot(tenant);
    expect(before.users).toHaveLength(5);
  });

  const cases: [string, () => ZipEntrySpec[], RegExp][] = [
    [
      'an entry named ../evil.csv',
      () => withEntries([{ name: '../evil.csv', data: 'sourcedId\nx\n' }]),
      /zip .*package\.zip: entry "\.\.\/evil\.csv" has a \.\. segment, which would point outside the package; refused/,
    ],
    [
      'an absolute entry name',
      () => withEntries([{ name: '/tmp/sis-sync-evil.csv', data: 'x\n' }]),
      /entry "\/tmp\/sis-sync-evil\.csv" is an absolute path \(a leading \/ or a drive letter\); refused/,
    ],
    [
      'a drive-letter entry name',
      () => withEntries([{ name: 'C:/evil.csv', data: 'x\n' }]),
      /entry "C:\/evil\.csv" is an absolute path/,
    ],
    [
      'backslashes as separators',
      () => withEntries([{ name: 'sub\\..\\evil.csv', data: 'x\n' }]),
      /entry "sub\\\\\.\.\\\\evil\.csv" uses backslashes, which would be read as folder separators; refused/,
    ],
    [
      'a NUL in a name',
      () => withEntries([{ name: 'users.csv\u0000.txt', data: 'x\n' }]),
      /entry "users\.csv\\u0000\.txt" has an empty name or a NUL character; refused/,
    ],
    [
      'two users.csv',
      () => withEntries([{ name: 'users.csv', data: 'sourcedId\nu-evil\n' }]),
      /entry "users\.csv" appears twice, so which copy is the package's cannot be told; refused/,
    ],
    [
      'a 1 KB entry declaring 100 GB',
      () => withEntries([{ name: 'users.csv', data: zeros(1024), declaredSize: 100e9 }], { dropUsers: true }),
      /entry "users\.csv" declares 93\.1 GiB uncompressed, more than the limit of 10 GiB per file; refused/,
    ],
    [
      'a real bomb: 50 MB that deflate to about 50 KB',
      () => withEntries([{ name: 'users.csv', data: zeros(50 * MB) }], { dropUsers: true }),
      /entry "users\.csv" inflates \d+(\.\d)? KiB to 50 MiB \(\d+:1\), past the limit of 200:1 for files of 8 MiB or more: a zip bomb; refused/,
    ],
    [
      'a bomb that lies: 50 MB declaring 1 KB',
      () =>
        withEntries([{ name: 'users.csv', data: zeros(50 * MB), declaredSize: 1024 }], { dropUsers: true }),
      /entry "users\.csv" of zip .*package\.zip inflates to more than the 1 KiB it declares; refused as a zip bomb/,
    ],
    [
      'more than 10,000 entries',
      () =>
        withEntries(
          Array.from({ length: PACKAGE_LIMITS.maxEntries }, (_, i) => ({
            name: `extra/f${i}.csv`,
            data: `${i}`,
          })),
        ),
      /zip .*package\.zip: it holds 10,00\d entries, more than the limit of 10,000; refused/,
    ],
  ];

  it.each(cases)('%s', async (_, entries, message) => {
    writeFileSync(zip, zipBytes(entries()));
    const run = await syncNow(t, providerId);
    expect({ status: run.status, errorCode: run.errorCode }).toEqual({
      status: 'FAILURE',
      errorCode: 'invalid_payload',
    });
    expect(run.errorMessage).toMatch(message);
    expect(await snapshot(tenant)).toEqual(before);
    // Nothing is extracted: the zip's folder and the folders above it hold what they held.
    expect(readdirSync(dir)).toEqual(['package.zip']);
    expect(readdirSync(path.dirname(dir))).toEqual(['inbox']);
    expect(existsSync('/tmp/sis-sync-evil.csv')).toBe(false);
  });

  it('still syncs a normal package, also when it is wrapped in one folder', async () => {
    writeFileSync(
      zip,
      zipBytes(packageEntries('export/', (text) => text.replace('Lincoln High', 'Lincoln High School'))),
    );
    const run = await syncNow(t, providerId);
    expect(run.status).toBe('SUCCESS');
    const after = await snapshot(tenant);
    expect(after.users).toEqual(before.users);
    expect(after.schools.map((s) => s.name)).toContain('Lincoln High School');
  });
});

describe('zip limits when a package is opened', () => {
  const write = (entries: ZipEntrySpec[]) => {
    const file = path.join(mkdtempSync(path.join(work, 'open-')), 'package.zip');
    writeFileSync(file, zipBytes(entries));
    return file;
  };

  it('refuses a package whose entries together pass the total limit', async () => {
    const file = write(packageEntries());
    await expect(openPackage(file, { ...PACKAGE_LIMITS, maxTotalBytes: 1500 })).rejects.toThrow(
      /entry "[a-zA-Z]+\.csv" brings the package to [\d.]+ KiB uncompressed, more than the limit of 1\.5 KiB; refused/,
    );
    const files = await openPackage(file);
    expect(files.names).toContain('users.csv');
    await files.close();
  });

  it('fails an entry that ends short of its declared size or fails its CRC, naming it', async () => {
    const good = zipBytes([{ name: 'users.csv', data: 'sourcedId\nu-1\n', method: 'store' }]);
    // Flip one byte of the stored data: same size, wrong CRC-32.
    const corrupt = Buffer.from(good);
    const at = 30 + 'users.csv'.length + 2; // past the local header and name
    corrupt[at] = corrupt[at]! ^ 0xff;
    const file = path.join(mkdtempSync(path.join(work, 'crc-')), 'package.zip');
    writeFileSync(file, corrupt);
    const files = await openPackage(file);
    await expect(drain(files.open('users.csv'))).rejects.toThrow(
      new ConnectorError(
        'invalid_payload',
        `entry "users.csv" of zip ${file} fails its CRC-32 check: the zip is corrupt`,
      ),
    );
    await files.close();

    const short = write([{ name: 'users.csv', data: 'sourcedId\nu-1\n', declaredSize: 1000 }]);
    const shortFiles = await openPackage(short);
    await expect(drain(shortFiles.open('users.csv'))).rejects.toThrow(
      /entry "users\.csv" of zip .* (ends after 14 bytes of the 1,000 bytes it declares|cannot be read: not enough bytes)/,
    );
    await shortFiles.close();
  });
});

describe('SFTP downloads over the limits', () => {
  let server: RunningSftpServer;
  let root: string;
  beforeAll(async () => {
    root = mkdtempSync(path.join(work, 'sftp-root-'));
    mkdirSync(path.join(root, 'export'));
    writeFileSync(path.join(root, 'export', 'manifest.csv'), 'propertyName,value\n');
    writeFileSync(path.join(root, 'export', 'users.csv'), Buffer.alloc(300 * 1024, 0x61));
    writeFileSync(path.join(root, 'big.zip'), Buffer.alloc(300 * 1024, 0x62));
    server = await startSftpServer({
      root,
      users: [{ username: 'district', password: TEST_SECRETS.sftpPassword }],
    });
  });
  afterAll(async () => server.close());

  const settings = (): SftpSettings => ({
    host: server.host,
    port: server.port,
    username: 'district',
    password: TEST_SECRETS.sftpPassword,
    hostKeyFingerprint: server.hostKeyFingerprint,
  });
  const signal = () => new AbortController().signal;

  it('refuses a file over the per-file limit before downloading anything', async () => {
    const dest = path.join(mkdtempSync(path.join(work, 'dest-')), 'download');
    await expect(
      fetchFromSftp(settings(), '/big.zip', dest, {
        signal: signal(),
        limits: { ...PACKAGE_LIMITS, maxFileBytes: 100 * 1024 },
      }),
    ).rejects.toThrow(/\/big\.zip is 300 KiB, more than the limit of 100 KiB per file; not downloaded/);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses a folder whose files together pass the total limit', async () => {
    const dest = path.join(mkdtempSync(path.join(work, 'dest-')), 'download');
    await expect(
      fetchFromSftp(settings(), '/export', dest, {
        signal: signal(),
        limits: { ...PACKAGE_LIMITS, maxTotalBytes: 200 * 1024 },
      }),
    ).rejects.toThrow(
      /the package's files are 300\.\d KiB together, more than the limit of 200 KiB; not downloaded/,
    );
    expect(existsSync(dest)).toBe(false);
  });

  it('cuts off a file that turns out longer than the limit, leaving no partial file', async () => {
    const dest = mkdtempSync(path.join(work, 'dest-'));
    const local = path.join(dest, 'big.zip');
    await expect(
      withSftpSession(settings(), { signal: signal() }, (channel, s) =>
        downloadFile(channel, s, '/big.zip', local, 100 * 1024),
      ),
    ).rejects.toThrow(
      new ConnectorError(
        'invalid_payload',
        '/big.zip is longer than 100 KiB, the most this download may take; refused',
      ),
    );
    expect(readdirSync(dest)).toEqual([]);
    // Within the limit, the same file downloads whole.
    const size = await withSftpSession(settings(), { signal: signal() }, (channel, s) =>
      downloadFile(channel, s, '/big.zip', local, 300 * 1024),
    );
    expect(size).toBe(300 * 1024);
  });
});
