import { open, rm, type FileHandle } from 'node:fs/promises';

import type { SFTPWrapper } from 'ssh2';

import { ConnectorError } from '../connector.js';
import { formatBytes } from './package-limits.js';
import { untilAborted } from './sftp-session.js';

/** Bytes per read request: what every SFTP server answers in one packet. */
const CHUNK_BYTES = 32 * 1024;
/**
 * Read requests in flight at once. One at a time makes a download crawl at one chunk per round
 * trip; sixteen keep a long link busy while holding at most 512 KiB in memory.
 */
const READS_IN_FLIGHT = 16;

/**
 * Streams `remotePath` into `localPath` (replacing it) and returns its size. ssh2's own fastGet
 * would do, but it never calls back once its connection is destroyed, so a cancelled download
 * could neither be awaited nor cleaned up. On failure the partial file is removed; nothing
 * writes to it after this returns. A file that turns out longer than `maxBytes` (it grew after
 * it was listed, or the server's listing lied) fails before any byte past the limit is written.
 */
export async function downloadFile(
  sftp: SFTPWrapper,
  signal: AbortSignal,
  remotePath: string,
  localPath: string,
  maxBytes: number,
): Promise<number> {
  const remote = await untilAborted<Buffer>(signal, (done) => sftp.open(remotePath, 'r', done));
  let local: FileHandle | undefined;
  try {
    local = await open(localPath, 'w');
    const size = await copyChunks(sftp, signal, remote, local, (offset, bytes) => {
      if (offset + bytes > maxBytes) {
        throw new ConnectorError(
          'invalid_payload',
          `${remotePath} is longer than ${formatBytes(maxBytes)}, the most this download may take; refused`,
        );
      }
    });
    await local.close();
    return size;
  } catch (error) {
    await local?.close().catch(() => undefined);
    await rm(localPath, { force: true });
    throw error;
  } finally {
    // Closing is a courtesy to the server; on a dead connection it would never be answered.
    if (!signal.aborted) sftp.close(remote, () => undefined);
  }
}

/** Workers take chunk offsets in turn until one reaches the end of the file. */
async function copyChunks(
  sftp: SFTPWrapper,
  signal: AbortSignal,
  remote: Buffer,
  local: FileHandle,
  /** Throws when bytes read at an offset may not be written. */
  check: (offset: number, bytes: number) => void,
): Promise<number> {
  let nextOffset = 0;
  let size = 0;
  let ended = false;
  const worker = async () => {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    while (!ended) {
      const offset = nextOffset;
      nextOffset += CHUNK_BYTES;
      const bytes = await readChunk(sftp, signal, remote, buffer, offset);
      if (bytes > 0) {
        check(offset, bytes);
        await local.write(buffer, 0, bytes, offset);
        size = Math.max(size, offset + bytes);
      }
      if (bytes < CHUNK_BYTES) ended = true;
    }
  };
  // Every worker settles before the file is closed, so no write lands after a failure returns.
  const results = await Promise.allSettled(Array.from({ length: READS_IN_FLIGHT }, worker));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return size;
}

/**
 * Fills `buffer` from `offset`, as far as the file goes. A server may answer with fewer bytes
 * than asked (many cap a read), so the rest is asked for again; zero bytes means the end.
 */
async function readChunk(
  sftp: SFTPWrapper,
  signal: AbortSignal,
  remote: Buffer,
  buffer: Buffer,
  offset: number,
): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const bytes = await untilAborted<number>(signal, (done) =>
      sftp.read(remote, buffer, filled, buffer.length - filled, offset + filled, (error, bytesRead) =>
        done(error, bytesRead),
      ),
    );
    if (bytes === 0) break;
    filled += bytes;
  }
  return filled;
}
