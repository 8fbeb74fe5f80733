import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';

import { ConnectorError } from '../connector.js';
import { formatBytes, PACKAGE_LIMITS, type PackageLimits } from './package-limits.js';
import { downloadFile } from './sftp-download.js';
import { describeEndpoint, remoteError } from './sftp-errors.js';
import { untilAborted, withSftpSession, type SftpSessionOptions, type SftpSettings } from './sftp-session.js';

export type { SftpSessionOptions, SftpSettings } from './sftp-session.js';
export { keyTextFingerprint, sshFingerprint } from './sftp-fingerprint.js';

export interface SftpFile {
  name: string;
  bytes: number;
}

/** A zip file, or a folder whose top-level regular files make the package. */
export type SftpPackageKind = 'zip' | 'folder';

export interface SftpListing {
  kind: SftpPackageKind;
  remotePath: string;
  files: SftpFile[];
}

export interface SftpDownload {
  kind: SftpPackageKind;
  /** The downloaded zip file, or `destDir` for a folder. */
  localPath: string;
  files: SftpFile[];
}

interface RemotePackage {
  kind: SftpPackageKind;
  files: (SftpFile & { remotePath: string })[];
}

/** What `remotePath` holds, for "test connection": connects, verifies the host, lists. */
export async function listSftp(
  sftp: SftpSettings,
  remotePath: string,
  opts: SftpSessionOptions,
): Promise<SftpListing> {
  return withSftpSession(sftp, opts, async (channel, signal) => {
    const found = await findPackage(channel, signal, describeEndpoint(sftp), remotePath);
    return { kind: found.kind, remotePath, files: found.files.map(({ name, bytes }) => ({ name, bytes })) };
  });
}

/**
 * Downloads `remotePath` into `destDir`: a file as itself, a folder as its top-level regular
 * files (sub-folders are not part of a OneRoster package). Files stream to disk; one
 * interrupted midway is removed. A file or a package over the limits (`package-limits.ts`) is
 * refused before its download starts, and cut off if it turns out longer than listed.
 */
export async function fetchFromSftp(
  sftp: SftpSettings,
  remotePath: string,
  destDir: string,
  opts: SftpSessionOptions & { limits?: PackageLimits },
): Promise<SftpDownload> {
  const endpoint = describeEndpoint(sftp);
  const limits = opts.limits ?? PACKAGE_LIMITS;
  return withSftpSession(sftp, opts, async (channel, signal) => {
    const found = await findPackage(channel, signal, endpoint, remotePath);
    checkListedSizes(found, endpoint, limits);
    await mkdir(destDir, { recursive: true });
    const files: SftpFile[] = [];
    let total = 0;
    for (const file of found.files) {
      const localPath = path.join(destDir, file.name);
      const maxBytes = Math.min(limits.maxFileBytes, limits.maxTotalBytes - total);
      const bytes = await downloadFile(channel, signal, file.remotePath, localPath, maxBytes).catch(
        (error: unknown) => {
          throw remoteError(error, endpoint, file.remotePath);
        },
      );
      files.push({ name: file.name, bytes });
      total += bytes;
    }
    const localPath =
      found.kind === 'zip' && files[0] !== undefined ? path.join(destDir, files[0].name) : destDir;
    return { kind: found.kind, localPath, files };
  });
}

/** Refuses, from the listing alone, a file or a package too large to download. */
function checkListedSizes(found: RemotePackage, endpoint: string, limits: PackageLimits): void {
  let total = 0;
  for (const file of found.files) {
    if (file.bytes > limits.maxFileBytes) {
      throw new ConnectorError(
        'invalid_payload',
        `${endpoint}: ${file.remotePath} is ${formatBytes(file.bytes)}, more than the limit of ${formatBytes(limits.maxFileBytes)} per file; not downloaded`,
      );
    }
    total += file.bytes;
  }
  if (total > limits.maxTotalBytes) {
    throw new ConnectorError(
      'invalid_payload',
      `${endpoint}: the package's files are ${formatBytes(total)} together, more than the limit of ${formatBytes(limits.maxTotalBytes)}; not downloaded`,
    );
  }
}

async function findPackage(
  sftp: SFTPWrapper,
  signal: AbortSignal,
  endpoint: string,
  remotePath: string,
): Promise<RemotePackage> {
  const fail = (error: unknown) => {
    throw remoteError(error, endpoint, remotePath);
  };
  const stats = await untilAborted<Stats>(signal, (done) => sftp.stat(remotePath, done)).catch(fail);
  if (stats.isDirectory()) {
    const entries = await untilAborted<FileEntryWithStats[]>(signal, (done) =>
      sftp.readdir(remotePath, done),
    ).catch(fail);
    const files = entries
      .filter((entry) => entry.attrs.isFile() && isPlainName(entry.filename))
      .map((entry) => ({
        name: entry.filename,
        bytes: entry.attrs.size,
        remotePath: path.posix.join(remotePath, entry.filename),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { kind: 'folder', files };
  }
  const name = path.posix.basename(remotePath);
  if (!stats.isFile() || !isPlainName(name)) {
    throw new ConnectorError(
      'not_found',
      `${endpoint}: ${remotePath} is neither a regular file nor a folder`,
    );
  }
  return { kind: /\.zip$/i.test(name) ? 'zip' : 'folder', files: [{ name, bytes: stats.size, remotePath }] };
}

/** A name the server gave that is safe to create in destDir: no separator, no `..`. */
function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}
