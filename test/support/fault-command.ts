import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { inject } from 'vitest';

import { createRandom, deriveSeed } from '../../src/generator/random.js';
import type { FaultReport } from '../faults/kill-at-statement.js';
import { startCli, type CliResult } from './cli.js';

export type { FaultReport };

/** Where a fault strikes: at statement `at` of the command, just before it is sent or just after its answer. */
export interface FaultPoint {
  at: number;
  when: 'before' | 'after';
  /** A command to run there instead of killing the process (argv). */
  exec?: string[];
}

/** The statement counter, by its repository path (test/global-setup.ts builds it for spawned commands). */
const PRELOAD = 'test/faults/kill-at-statement.ts';
const COMMAND_TIMEOUT_MS = 120_000;

/**
 * `sis-sync sync --provider <id> --json` in `env` with the fault suite's statement counter
 * preloaded: without `fault` it only counts; with one it strikes there. Resolves once the process
 * is gone, with what the counter reported.
 */
export async function syncCommand(
  env: Record<string, string>,
  providerId: string,
  fault?: FaultPoint,
): Promise<{ output: CliResult; report: FaultReport }> {
  const reportFile = path.join(mkdtempSync(path.join(inject('workDir'), 'fault-report-')), 'report.json');
  const child = startCli(
    ['sync', '--provider', providerId, '--json'],
    {
      ...env,
      FAULT_REPORT: reportFile,
      ...(fault === undefined
        ? {}
        : {
            FAULT_STATEMENT: String(fault.at),
            FAULT_WHEN: fault.when,
            ...(fault.exec === undefined ? {} : { FAULT_EXEC: JSON.stringify(fault.exec) }),
          }),
    },
    [PRELOAD],
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  const output = child.output();
  if (!existsSync(reportFile)) throw new Error(`the command left no fault report:\n${output.stderr}`);
  return { output, report: JSON.parse(readFileSync(reportFile, 'utf8')) as FaultReport };
}

/** Whether the run's load committed before the fault struck (the roster must then be the new one). */
export function reachedCommit(point: FaultPoint, report: FaultReport): boolean {
  if (!report.struck) return report.loadCommitted !== null;
  return (
    report.loadCommitted !== null &&
    (point.at > report.loadCommitted || (point.at === report.loadCommitted && point.when === 'after'))
  );
}

/**
 * Where seed `seed` strikes in a run measured as `measured`, before or after the statement: a
 * third of the seeds anywhere from the statement that creates the run to the command's last, a
 * third inside the load's transaction (its first statement to its commit), a third from just
 * before the commit to the end.
 */
export function faultPoint(seed: number, measured: FaultReport): FaultPoint {
  const random = createRandom(deriveSeed(seed, 0));
  const commit = measured.loadCommitted!;
  const ranges: [number, number][] = [
    [commit - 2, measured.statements],
    [measured.runCreated!, measured.statements],
    [measured.loadStarted!, commit],
  ];
  const [from, to] = ranges[seed % 3]!;
  return { at: from + random.int(to - from + 1), when: random.chance(0.5) ? 'before' : 'after' };
}
