import { mkdirSync } from 'node:fs';
import path from 'node:path';

import { pino } from 'pino';
import { expect, inject } from 'vitest';

import { createLogger, type Logger } from '../../src/lib/logger.js';

/**
 * A logger at the most verbose level, writing into the suite's log folder, so that the scan at
 * the end of the run sees everything every test logged.
 */
export function createTestLogger(name = expect.getState().testPath ?? 'test'): Logger {
  const dir = inject('logDir');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${path.basename(name)}-${process.pid}-${Date.now()}.log`);
  return createLogger({ level: 'trace', destination: pino.destination({ dest: file, sync: true }) });
}

/** The log file for a spawned process's output. */
export function logFileFor(name: string): string {
  const dir = inject('logDir');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}-${process.pid}-${Date.now()}.log`);
}
