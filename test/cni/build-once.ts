import { execFileSync } from 'node:child_process';
import { REPO } from './harness.js';

/** Builds dist/ (the CNI binary and `sextant`) so e2e tests exercise what ships. */
export function buildOnce(): void {
  if (process.getuid?.() !== 0) throw new Error('test/cni needs root (network namespaces)');
  execFileSync(process.execPath, ['tools/build.mjs'], { cwd: REPO, stdio: 'inherit' });
}
