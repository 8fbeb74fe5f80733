/*
 * A test-only preload for a spawned sis-sync (`node --import <this file, built by test/global-setup.ts> <sis-sync>`), never
 * loaded by the product: it counts every database statement the process sends, on either driver,
 * and SIGKILLs the process at statement FAULT_STATEMENT, just before it is sent
 * (FAULT_WHEN=before) or just after its answer arrived, before the code that sent it sees it
 * (after). With FAULT_EXEC (a JSON argv) it runs that command there instead, synchronously, and
 * goes on (the PostgreSQL restart suite restarts the server so). Without FAULT_STATEMENT it only
 * counts. FAULT_REPORT names a JSON file it writes: at the
 * kill, where it struck; at a normal exit, how many statements there were and where the run's
 * landmarks fell, so a test can draw its kill points over the whole run.
 *
 * Statements are counted where they leave the process: node-postgres' Client#query (pool queries,
 * transactions and COPY all pass there) and PGlite's protocol messages (one Parse or Query message
 * per statement, its own BEGIN and COMMIT included).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** Where the process was when a statement went out. */
export type FaultStage = 'startup' | 'run' | 'load' | 'committed';

/** What the preload writes into FAULT_REPORT. */
export interface FaultReport {
  /** Statements sent (a count run), or the one the fault struck at. */
  statements: number;
  /** The fault struck: the process was killed (or ran FAULT_EXEC) at statement FAULT_STATEMENT. */
  struck: boolean;
  when: 'before' | 'after' | null;
  stage: FaultStage;
  /** The statement struck at (its first characters), for the test's log. */
  statement: string | null;
  /** Numbers of the statements that created the run, began the load (its change-feed lock) and committed it. */
  runCreated: number | null;
  loadStarted: number | null;
  loadCommitted: number | null;
}

const strikeAt = Number(process.env.FAULT_STATEMENT ?? '0');
const killAfter = process.env.FAULT_WHEN === 'after';
const reportFile = process.env.FAULT_REPORT;
const command =
  process.env.FAULT_EXEC === undefined ? undefined : (JSON.parse(process.env.FAULT_EXEC) as string[]);

const state: FaultReport = {
  statements: 0,
  struck: false,
  when: null,
  stage: 'startup',
  statement: null,
  runCreated: null,
  loadStarted: null,
  loadCommitted: null,
};

function report(): void {
  if (reportFile !== undefined) writeFileSync(reportFile, JSON.stringify(state));
}

function strike(text: string): void {
  state.struck = true;
  state.when = killAfter ? 'after' : 'before';
  state.statement = text.replace(/\s+/g, ' ').slice(0, 100);
  report();
  if (command === undefined) process.kill(process.pid, 'SIGKILL');
  else execFileSync(command[0]!, command.slice(1), { stdio: 'ignore', timeout: 120_000 });
}

/** Counts one statement about to be sent; strikes first when it is the one (before). Returns its number. */
function sending(text: string): number {
  const n = ++state.statements;
  if (state.stage === 'startup' && /^insert into "sis_sync_runs"/i.test(text)) {
    state.stage = 'run';
    state.runCreated = n;
  } else if (text.startsWith('SELECT pg_advisory_xact_lock(hashtextextended(')) {
    // The load's change-feed lock: the first statement of the applying transaction.
    state.stage = 'load';
    state.loadStarted = n;
  } else if (state.stage === 'load' && /^commit$/i.test(text.trim())) {
    state.stage = 'committed';
    state.loadCommitted = n;
  }
  if (n === strikeAt && !killAfter) strike(text);
  return n;
}

/** The statement numbered `n` was answered: strikes now when it is the one (after). */
function answered(n: number, text: string): void {
  if (n === strikeAt && killAfter) strike(text);
}

type Query = (this: pg.Client, ...args: unknown[]) => unknown;
const clientPrototype = pg.Client.prototype as unknown as { query: Query };
const clientQuery = clientPrototype.query;
clientPrototype.query = function (this: pg.Client, ...args: unknown[]) {
  const [config] = args;
  const text = typeof config === 'string' ? config : ((config as { text?: string } | null)?.text ?? '');
  const n = sending(text);
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (...results: unknown[]) => {
      answered(n, text);
      return (callback as (...a: unknown[]) => unknown)(...results);
    };
    return clientQuery.apply(this, args);
  }
  const result = clientQuery.apply(this, args);
  // Promise style: this reaction is registered before the caller's, so it runs first.
  if (result instanceof Promise) {
    result.then(
      () => answered(n, text),
      () => answered(n, text),
    );
  }
  return result;
};

/** PGlite speaks the wire protocol to its WASM backend: read each statement off its Parse or Query message. */
type ExecStream = (this: PGlite, message: Uint8Array, options?: unknown) => Promise<unknown>;
const decoder = new TextDecoder();
const pglitePrototype = PGlite.prototype as unknown as { execProtocolStream: ExecStream };
const execStream = pglitePrototype.execProtocolStream;
let pglitePending: { n: number; text: string } | undefined;
pglitePrototype.execProtocolStream = async function (this: PGlite, message: Uint8Array, options?: unknown) {
  const type = String.fromCharCode(message[0] ?? 0);
  if (type === 'Q' || type === 'P') {
    // Q: length, query\0. P: length, statement name\0, query\0, ...
    let start = 5;
    if (type === 'P') start = message.indexOf(0, start) + 1;
    const text = decoder.decode(message.subarray(start, message.indexOf(0, start)));
    pglitePending = { n: sending(text), text };
  }
  const result = await execStream.call(this, message, options);
  // Every statement ends with a Sync message: its answer is complete.
  if (type === 'S' && pglitePending !== undefined) {
    const { n, text } = pglitePending;
    pglitePending = undefined;
    answered(n, text);
  }
  return result;
};

process.on('exit', report);
