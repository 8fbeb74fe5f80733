import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { commandArgs } from './cli.js';
import { logFileFor } from './logger.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SIGN_IN = /^Sign in: (http:\/\/localhost:\d+)\/integrations\/sis\/#token=(\S+)$/m;

/** The integrations `sis-sync demo` sets up in tenant demo. */
export const DEMO_INTEGRATIONS = [
  'Clever (demo)',
  'ClassLink (demo)',
  'OneRoster API (demo)',
  'OneRoster CSV over SFTP (demo)',
] as const;

export interface Demo {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
}

/**
 * Starts `sis-sync demo` from the sources, like test/support/cli.ts does, but its stdout goes to
 * the suite's log folder with the sign-in token cut out: the token is the command's product, and
 * the log scan rightly fails on any bearer token it finds. Everything else it prints is scanned.
 */
export function startDemo(args: string[], env: Record<string, string>, logName = 'cli-demo'): Demo {
  const child = spawn(process.execPath, [...commandArgs(), 'demo', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = logFileFor(logName);
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) appendFileSync(log, `${line.replace(/#token=\S+/, '#token=[cut]')}\n`);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    appendFileSync(log, chunk);
  });
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** The printed sign-in link: the server's URL, the token, and the whole link. */
export async function signInOf(
  demo: Demo,
  timeoutMs = 180_000,
): Promise<{ url: string; token: string; link: string }> {
  const started = Date.now();
  for (;;) {
    const match = SIGN_IN.exec(demo.stdout());
    if (match !== null) return { url: match[1]!, token: match[2]!, link: match[0].slice('Sign in: '.length) };
    if (demo.child.exitCode !== null) throw new Error(`demo exited early:\n${demo.stderr()}${demo.stdout()}`);
    if (Date.now() - started > timeoutMs) throw new Error(`no sign-in line yet:\n${demo.stdout()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** SIGTERM, then its exit code. */
export async function stopDemo(demo: Demo): Promise<number | null> {
  demo.child.kill('SIGTERM');
  if (demo.child.exitCode === null) await new Promise((resolve) => demo.child.on('close', resolve));
  return demo.child.exitCode;
}
