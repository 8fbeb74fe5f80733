import type { Database, SqlSession, Transaction } from '../../db/client.js';
import { sqlSessionOf } from '../../db/sql-session.js';
import { ENTITY_TYPES, type EntityStats, type EntityType } from '../../domain/entity.js';
import { loadEntity, type DeactivationScope, type LoadContext } from './load-entity.js';
import type { RelinkCounts } from './relinks.js';
import type { LoadedChange } from './review-changes.js';

export type LoadScopes = Partial<Record<EntityType, DeactivationScope>>;

export interface HeldEntity {
  entity: EntityType;
  activeBefore: number;
  removing: number;
  ratio: number;
  threshold: number;
}

export interface LoadOutcome {
  stats: Partial<Record<EntityType, Omit<EntityStats, 'errors'>>>;
  /** Entities whose removals crossed the threshold; non-empty means nothing was applied. */
  held: HeldEntity[];
  changes: LoadedChange[];
  truncated: EntityType[];
  applied: boolean;
  /** Per entity, this provider's records in grace after the load (only entities with some). */
  inGrace: Partial<Record<EntityType, number>>;
  /** Milliseconds each entity's load took. */
  loadMs: Partial<Record<EntityType, number>>;
  /** Records tied to existing canonical records, per entity and matching rule. */
  relinks: Partial<Record<EntityType, RelinkCounts>>;
}

export interface LoadOptions {
  ctx: LoadContext;
  /** Entities to load (present in the pull) and what each may take away. */
  scopes: LoadScopes;
  /** Hold instead of applying when a larger share of an entity would go; null: never hold. */
  maxDeactivationRatio: number | null;
  /** Consecutive complete runs a record may be missing from before it is deactivated. */
  deactivationGraceRuns: number;
  /** Hold whatever the load would do (a provider's first run into a roster other providers feed). */
  holdForReview: boolean;
  /** `preview`: compute everything, apply nothing (dry runs). */
  mode: 'apply' | 'preview';
  changeCap: number;
  /**
   * Checked between entities, inside the transaction (on the embedded database, a query outside
   * it would wait for it); a cancelled load rolls back.
   */
  throwIfCancelled: (tx: Transaction) => Promise<void>;
  /** Runs inside the transaction after an applied load, before commit (the run's final state). */
  onApplied: (tx: Transaction, outcome: LoadOutcome) => Promise<void>;
}

/**
 * The change feed is read in seq order per tenant. Seq values are drawn as events are written, and
 * visible at commit: one applying load per tenant at a time (this lock, held to commit) makes a
 * later seq commit after an earlier one, so a reader never skips an event.
 */
export async function lockChangeFeed(tx: SqlSession, tenantId: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    `sis-sync:change-feed:${tenantId}`,
  ]);
}

class Rollback extends Error {
  constructor(readonly outcome: LoadOutcome) {
    super('rollback');
  }
}

/**
 * Loads every entity of a run in one transaction, in dependency order. The canonical roster
 * holds either the old or the new state, never half: a preview, a held run, a cancel or any
 * failure rolls the whole transaction back.
 */
export async function loadRun(db: Database, options: LoadOptions): Promise<LoadOutcome> {
  try {
    return await db.transaction(async (drizzleTx) => {
      const tx = sqlSessionOf(drizzleTx);
      const recordEvents = options.mode === 'apply';
      if (recordEvents) await lockChangeFeed(tx, options.ctx.tenantId);
      // Only an approval excludes records; a run without exclusions pays nothing for them.
      const [{ excluding } = { excluding: false }] = await tx.query<{ excluding: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM sis_sync_run_exclusions WHERE run_id = $1) AS excluding',
        [options.ctx.runId],
      );
      const outcome: LoadOutcome = {
        stats: {},
        held: [],
        changes: [],
        truncated: [],
        applied: false,
        inGrace: {},
        loadMs: {},
        relinks: {},
      };
      for (const entity of ENTITY_TYPES) {
        const scope = options.scopes[entity];
        if (scope === undefined) continue;
        await options.throwIfCancelled(drizzleTx);
        const started = performance.now();
        const result = await loadEntity(tx, options.ctx, entity, {
          scope,
          changeCap: options.changeCap,
          recordEvents,
          graceRuns: options.deactivationGraceRuns,

          excluding,
        });
        outcome.loadMs[entity] = Math.round(performance.now() - started);
        outcome.stats[entity] = result.stats;
        outcome.changes.push(...result.changes);
        outcome.relinks[entity] = result.relinks;
        if (result.changesTruncated) outcome.truncated.push(entity);
        if (result.inGrace > 0) outcome.inGrace[entity] = result.inGrace;
        const ratio = result.activeBefore === 0 ? 0 : result.removing / result.activeBefore;
        if (options.maxDeactivationRatio !== null && ratio > options.maxDeactivationRatio) {
          outcome.held.push({
            entity,
            activeBefore: result.activeBefore,
            removing: result.removing,
            ratio,
            threshold: options.maxDeactivationRatio,
          });
        }
      }
      if (options.mode === 'preview' || outcome.held.length > 0 || options.holdForReview) {
        throw new Rollback(outcome);
      }
      await options.throwIfCancelled(drizzleTx);
      outcome.applied = true;
      await options.onApplied(drizzleTx, outcome);
      return outcome;
    });
  } catch (error) {
    if (error instanceof Rollback) return error.outcome;
    throw error;
  }
}
