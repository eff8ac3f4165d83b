import { CniCode, CniError } from './errors.js';

/** Versions this plugin speaks; results are emitted in exactly the request's version. */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

const cmp = (a: string, b: string): number => {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
};

/** `a >= b` for CNI version strings. */
export const versionAtLeast = (a: string, b: string): boolean => cmp(a, b) >= 0;

/**
 * Chooses the version to answer in: `cniVersion` when given (it must be supported exactly),
 * else the highest supported entry of `cniVersions`. Throws code 1 when nothing matches.
 */
export function negotiateVersion(cniVersion: string | undefined, cniVersions: readonly string[] | undefined): string {
  const ok = (v: string) => (SUPPORTED_VERSIONS as readonly string[]).includes(v);
  if (cniVersion !== undefined && cniVersion !== '') {
    if (!ok(cniVersion))
      throw new CniError(CniCode.IncompatibleVersion, `incompatible CNI version ${cniVersion}`, `supported: ${SUPPORTED_VERSIONS.join(', ')}`);
    return cniVersion;
  }
  const candidates = (cniVersions ?? []).filter(ok).sort(cmp);
  const best = candidates[candidates.length - 1];
  if (!best)
    throw new CniError(CniCode.IncompatibleVersion, 'no supported version in cniVersion/cniVersions', `supported: ${SUPPORTED_VERSIONS.join(', ')}`);
  return best;
}

/** The minimum version per command (as the Go skel enforces). */
export function requireVersionFor(command: string, version: string): void {
  const min = command === 'CHECK' ? '0.4.0' : command === 'STATUS' || command === 'GC' ? '1.1.0' : undefined;
  if (min && !versionAtLeast(version, min))
    throw new CniError(CniCode.IncompatibleVersion, `${command} needs cniVersion >= ${min}, config has ${version}`);
}
