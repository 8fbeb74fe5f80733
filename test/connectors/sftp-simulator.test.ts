import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';

import ssh2, { type SFTPWrapper } from 'ssh2';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { ConnectorError, type ConnectorErrorCode } from '../../src/connectors/connector.js';
import {
  fetchFromSftp,
  keyTextFingerprint,
  listSftp,
  type SftpSettings,
} from '../../src/connectors/oneroster-csv/sftp-fetch.js';
import { startSftpServer, type RunningSftpServer } from '../../src/simulators/sftp-server.js';
import { generateEd25519KeyPair } from '../../src/simulators/ssh-key.js';
import { TEST_SECRETS } from '../support/secrets.js';

const PASSWORD = TEST_SECRETS.sftpPassword;
const PASSPHRASE = 'sftp-passphrase-Lk29!vortex';
const clientKey = generateEd25519KeyPair();
const encryptedKey = generateEd25519KeyPair({
  passphrase: PASSPHRASE,
  cipher: 'aes256-ctr',
  rounds: 4,
});
const CSV_FILES = {
  'manifest.csv': 'propertyName,value\nmanifest.version,1.0\n',
  'orgs.csv': 'sourcedId,status,dateLastModified,name,type\norg-1,,,Springfield Elementary,school\n',
  'enrollments.csv': '',
  'users.csv': `sourcedId,givenName\n${Array.from({ length: 2000 }, (_, i) => `u-${i},Name${i}`).join('\n')}\n`,
};

let work: string;
let root: string;
let zipBytes: Buffer;
let server: RunningSftpServer;
const secretOutside = 'outside-the-root-7c1d';

beforeAll(async () => {
  work = mkdtempSync(path.join(inject('workDir'), 'sftp-sim-'));
  root = path.join(work, 'root');
  mkdirSync(path.join(root, 'export', 'archive'), { recursive: true });
  for (const [name, text] of Object.entries(CSV_FILES)) writeFileSync(path.join(root, 'export', name), text);
  writeFileSync(path.join(root, 'export', 'archive', 'old.csv'), 'old');
  zipBytes = randomBytes(300 * 1024);
  writeFileSync(path.join(root, 'oneroster.zip'), zipBytes);
  writeFileSync(path.join(root, 'big.zip'), randomBytes(64 * 1024 * 1024));
  mkdirSync(path.join(root, 'many'));
  for (let i = 0; i < 150; i += 1) writeFileSync(path.join(root, 'many', `f${i}.csv`), `${i}`);
  mkdirSync(path.join(work, 'outside'));
  writeFileSync(path.join(work, 'outside', 'secret.csv'), secretOutside);
  symlinkSync(path.join(work, 'outside'), path.join(root, 'link-out'));
  symlinkSync(path.join(work, 'outside', 'secret.csv'), path.join(root, 'export-link.csv'));
  server = await startSftpServer({
    root,
    users: [
      { username: 'district', password: PASSWORD },
      { username: 'keyed', publicKey: clientKey.public },
      { username: 'encrypted', publicKey: encryptedKey.public },
    ],
  });
});

afterAll(async () => {
  await server.close();
});

function settings(overrides: Partial<SftpSettings> = {}): SftpSettings {
  return {
    host: server.host,
    port: server.port,
    username: 'district',
    password: PASSWORD,
    hostKeyFingerprint: server.hostKeyFingerprint,
    ...overrides,
  };
}

function freshDir(): string {
  return path.join(mkdtempSync(path.join(work, 'dest-')), 'download');
}

const options = () => ({ signal: new AbortController().signal });

/** The ConnectorError a promise rejects with; its message never carries a credential. */
async function connectorError(promise: Promise<unknown>, code: ConnectorErrorCode): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  const failure = error as ConnectorError;
  expect({ code: failure.code, message: failure.message }).toMatchObject({ code });
  for (const secret of [PASSWORD, PASSPHRASE, clientKey.private, encryptedKey.private]) {
    expect(failure.message).not.toContain(secret);
    expect(JSON.stringify(failure)).not.toContain(secret);
  }
  return failure;
}

