import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  const imports = ['tsx', ...preloads].flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, [...imports, path.join(ROOT, 'src/main.ts'), ...args], {
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
