import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { ConnectorError } from '../../src/connectors/connector.js';
import { generateEd25519KeyPair } from '../../src/simulators/ssh-key.js';
import {
  fetchFromSftp,
  keyTextFingerprint,
  type SftpSettings,
} from '../../src/connectors/oneroster-csv/sftp-fetch.js';

/*
 * The SFTP client against a real OpenSSH server: Debian's sshd, run as the current user on a
 * loopback port with its own host key, authorized key and config, in a temp folder.
 */
const SSHD = '/usr/sbin/sshd';
const hasSshd = existsSync(SSHD);
const title = hasSshd
  ? 'fetchFromSftp against OpenSSH'
  : `fetchFromSftp against OpenSSH: skipped, ${SSHD} is missing (apt-get install openssh-server)`;

const CSV_FILES = {
  'manifest.csv': 'propertyName,value\nmanifest.version,1.0\n',
  'orgs.csv': 'sourcedId,name,type\norg-1,Shelbyville High,school\n',
  'users.csv': `sourcedId,givenName\n${Array.from({ length: 5000 }, (_, i) => `u-${i},Name${i}`).join('\n')}\n`,
};

let dir: string;
let sshd: ChildProcess | undefined;
let sshdOutput = '';
let port: number;
let fingerprint: string;
let zipBytes: Buffer;

async function startSshd(): Promise<void> {
  dir = mkdtempSync(path.join(inject('workDir'), 'openssh-'));
  const keygen = (name: string) =>
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path.join(dir, name)]);
  keygen('host_key');
  keygen('client_key');
  writeFileSync(path.join(dir, 'authorized_keys'), readFileSync(path.join(dir, 'client_key.pub')));
  mkdirSync(path.join(dir, 'export', 'archive'), { recursive: true });
  for (const [name, text] of Object.entries(CSV_FILES)) writeFileSync(path.join(dir, 'export', name), text);
  writeFileSync(path.join(dir, 'export', 'archive', 'old.csv'), 'old');
  zipBytes = randomBytes(2 * 1024 * 1024 + 123);
  writeFileSync(path.join(dir, 'oneroster.zip'), zipBytes);

  // `ssh-keygen -lf` prints "256 SHA256:... comment (ED25519)": what an admin would pin.
  fingerprint = execFileSync('ssh-keygen', ['-lf', path.join(dir, 'host_key.pub')], {
    encoding: 'utf8',
  }).split(' ')[1]!;
  port = await freePort();
  writeFileSync(path.join(dir, 'sshd_config'), sshdConfig(dir, port));
  // Run as root, sshd insists on its privilege separation folder, which a container may lack.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const child = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  sshd = child;
  child.stdout.on('data', (chunk: Buffer) => (sshdOutput += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (sshdOutput += chunk.toString()));
  await waitUntilListening(child, port);
}

async function stopSshd(): Promise<void> {
  const child = sshd;
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function sshdConfig(folder: string, listenPort: number): string {
  return [
    `Port ${listenPort}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${path.join(folder, 'host_key')}`,
    `PidFile ${path.join(folder, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(folder, 'authorized_keys')}`,
    `AllowUsers ${userInfo().username}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
}

async function waitUntilListening(child: ChildProcess, listenPort: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}:\n${sshdOutput}`);
    if (await accepts(listenPort)) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${listenPort}:\n${sshdOutput}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function accepts(listenPort: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(listenPort, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function settings(overrides: Partial<SftpSettings> = {}): SftpSettings {
  return {
    host: '127.0.0.1',
    port,
    username: userInfo().username,
    privateKeyPath: path.join(dir, 'client_key'),
    hostKeyFingerprint: fingerprint,
    ...overrides,
  };
}

const options = () => ({ signal: new AbortController().signal });
const dest = () => path.join(mkdtempSync(path.join(dir, 'dest-')), 'download');

async function rejection(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

describe.skipIf(!hasSshd)(title, () => {
  beforeAll(startSshd, 30_000);
  afterAll(stopSshd);

  it('downloads the top-level files of a folder with a key file and the ssh-keygen fingerprint', async () => {
    const target = dest();
    const result = await fetchFromSftp(settings(), path.join(dir, 'export'), target, options());
    expect(result.kind).toBe('folder');
    expect(result.files.map((f) => f.name)).toEqual(Object.keys(CSV_FILES).sort());
    for (const [name, text] of Object.entries(CSV_FILES)) {
      expect(readFileSync(path.join(target, name), 'utf8')).toBe(text);
    }
  });

  it('downloads a zip file with the key given as text', async () => {
    const target = dest();
    const keyText = readFileSync(path.join(dir, 'client_key'), 'utf8');
    const byText = settings({ privateKey: keyText });
    delete byText.privateKeyPath;
    const result = await fetchFromSftp(byText, path.join(dir, 'oneroster.zip'), target, options());
    expect(result.kind).toBe('zip');
    expect(readFileSync(result.localPath).equals(zipBytes)).toBe(true);
  });

  it('refuses the server when the pinned fingerprint is another key', async () => {
    const other = generateEd25519KeyPair();
    const pinned = keyTextFingerprint(other.public);
    const target = dest();
    const error = await rejection(
      fetchFromSftp(settings({ hostKeyFingerprint: pinned }), path.join(dir, 'export'), target, options()),
    );
    expect(error.code).toBe('host_key_mismatch');
    expect(error.message).toContain(pinned);
    expect(error.message).toContain(fingerprint);
    expect(existsSync(target)).toBe(false);
  });

  it('reports a key the server does not authorize as auth_failed, and a missing path as not_found', async () => {
    const stranger = generateEd25519KeyPair();
    const unauthorized = settings({ privateKey: stranger.private });
    delete unauthorized.privateKeyPath;
    const denied = await rejection(fetchFromSftp(unauthorized, path.join(dir, 'export'), dest(), options()));
    expect(denied.code).toBe('auth_failed');
    expect(denied.message).not.toContain(stranger.private.split('\n')[1]);

    const missing = await rejection(
      fetchFromSftp(settings(), path.join(dir, 'missing.zip'), dest(), options()),
    );
    expect(missing.code).toBe('not_found');
    expect(missing.message).toContain(path.join(dir, 'missing.zip'));
  });
});
