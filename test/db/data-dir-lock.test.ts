import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

import { describe, expect, inject, it } from 'vitest';

import { DataDirLockedError, acquireDataDirLock } from '../../src/db/data-dir-lock.js';

const folder = () => mkdtempSync(path.join(inject('workDir'), 'lock-'));
const lockFile = (dir: string) => path.join(dir, 'sis-sync.lock');

describe('data folder lock', () => {
  it('is taken, held, and released', () => {
    const dir = folder();
    const lock = acquireDataDirLock(dir, 'test');
    const holder = JSON.parse(readFileSync(lockFile(dir), 'utf8')) as { pid: number; command: string };
    expect(holder).toMatchObject({ pid: process.pid, command: 'test' });
    expect(() => acquireDataDirLock(dir, 'second')).toThrow(DataDirLockedError);
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    acquireDataDirLock(dir, 'again').release();
  });

  it('refuses while another live process holds it, naming that process', () => {
    const dir = folder();
    const other = spawn('sleep', ['30']);
    try {
      writeFileSync(
        lockFile(dir),
        JSON.stringify({
          pid: other.pid,
          hostname: hostname(),
          command: 'sis-sync serve',
          startedAt: 'earlier',
        }),
      );
      expect(() => acquireDataDirLock(dir, 'test')).toThrow(`pid ${other.pid}`);
    } finally {
      other.kill();
    }
  });

  it('takes over a lock whose process is gone', async () => {
    const dir = folder();
    const gone = spawn('true');
    await new Promise((resolve) => gone.on('close', resolve));
    writeFileSync(
      lockFile(dir),
      JSON.stringify({ pid: gone.pid, hostname: hostname(), command: 'crashed', startedAt: 'x' }),
    );
    const lock = acquireDataDirLock(dir, 'test');
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over an unreadable lock file', () => {
    const dir = folder();
    writeFileSync(lockFile(dir), 'garbage');
    acquireDataDirLock(dir, 'test').release();
  });
});
