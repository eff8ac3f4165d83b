/**
 * Role credentials: kubeconfigs that carry the cluster CA and a client certificate for one
 * identity, written 0600 into `<data-dir>/credentials/`. `sextant server` writes one per role
 * (admin, viewer, proxy, dns) and per `--node-credentials` name (with the node agent's serving
 * certificate, `node-<name>-serving.crt`/`.key`, see kubelet-client.ts); the local cluster can call
 * `writeNodeKubeconfig` for the nodes it adds.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { SERVERS_EXTENSION } from '../api/kubeconfig.js';
import { writeKubeletServingCredential } from './kubelet-client.js';
import { issueCertificate, writeSecretFile, type Pki } from './pki.js';

export interface Identity {
  user: string;
  groups: string[];
}

export const ROLE_IDENTITIES = {
  admin: { user: 'kubernetes-admin', groups: ['system:masters'] },
  viewer: { user: 'sextant:viewer', groups: ['sextant:viewers'] },
  proxy: { user: 'system:kube-proxy', groups: ['sextant:proxies'] },
  dns: { user: 'system:coredns', groups: ['sextant:dns'] },
} as const satisfies Record<string, Identity>;

export const nodeIdentity = (node: string): Identity => ({ user: `system:node:${node}`, groups: ['system:nodes'] });

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * Where a kubeconfig points: one URL, or the URL kubectl uses plus every server of an HA control
 * plane (listed in the `sextant.io/servers` cluster extension; Sextant's clients fail over).
 */
export type KubeconfigTarget = string | { server: string; servers: readonly string[] };

function clusterEntry(target: KubeconfigTarget, caPem: string): Record<string, unknown> {
  const cluster: Record<string, unknown> = { server: typeof target === 'string' ? target : target.server, 'certificate-authority-data': b64(caPem) };
  if (typeof target !== 'string') {
    const all = [...new Set([target.server, ...target.servers])];
    if (all.length > 1) cluster.extensions = [{ name: SERVERS_EXTENSION, extension: { servers: all } }];
  }
  return cluster;
}

/** Kubeconfig text for `server` with the CA and the given credential (client cert or token). */
export function credentialKubeconfig(o: { server: KubeconfigTarget; caPem: string; user: string; cert?: { certPem: string; keyPem: string }; token?: string; name?: string; namespace?: string }): string {
  const name = o.name ?? 'sextant';
  const user: Record<string, string> = {};
  if (o.cert) {
    user['client-certificate-data'] = b64(o.cert.certPem);
    user['client-key-data'] = b64(o.cert.keyPem);
  }
  if (o.token) user.token = o.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: clusterEntry(o.server, o.caPem) }],
    users: [{ name: o.user, user }],
    contexts: [{ name, context: { cluster: name, user: o.user, namespace: o.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

/** Kubeconfig for in-cluster clients: the mounted service-account token and CA, re-read as they rotate. */
export function inClusterKubeconfig(server: string, dir = '/var/run/secrets/kubernetes.io/serviceaccount'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'in-cluster', cluster: { server, 'certificate-authority': `${dir}/ca.crt` } }],
    users: [{ name: 'service-account', user: { tokenFile: `${dir}/token` } }],
    contexts: [{ name: 'in-cluster', context: { cluster: 'in-cluster', user: 'service-account' } }],
    'current-context': 'in-cluster',
  });
}

/** Issues a client certificate for `id` and writes its kubeconfig to `path` (0600). */
export function writeIdentityKubeconfig(pki: Pick<Pki, 'caKey' | 'caCertPem'>, path: string, server: KubeconfigTarget, id: Identity): void {
  const cert = issueCertificate(pki, { commonName: id.user, organizations: id.groups, usage: 'client' });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeSecretFile(path, credentialKubeconfig({ server, caPem: pki.caCertPem, user: id.user, cert }));
}

/** `credentials/<role>.kubeconfig` for each role and `credentials/node-<name>.kubeconfig` per node. */
export function writeRoleCredentials(pki: Pick<Pki, 'caKey' | 'caCertPem'>, dataDir: string, server: KubeconfigTarget, nodes: readonly string[] = []): Record<string, string> {
  const dir = join(dataDir, 'credentials');
  const written: Record<string, string> = {};
  for (const [role, id] of Object.entries(ROLE_IDENTITIES)) {
    const p = join(dir, `${role}.kubeconfig`);
    writeIdentityKubeconfig(pki, p, server, { user: id.user, groups: [...id.groups] });
    written[role] = p;
  }
  for (const n of nodes) {
    const p = join(dir, `node-${n}.kubeconfig`);
    // the node agent's serving certificate first: whoever waits for the kubeconfig then finds both
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeKubeletServingCredential(pki, dir, n);
    writeIdentityKubeconfig(pki, p, server, nodeIdentity(n));
    written[`node-${n}`] = p;
  }
  return written;
}
