/**
 * The `sextant` a benchmark runs: the bundle users run (`dist/sextant.mjs`, built once per bench
 * process with tools/build.mjs), so figures are those of the shipped program. The TypeScript
 * sources through tsx cost more: every function expression also calls tsx's `__name` helper
 * (endpoints bench: 0.34 vs 0.32 ms of API-thread CPU per transition). `SX_BENCH_SOURCE=1` runs
 * the sources instead, e.g. for CPU profiles with the sources' names and lines.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The bundle's path (build it first: `buildBundle`). */
export const BUNDLE = join(repo, 'dist/sextant.mjs');
let built = false;

/** Builds dist/ from the current sources, once per bench process; returns the bundle's path. */
export function buildBundle(): string {
  if (!built) {
    execFileSync(process.execPath, ['tools/build.mjs'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
    built = true;
  }
  return BUNDLE;
}

/** Node arguments that start `sextant` (the subcommand and its flags follow). */
export function sextantCommand(): string[] {
  if (process.env.SX_BENCH_SOURCE) return ['--import', 'tsx', join(repo, 'cli/main.ts')];
  return [buildBundle()];
}

/** What the JSON says was measured. */
export const sextantBinary = (): string => (process.env.SX_BENCH_SOURCE ? 'sources through tsx (SX_BENCH_SOURCE)' : 'node dist/sextant.mjs (bundled)');
