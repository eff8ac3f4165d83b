/**
 * Where the built `sextant` executable and CNI plugin are. The local cluster runs every daemon
 * (and the DNS pods) from the bundle, never through tsx: the bundle starts in a fraction of the
 * time, which matters with a dozen processes on a small machine.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterError } from './errors.js';

export interface SextantBinary {
  node: string;
  script: string;
  /** The CNI plugin built beside it (dist/cni/sextant). */
  cniPlugin: string;
}

export function findSextantBinary(): SextantBinary {
  const here = dirname(fileURLToPath(import.meta.url));
  const arg = process.argv[1] ?? '';
  const candidates = [basename(arg) === 'sextant.mjs' ? resolve(arg) : '', join(here, 'sextant.mjs'), resolve(here, '../dist/sextant.mjs')].filter(Boolean);
  const script = candidates.find((p) => existsSync(p));
  if (!script) throw new ClusterError('CLUSTER_PROCESS_FAILED', 'dist/sextant.mjs not found: run `npm run build` first');
  const cniPlugin = join(dirname(script), 'cni/sextant');
  if (!existsSync(cniPlugin)) throw new ClusterError('CLUSTER_PROCESS_FAILED', `${cniPlugin} not found: run \`npm run build\` first`);
  return { node: process.execPath, script, cniPlugin };
}