describe('fetchFromSftp against the simulator', () => {
  it('downloads the top-level files of a folder, byte for byte', async () => {
    const dest = freshDir();
    const result = await fetchFromSftp(settings(), '/export', dest, options());
    expect(result).toEqual({
      kind: 'folder',
      localPath: dest,
      files: Object.entries(CSV_FILES)
        .map(([name, text]) => ({ name, bytes: Buffer.byteLength(text) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    });
    expect(readdirSync(dest).sort()).toEqual(Object.keys(CSV_FILES).sort());
    for (const [name, text] of Object.entries(CSV_FILES)) {
      expect(readFileSync(path.join(dest, name), 'utf8')).toBe(text);
    }
  });

  it('downloads a zip file', async () => {
    const dest = freshDir();
    const result = await fetchFromSftp(settings(), '/oneroster.zip', dest, options());
    expect(result).toEqual({
      kind: 'zip',
      localPath: path.join(dest, 'oneroster.zip'),
      files: [{ name: 'oneroster.zip', bytes: zipBytes.length }],
    });
    expect(readFileSync(result.localPath).equals(zipBytes)).toBe(true);
  });

  it('logs in with a private key, given as text or as a file with a passphrase', async () => {
    const byText = settings({ username: 'keyed', privateKey: clientKey.private });
    delete byText.password;
    const dest = freshDir();
    await fetchFromSftp(byText, '/oneroster.zip', dest, options());
    expect(readFileSync(path.join(dest, 'oneroster.zip')).equals(zipBytes)).toBe(true);

    const keyFile = path.join(work, 'client-key');
    writeFileSync(keyFile, encryptedKey.private, { mode: 0o600 });
    const byFile = settings({ username: 'encrypted', privateKeyPath: keyFile, passphrase: PASSPHRASE });
    delete byFile.password;
    const listing = await listSftp(byFile, '/export', options());
    expect(listing.files.map((f) => f.name)).toEqual(Object.keys(CSV_FILES).sort());

    const wrongPassphrase = { ...byFile, passphrase: 'not-the-passphrase' };
    const error = await connectorError(listSftp(wrongPassphrase, '/export', options()), 'config_invalid');
    expect(error.message).toContain(keyFile);
  });

  it('refuses a server whose host key is not the pinned one, before writing anything', async () => {
    const otherKey = generateEd25519KeyPair();
    const pinned = keyTextFingerprint(otherKey.public);
    const dest = freshDir();
    const error = await connectorError(
      fetchFromSftp(settings({ hostKeyFingerprint: pinned }), '/export', dest, options()),
      'host_key_mismatch',
    );
    expect(error.message).toContain(pinned);
    expect(error.message).toContain(server.hostKeyFingerprint);
    expect(error.retryable).toBe(false);
    expect(existsSync(dest)).toBe(false);
  });

  it('accepts the pinned fingerprint with base64 padding too', async () => {
    const listing = await listSftp(
      settings({ hostKeyFingerprint: `${server.hostKeyFingerprint}=` }),
      '/',
      options(),
    );
    expect(listing.kind).toBe('folder');
  });

  it('reports a wrong password or an unknown user as auth_failed, not retryable', async () => {
    const wrong = await connectorError(
      fetchFromSftp(settings({ password: 'wrong-password-123' }), '/export', freshDir(), options()),
      'auth_failed',
    );
    expect(wrong.retryable).toBe(false);
    expect(wrong.message).toContain(`${server.host}:${server.port}`);
    await connectorError(listSftp(settings({ username: 'nobody' }), '/export', options()), 'auth_failed');
  });

  it('reports a missing remote path as not_found, naming it', async () => {
    const error = await connectorError(
      fetchFromSftp(settings(), '/exports/missing.zip', freshDir(), options()),
      'not_found',
    );
    expect(error.message).toContain('/exports/missing.zip');
    expect(error.message).toContain(`${server.host}:${server.port}`);
  });

  it('serves nothing outside its root, through .. or symbolic links', async () => {
    for (const escape of [
      '/../etc',
      '/export/../../outside',
      '/link-out',
      '/export-link.csv',
      '../outside',
    ]) {
      const dest = freshDir();
      const refused = await connectorError(fetchFromSftp(settings(), escape, dest, options()), 'auth_failed');
      expect(refused.message).toContain(`permission denied reading ${escape}`);
      expect(existsSync(dest) ? readdirSync(dest) : []).toEqual([]);
    }
    // A link inside the listing is not a regular file, so a folder download skips it.
    const listing = await listSftp(settings(), '/', options());
    expect(listing.files.map((f) => f.name)).toEqual(['big.zip', 'oneroster.zip']);
    // `..` that stays inside the root is an ordinary path.
    const inside = await listSftp(settings(), '/export/../oneroster.zip', options());
    expect(inside.kind).toBe('zip');
  });

  it('stops a download when its signal aborts, and removes the partial file', async () => {
    const dest = freshDir();
    const controller = new AbortController();
    const fetching = fetchFromSftp(settings(), '/big.zip', dest, { signal: controller.signal });
    const target = path.join(dest, 'big.zip');
    while (!existsSync(target) || statSync(target).size === 0) {
      await new Promise((r) => setTimeout(r, 5));
    }
    controller.abort();
    const started = Date.now();
    await connectorError(fetching, 'cancelled');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('does not connect when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await connectorError(listSftp(settings(), '/', { signal: controller.signal }), 'cancelled');
  });

  it('reports a refused connection and a silent server as retryable', async () => {
    const closed = await listeningServer(() => undefined);
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const refused = await connectorError(
      listSftp(settings({ port }), '/', options()),
      'provider_unavailable',
    );
    expect(refused.retryable).toBe(true);
    expect(refused.message).toContain(`:${port}`);

    // Accepts the TCP connection and never says a word.
    const silent = await listeningServer((socket) => socket.on('error', () => undefined));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      const timedOut = await connectorError(
        listSftp(settings({ port: silentPort }), '/', { ...options(), readyTimeoutMs: 300 }),
        'timeout',
      );
      expect(timedOut.retryable).toBe(true);
    } finally {
      silent.close();
    }
  });
});

describe('the SFTP simulator', () => {
  it('pages long directory listings', async () => {
    const listing = await listSftp(settings(), '/many', options());
    expect(listing.files).toHaveLength(150);
  });

  it('is read-only', async () => {
    await withRawSftp(async (sftp) => {
      const openForWrite = new Promise((resolve) =>
        sftp.open('/export/new.csv', 'w', (error) => resolve((error as { code?: number } | undefined)?.code)),
      );
      expect(await openForWrite).toBe(ssh2.utils.sftp.STATUS_CODE.PERMISSION_DENIED);
      const remove = new Promise((resolve) =>
        sftp.unlink('/export/orgs.csv', (error) => resolve((error as { code?: number } | undefined)?.code)),
      );
      expect(await remove).toBe(ssh2.utils.sftp.STATUS_CODE.PERMISSION_DENIED);
    });
    expect(existsSync(path.join(root, 'export', 'orgs.csv'))).toBe(true);
    expect(existsSync(path.join(root, 'export', 'new.csv'))).toBe(false);
  });

  it('answers REALPATH inside its root', async () => {
    await withRawSftp(async (sftp) => {
      const real = (p: string) =>
        new Promise((resolve) => sftp.realpath(p, (error, abs) => resolve(error ? 'error' : abs)));
      expect(await real('.')).toBe('/');
      expect(await real('/export/archive/..')).toBe('/export');
      expect(await real('/link-out')).toBe('error');
    });
  });
});

function listeningServer(onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve) => {
    const tcp = createServer(onConnection);
    tcp.listen(0, '127.0.0.1', () => resolve(tcp));
  });
}

/** A plain ssh2 SFTP session, to exercise the simulator beyond what the connector asks. */
async function withRawSftp(use: (sftp: SFTPWrapper) => Promise<void>): Promise<void> {
  const client = new ssh2.Client();
  const sftp = await new Promise<SFTPWrapper>((resolve, reject) => {
    client.on('error', reject);
    client.on('ready', () => client.sftp((error, channel) => (error ? reject(error) : resolve(channel))));
    client.connect({ host: server.host, port: server.port, username: 'district', password: PASSWORD });
  });
  try {
    await use(sftp);
  } finally {
    client.end();
  }
}
