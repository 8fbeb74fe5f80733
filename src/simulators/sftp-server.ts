import { createHash, timingSafeEqual } from 'node:crypto';
import type { Dir, Stats } from 'node:fs';
import { lstat, open, opendir, realpath, stat, type FileHandle } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import ssh2, {
  type Attributes,
  type AuthContext,
  type Connection,
  type FileEntry,
  type ParsedKey,
  type SFTPWrapper,
} from 'ssh2';

import { sshFingerprint } from '../connectors/oneroster-csv/sftp-fingerprint.js';
import { generateEd25519KeyPair } from './ssh-key.js';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;
/** Reads are capped like real servers cap them; clients handle short reads. */
const MAX_READ_BYTES = 32 * 1024;
const READDIR_PAGE = 64;
const WRITE_REQUESTS = ['WRITE', 'FSETSTAT', 'SETSTAT', 'REMOVE', 'RMDIR', 'MKDIR', 'RENAME', 'SYMLINK'];

export interface SimulatedSftpUser {
  username: string;
  password?: string;
  /** OpenSSH public key text (`ssh-ed25519 AAAA... comment`). */
  publicKey?: string;
}

export interface SftpServerOptions {
  /** The folder served as `/`, read-only. */
  root: string;
  /** 0 or absent: a free port. */
  port?: number;
  host?: string;
  users: SimulatedSftpUser[];
  /** PEM/OpenSSH private host key; a fresh ed25519 key when absent. */
  hostKey?: string;
}

export interface RunningSftpServer {
  host: string;
  port: number;
  /** What `ssh-keygen -lf` prints for the host key, to pin in a provider config. */
  hostKeyFingerprint: string;
  close(): Promise<void>;
}

interface AllowedUser {
  passwordDigest: Buffer | undefined;
  publicKey: ParsedKey | undefined;
}

/** A refusal with an SFTP status, as opposed to a file system error to translate. */
class SftpStatus extends Error {
  constructor(readonly status: number) {
    super(`SFTP status ${status}`);
  }
}

type OpenHandle = { kind: 'file'; file: FileHandle } | { kind: 'dir'; dir: Dir; realPath: string };

/** An SSH server offering password and public-key login and a read-only SFTP view of `root`. */
export async function startSftpServer(options: SftpServerOptions): Promise<RunningSftpServer> {
  const hostKey = options.hostKey ?? generateEd25519KeyPair().private;
  const parsedHostKey = parseKey(hostKey, 'host key');
  const root = await realpath(options.root);
  const users = new Map(options.users.map((user) => [user.username, allowedUser(user)]));
  const connections = new Set<Connection>();
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    connections.add(client);
    client.on('close', () => connections.delete(client));
    // A client that gives up mid-handshake (say, refusing our host key) is not a server failure.
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => authenticate(ctx, users));
    client.on('session', (accept) => {
      accept().on('sftp', (acceptSftp) => serveSftp(acceptSftp(), root));
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    hostKeyFingerprint: sshFingerprint(parsedHostKey.getPublicSSH()),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of connections) client.end();
        server.close(() => resolve());
      }),
  };
}

function parseKey(text: string, what: string): ParsedKey {
  const key = ssh2.utils.parseKey(text);
  if (key instanceof Error) throw new Error(`SFTP simulator: unusable ${what}: ${key.message}`);
  return key;
}

function allowedUser(user: SimulatedSftpUser): AllowedUser {
  return {
    passwordDigest: user.password === undefined ? undefined : digest(user.password),
    publicKey: user.publicKey === undefined ? undefined : parseKey(user.publicKey, `key of ${user.username}`),
  };
}

