import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { createInProcessRunner, type RunTask } from './runner.js';

/** A task body the test finishes by hand. */
function controllable() {
  const started: string[] = [];
  const finishers = new Map<string, (fail?: boolean) => void>();
  const execute = (task: RunTask) =>
    new Promise<void>((resolve, reject) => {
      started.push(task.runId);
      finishers.set(task.runId, (fail) => (fail === true ? reject(new Error('boom')) : resolve()));
    });
  const finish = async (runId: string, fail?: boolean) => {
    finishers.get(runId)?.(fail);
    // Let the runner's settle/pump callbacks run.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { started, execute, finish };
}

const silent = pino({ level: 'silent' });

describe('the in-process runner', () => {
  it('runs at most maxConcurrent tasks, the rest in arrival order, and lists what is unfinished', async () => {
    const body = controllable();
    const runner = createInProcessRunner({ execute: body.execute, maxConcurrent: 2, logger: silent });
    for (const runId of ['a', 'b', 'c']) runner.submit({ kind: 'sync', runId });
    expect(body.started).toEqual(['a', 'b']);
    expect(runner.unfinished().map((t) => t.runId)).toEqual(['a', 'b', 'c']);

    await body.finish('b');
    expect(body.started).toEqual(['a', 'b', 'c']);
    expect(runner.unfinished().map((t) => t.runId)).toEqual(['a', 'c']);

    let idle = false;
    const waiting = runner.idle().then(() => (idle = true));
    await body.finish('a');
    expect(idle).toBe(false);
    await body.finish('c', true); // a failing task still frees its slot
    await waiting;
    expect(idle).toBe(true);
    expect(runner.unfinished()).toEqual([]);
  });

  it('is idle at once when nothing was submitted', async () => {
    const runner = createInProcessRunner({
      execute: () => Promise.resolve(),
      maxConcurrent: 1,
      logger: silent,
    });
    await expect(runner.idle()).resolves.toBeUndefined();
  });
});
