/**
 * Starting a worker thread on a file of ours: the bundle beside dist/sextant.mjs, or the
 * TypeScript source when running from the sources (tests and benches run them through tsx).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The entry of a worker whose source is `source` beside the module at `moduleUrl` and whose
 * bundle is `bundle` beside dist/sextant.mjs (the module's own URL once bundled).
 */
export const workerEntry = (moduleUrl: string, source: string, bundle: string): URL =>
  new URL(moduleUrl.endsWith('.ts') ? source : bundle, moduleUrl);

export function startWorker(entry: URL, options: WorkerOptions): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  // Node 20 does not apply the parent's tsx hooks to a worker's entry, so the worker registers
  // tsx, then imports it.
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