/** Digests have equal lengths, so passwords compare in constant time. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function authenticate(ctx: AuthContext, users: Map<string, AllowedUser>): void {
  const user = users.get(ctx.username);
  if (user !== undefined && isAccepted(ctx, user)) return ctx.accept();
  // The same answer for unknown users and wrong credentials: nothing tells which users exist.
  ctx.reject(['password', 'publickey']);
}

function isAccepted(ctx: AuthContext, user: AllowedUser): boolean {
  if (ctx.method === 'password') {
    return user.passwordDigest !== undefined && timingSafeEqual(digest(ctx.password), user.passwordDigest);
  }
  if (ctx.method !== 'publickey') return false;
  const key = user.publicKey;
  if (key === undefined || !ctx.key.data.equals(key.getPublicSSH())) return false;
  // Without a signature the client only asks whether this key would do.
  return (
    ctx.signature === undefined ||
    (ctx.blob !== undefined && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo))
  );
}

function serveSftp(sftp: SFTPWrapper, root: string): void {
  const handles = handleTable(sftp);
  const reply = (id: number, work: () => Promise<void>) => {
    work().catch((error: unknown) => sftp.status(id, statusOf(error)));
  };

  sftp.on('REALPATH', (id, requested) =>
    reply(id, async () => {
      const real = await resolve(root, requested, true);
      const virtual = `/${path.relative(root, real).split(path.sep).join('/')}`;
      sftp.name(id, [{ filename: virtual, longname: virtual, attrs: attributes(await stat(real)) }]);
    }),
  );
  sftp.on('STAT', (id, requested) =>
    reply(id, async () => sftp.attrs(id, attributes(await stat(await resolve(root, requested, true))))),
  );
  sftp.on('LSTAT', (id, requested) =>
    reply(id, async () => sftp.attrs(id, attributes(await lstat(await resolve(root, requested, false))))),
  );
  sftp.on('OPEN', (id, requested, flags) =>
    reply(id, async () => {
      if ((flags & ~OPEN_MODE.READ) !== 0) throw new SftpStatus(STATUS_CODE.PERMISSION_DENIED);
      const file = await open(await resolve(root, requested, true), 'r');
      if (!(await file.stat()).isFile()) {
        await file.close();
        throw new SftpStatus(STATUS_CODE.FAILURE);
      }
      handles.give(id, { kind: 'file', file });
    }),
  );
  sftp.on('READ', (id, handle, offset, length) =>
    reply(id, async () => {
      const buffer = Buffer.alloc(Math.min(length, MAX_READ_BYTES));
      const { bytesRead } = await fileOf(handles.take(handle)).read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) sftp.status(id, STATUS_CODE.EOF);
      else sftp.data(id, buffer.subarray(0, bytesRead));
    }),
  );
  sftp.on('FSTAT', (id, handle) =>
    reply(id, async () => sftp.attrs(id, attributes(await fileOf(handles.take(handle)).stat()))),
  );
  sftp.on('OPENDIR', (id, requested) =>
    reply(id, async () => {
      const realPath = await resolve(root, requested, true);
      handles.give(id, { kind: 'dir', dir: await opendir(realPath), realPath });
    }),
  );
  sftp.on('READDIR', (id, handle) => reply(id, () => readDirectoryPage(sftp, id, handles.take(handle))));
  sftp.on('CLOSE', (id, handle) =>
    reply(id, async () => {
      await closeHandle(handles.release(handle));
      sftp.status(id, STATUS_CODE.OK);
    }),
  );
  for (const request of WRITE_REQUESTS) {
    sftp.on(request, (id: number) => sftp.status(id, STATUS_CODE.PERMISSION_DENIED));
  }
}

/** Open files and folders by the opaque 4-byte handle the client holds. */
function handleTable(sftp: SFTPWrapper) {
  const byId = new Map<number, OpenHandle>();
  let next = 0;
  const idOf = (handle: Buffer) => (handle.length === 4 ? handle.readUInt32BE(0) : -1);
  const take = (handle: Buffer): OpenHandle => {
    const found = byId.get(idOf(handle));
    if (found === undefined) throw new SftpStatus(STATUS_CODE.FAILURE);
    return found;
  };
  // A client that disconnects without closing its handles must not leak file descriptors.
  sftp.on('close', () => {
    for (const handle of byId.values()) void closeHandle(handle).catch(() => undefined);
    byId.clear();
  });
  return {
    take,
    give: (id: number, handle: OpenHandle) => {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(next);
      byId.set(next++, handle);
      sftp.handle(id, bytes);
    },
    release: (handle: Buffer): OpenHandle => {
      const found = take(handle);
      byId.delete(idOf(handle));
      return found;
    },
  };
}

function fileOf(open: OpenHandle): FileHandle {
  if (open.kind !== 'file') throw new SftpStatus(STATUS_CODE.FAILURE);
  return open.file;
}

async function closeHandle(open: OpenHandle): Promise<void> {
  if (open.kind === 'file') await open.file.close();
  else await open.dir.close();
}

async function readDirectoryPage(sftp: SFTPWrapper, id: number, open: OpenHandle): Promise<void> {
  if (open.kind !== 'dir') throw new SftpStatus(STATUS_CODE.FAILURE);
  const entries: FileEntry[] = [];
  for (let entry = await open.dir.read(); entry !== null; entry = await open.dir.read()) {
    const stats = await lstat(path.join(open.realPath, entry.name));
    entries.push({ filename: entry.name, longname: longName(entry.name, stats), attrs: attributes(stats) });
    if (entries.length === READDIR_PAGE) break;
  }
  if (entries.length === 0) sftp.status(id, STATUS_CODE.EOF);
  else sftp.name(id, entries);
}

/**
 * The real path of a client's path, confined to `root`: `..` may not climb above `/`, and a
 * symbolic link (the last component too when `followLast`) may not lead outside.
 */
async function resolve(root: string, requested: string, followLast: boolean): Promise<string> {
  const segments: string[] = [];
  for (const part of requested.split('/')) {
    if (part === '..') {
      if (segments.pop() === undefined) throw new SftpStatus(STATUS_CODE.PERMISSION_DENIED);
    } else if (part !== '' && part !== '.') {
      segments.push(part);
    }
  }
  const last = segments.pop();
  const parent = confined(root, await realpath(path.join(root, ...segments)));
  if (last === undefined) return parent;
  const target = path.join(parent, last);
  return followLast ? confined(root, await realpath(target)) : target;
}

function confined(root: string, real: string): string {
  const relative = path.relative(root, real);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new SftpStatus(STATUS_CODE.PERMISSION_DENIED);
  }
  return real;
}

function statusOf(error: unknown): number {
  if (error instanceof SftpStatus) return error.status;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

function attributes({ mode, uid, gid, size, atimeMs, mtimeMs }: Stats): Attributes {
  return { mode, uid, gid, size, atime: Math.floor(atimeMs / 1000), mtime: Math.floor(mtimeMs / 1000) };
}

/** The `ls -l` line that OpenSSH's sftp shows for `ls -l`. */
function longName(name: string, stats: Stats): string {
  const type = stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : '-';
  const perms = [...'rwxrwxrwx'].map((flag, i) => ((stats.mode >> (8 - i)) & 1 ? flag : '-')).join('');
  const date = stats.mtime.toISOString().slice(0, 16).replace('T', ' ');
  return `${type}${perms} 1 ${stats.uid} ${stats.gid} ${stats.size} ${date} ${name}`;
}
