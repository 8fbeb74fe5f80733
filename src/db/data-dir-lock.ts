import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * PGlite takes no lock of its own: two processes that open one data folder both "work", and one
 * silently loses the other's writes. The owning process therefore holds this lock file (created
 * atomically, holding its pid); any other process is refused with a plain message. A lock left
 * by a process that is gone is taken over.
 */
export class DataDirLockedError extends Error {
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The embedded database in ${path.dirname(lockFile)} is in use by another sis-sync process ` +
        `(pid ${holder.pid} on ${holder.hostname}, "${holder.command}", since ${holder.startedAt}). ` +
        'Stop that process, or point DATABASE_URL at a PostgreSQL server so that several processes can share it. ' +
        `If you are sure no such process runs, delete ${lockFile}.`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  startedAt: string;
}

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

export function acquireDataDirLock(dataDir: string, command: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'sis-sync.lock');
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    command,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      return lockHandle(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(file);
    if (holder !== undefined && isAlive(holder)) throw new DataDirLockedError(file, holder);
    // The holder is gone (or the file is unreadable garbage): take the lock over.
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`could not take the lock ${file}: it keeps changing hands`);
}

function lockHandle(file: string): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const holder = readHolder(file);
    if (holder?.pid === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return { file, release };
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      hostname: parsed.hostname ?? 'unknown host',
      command: parsed.command ?? 'unknown command',
      startedAt: parsed.startedAt ?? 'unknown time',
    };
  } catch {
    return undefined;
  }
}

function isAlive(holder: LockHolder): boolean {
  // A lock taken on another machine (a shared folder) cannot be checked: assume it is held.
  if (holder.hostname !== hostname()) return true;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
