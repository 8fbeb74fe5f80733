import type { EntityType } from '../domain/entity.js';

/** Where a run's time went, kept on the run (`progress.timings`) for operators and the benchmark. */
export interface RunTimings {
  /** Reading from the provider and staging, every entity. */
  extractMs: number;
  /** Validating references and matching users. */
  prepareMs: number;
  /** The load transaction up to its commit (or its rollback, for a preview or a held run). */
  loadMs: number;
  entities: Partial<Record<EntityType, EntityTimings>>;
}

export interface EntityTimings {
  extractMs?: number;
  loadMs?: number;
  /** Not read: its file was byte-for-byte the one the last applied run loaded. */
  skipped?: boolean;
}

/** Milliseconds since the last lap (or since it was made). */
export function stopwatch(): { lap(): number } {
  let last = performance.now();
  return {
    lap() {
      const now = performance.now();
      const ms = Math.round(now - last);
      last = now;
      return ms;
    },
  };
}

/** `timings` with each entity's load time from `loadMs` added. */
export function withLoadTimes(
  timings: RunTimings,
  loadMs: number,
  perEntity: Partial<Record<EntityType, number>>,
): RunTimings {
  const entities = { ...timings.entities };
  for (const [entity, ms] of Object.entries(perEntity) as [EntityType, number][]) {
    entities[entity] = { ...entities[entity], loadMs: ms };
  }
  return { ...timings, loadMs, entities };
}
