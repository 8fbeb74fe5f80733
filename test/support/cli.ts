import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { inject } from 'vitest';

import { logFileFor } from './logger.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment a spawned sis-sync sees: nothing from ours but PATH and HOME, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'debug', ...env };
}

/**
 * The node arguments that start `sis-sync` from the suite's build of the sources (made once per
 * run by test/global-setup.ts), with `preloads` (repository paths of test-only modules, built with
 * it) imported first.
 */
export function commandArgs(preloads: readonly string[] = []): string[] {
  const command = inject('command');
  const imports = preloads.flatMap((preload) => {
    const built = command.preloads[preload];
    if (built === undefined) {
      throw new Error(`${preload} is not among the preloads test/global-setup.ts builds`);
    }
    return ['--import', built];
  });
  return [...imports, command.entry];
}

/**
 * Starts `sis-sync <args>` from the sources. What it logs also goes to the suite's log folder, for
 * the secret scan; the stdout of `token`, which is the token itself, is its product, not a log.
 * `preloads`: test-only modules imported before the command (the fault suite's statement counter).
 */
export function startCli(
  args: string[],
  env: Record<string, string> = {},
  preloads: readonly string[] = [],
): ChildProcess & { output(): CliResult } {
  const stdoutIsLog = args[0] !== 'token';
  const child = spawn(process.execPath, [...commandArgs(preloads), ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = logFileFor(`cli-${args[0] ?? 'none'}`);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdoutIsLog) appendFileSync(log, chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    appendFileSync(log, chunk);
  });
  return Object.assign(child, {
    output: () => ({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
  });
}

/** Runs `sis-sync <args>` to its end (killed after `timeoutMs`). */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  const child = startCli(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return child.output();
}

/** Waits until `predicate` holds for the process output, or fails after `timeoutMs`. */
export async function waitForOutput(
  child: ReturnType<typeof startCli>,
  predicate: (out: CliResult) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const started = Date.now();
  while (!predicate(child.output())) {
    if (child.exitCode !== null) {
      throw new Error(`process exited early:\n${child.output().stderr}${child.output().stdout}`);
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting; output so far:\n${child.output().stdout}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
