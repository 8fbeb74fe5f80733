import { statSync } from 'node:fs';
import path from 'node:path';

import { InvalidArgumentError, type Command } from 'commander';

import {
  generateDistrictSource,
  loadDistrictSource,
  type DistrictSource,
} from '../../simulators/district-source.js';

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

/** `--students N` (generated, with `--seed`) or `--from DIR` (a OneRoster CSV folder): exactly one. */
export interface SourceOptions {
  students?: number;
  from?: string;
  seed: number;
}

/** The district a simulator serves, and what to remove once it stops. */
export async function districtSourceOf(
  options: SourceOptions,
): Promise<{ source: DistrictSource; cleanup: () => Promise<void> }> {
  if ((options.students === undefined) === (options.from === undefined)) {
    throw new Error('give exactly one of --students N or --from DIR');
  }
  if (options.from !== undefined) {
    return { source: await loadDistrictSource(options.from), cleanup: () => Promise.resolve() };
  }
  const generated = await generateDistrictSource({ students: options.students ?? 0, seed: options.seed });
  return { source: generated.source, cleanup: () => generated.cleanup() };
}

/** The shared options of a simulator over a district. */
export function addSourceOptions(command: Command): Command {
  return command
    .option('--students <n>', 'generate a district of this many students', parseInteger)
    .option('--from <dir>', 'serve a OneRoster 1.1 CSV folder instead', parseFolder)
    .option('--seed <n>', 'generator seed', parseInteger, 1);
}
