import type fc from 'fast-check';

/*
 * How many examples a fuzz property tries, and how to replay one. CI runs each property's modest
 * default; a developer runs longer with FUZZ_RUNS=5000, or replays a failure with the seed and
 * path it printed: FUZZ_SEED=-1196268436 FUZZ_PATH="12:3:0" npx vitest run test/fuzz/<file>.
 */

const env = (name: string): string | undefined => {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** The examples each property tries: FUZZ_RUNS, or the property's own default. */
export function fuzzRuns(defaultRuns: number): number {
  const runs = env('FUZZ_RUNS');
  return runs === undefined ? defaultRuns : Number(runs);
}

/**
 * fast-check parameters: `runs` examples (FUZZ_RUNS overrides), the seed and path of FUZZ_SEED and
 * FUZZ_PATH when set, and a per-example time limit for async properties, so that an example that
 * hangs fails (with its seed) instead of stalling the suite. `examples` are tried first every
 * time: the counterexamples the suite once found, kept as regressions.
 */
export function fuzzParameters<T>(
  runs: number,
  options: { examples?: T[]; exampleTimeoutMs?: number } = {},
): fc.Parameters<T> {
  const seed = env('FUZZ_SEED');
  const path = env('FUZZ_PATH');
  return {
    numRuns: fuzzRuns(runs),
    timeout: options.exampleTimeoutMs ?? 10_000,
    ...(options.examples === undefined ? {} : { examples: options.examples }),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}

/** A vitest time limit for a property of `runs` examples of at most `exampleMs` each. */
export function fuzzTimeout(runs: number, exampleMs: number): number {
  return 30_000 + fuzzRuns(runs) * exampleMs;
}
