import { mkdtempSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { build } from 'esbuild';

/**
 * The test suite's own build of `sis-sync`: every source file transpiled to JavaScript, one file
 * for one file, as `tsc` builds dist/ (no bundling, no type check: the suite's type check is
 * `npm run typecheck`). The processes the suite spawns (commands, workers, servers) start from it:
 * through tsx every start paid its loader over again, about a second and a half of CPU each.
 *
 * The folder sits at the top of the repository, as dist/ does, so that what a module finds
 * relative to itself (package.json, the migrations, the built UI) is found the same way; it is
 * named for the run, so that runs side by side never read each other's half-written files.
 * `preloads` (repository paths of test-only modules a spawned process imports first) are
 * transpiled under it too, keyed by those paths.
 */
export async function buildCommand(
  root: string,
  preloads: readonly string[],
): Promise<{ dir: string; entry: string; preloads: Record<string, string> }> {
  const dir = mkdtempSync(path.join(root, '.test-build-'));
  const sources = readdirSync(path.join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(root, 'src', file));
  const options = {
    format: 'esm',
    platform: 'node',
    target: 'node20',
    tsconfig: path.join(root, 'tsconfig.json'),
    logLevel: 'error',
  } as const;
  await build({ ...options, entryPoints: sources, outbase: path.join(root, 'src'), outdir: dir });
  const compiled: Record<string, string> = {};
  for (const preload of preloads) {
    const outfile = path.join(dir, 'test-preloads', preload.replace(/\.ts$/, '.js'));
    await build({ ...options, entryPoints: [path.join(root, preload)], outfile });
    compiled[preload] = outfile;
  }
  return { dir, entry: path.join(dir, 'main.js'), preloads: compiled };
}
