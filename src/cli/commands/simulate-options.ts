import { statSync } from 'node:fs';
import path from 'node:path';

import { InvalidArgumentError } from 'commander';

/*
 * What every `sis-sync simulate <system>` shares: its option parsers and how it waits to be
 * stopped.
 */

export function parsePort(raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port > 65535) throw new InvalidArgumentError('a port from 0 to 65535');
  return port;
}

export function parseInteger(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new InvalidArgumentError('a whole number');
  return Number(raw);
}

export function parseFolder(raw: string): string {
  const folder = path.resolve(raw);
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    // Reported below, with the path.
  }
  if (!isFolder) throw new InvalidArgumentError(`${folder} is not a folder`);
  return folder;
}

/** Resolves on the first SIGINT or SIGTERM. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.log(`${signal}: stopping`);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
