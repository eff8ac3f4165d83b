/**
 * Writes the kubeconfig `sextant server --write-kubeconfig` leaves for kubectl and the daemons:
 * one cluster, one user, one context. Plain http on loopback in this issue, so no credentials.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export function kubeconfigText(server: string, name = 'sextant'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server } }],
    users: [{ name: `${name}-admin`, user: {} }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

/** Atomic write (temp file + rename), mode 0600. */
export function writeKubeconfig(path: string, server: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, kubeconfigText(server), { mode: 0o600 });
  renameSync(tmp, path);
}
