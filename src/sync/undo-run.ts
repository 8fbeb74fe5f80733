import type { Transaction } from '../db/client.js';
import { sqlSessionOf } from '../db/sql-session.js';
import type { RunStats } from '../domain/entity.js';
import {
  findRun,
  insertRunErrors,
  transitionRun,
  updateRun,
  type RunRow,
} from '../repositories/runs-repository.js';
import { RunLostError, type SyncEngineDeps } from './execute-run.js';
import { lockChangeFeed } from './load/load-run.js';
import { revertRun, type LeftAlone } from './load/revert-run.js';
import { stopwatch } from './run-timings.js';

/**
 * An undo run (`undoes_run_id` set), from its claim to its end: no extraction; in one transaction
 * under the change feed's tenant lock, everything the target run changed goes back (see
 * load/revert-run.ts), with change events, statistics, the run's final state and its observers'
 * notices. A failure rolls it all back and leaves the roster as it was.
 */
export async function undoRun(deps: SyncEngineDeps, run: RunRow): Promise<RunRow | undefined> {
  const { db } = deps.handle;
  const target = run.undoesRunId === null ? undefined : await findRun(db, run.undoesRunId);
  if (target === undefined) throw new Error(`run ${run.id} undoes no run that exists`);
  await updateRun(db, run.id, { phase: 'loading' });
  const clock = stopwatch();
  await db.transaction(async (drizzleTx: Transaction) => {
    const tx = sqlSessionOf(drizzleTx);
    await lockChangeFeed(tx, run.tenantId);
    const outcome = await revertRun(
      tx,
      {
        runId: run.id,
        tenantId: run.tenantId,
        providerId: run.providerId,
        targetRunId: target.id,
        targetCreatedAt: target.createdAt,
      },
      deps.changeCap ?? 10_000,
    );
    await insertRunErrors(
      drizzleTx,
      outcome.leftAlone.map((left) => leftAloneWarning(run, target, left)),
    );
    const stats: RunStats = {};
    for (const [entity, counts] of Object.entries(outcome.stats)) {
      stats[entity as keyof RunStats] = { ...counts, errors: 0 };
    }
    const finished = await transitionRun(drizzleTx, run.id, 'IN_PROGRESS', 'SUCCESS', {
      stats,
      progress: { phase: 'done', timings: { extractMs: 0, prepareMs: 0, loadMs: clock.lap(), entities: {} } },
      phase: 'done',
      finishedAt: new Date(),
    });
    if (finished === undefined) throw new RunLostError(run.id);
    await deps.observer?.applied?.(drizzleTx, finished);
  });
  return findRun(db, run.id);
}

function leftAloneWarning(run: RunRow, target: RunRow, left: LeftAlone) {
  const record = `${left.entity} ${left.externalId ?? left.entityId} (id ${left.entityId})`;
  return {
    runId: run.id,
    tenantId: run.tenantId,
    entity: left.entity,
    externalId: left.externalId,
    sourceFile: null,
    sourceLine: null,
    sourcePage: null,
    field: null,
    code: left.reason === 'changed_later' ? 'changed_by_later_run' : 'no_before_image',
    message:
      left.reason === 'changed_later'
        ? `${record} was changed again by run ${left.laterRunIds.join(', ')} after run ${target.id}; left as it is`
        : `${record} has no before-image in run ${target.id}; left as it is`,
    severity: 'warning' as const,
  };
}
