import { readFileSync } from 'node:fs';
import { createInformer, KINDS, type ApiClient, type Pod, type Service } from '../controller/api/index.js';
import { loadKubeconfig } from '../controller/api/kubeconfig.js';
import type { Logger } from '../daemon/logger.js';
import type { ParsedFlags } from '../daemon/flags.js';
import { NodeAgent } from './agent.js';
import type { nodeFlags } from './flags.js';

/** Builds the node agent from parsed flags; the informers are returned so the caller starts/stops them. */
export function createNodeAgent(f: ParsedFlags<typeof nodeFlags>, client: ApiClient, log: Logger, services = createInformer<Service>(client, KINDS.Service)) {
  const pods = createInformer<Pod>(client, KINDS.Pod, { fieldSelector: `spec.nodeName=${f.nodeName}`, onError: (err) => log.warn('pod watch', { error: err.message }) });
  const agent = new NodeAgent(
    {
      nodeName: f.nodeName, nodeIp: f.nodeIp, netns: f.netns, cniBinDirs: f.cniBinDir, cniConfDir: f.cniConfDir, cniCacheDir: f.cniCacheDir,
      podLogDir: f.podLogDir, stateDir: f.stateDir, clusterDns: f.clusterDns, clusterDomain: f.clusterDomain, port: f.kubeletPort, maxPods: f.maxPods,
      backoffInitialMs: f.crashBackoff, backoffMaxMs: f.crashBackoffMax, leaseRenewMs: 10_000, statusUpdateMs: 60_000,
      ...caOf(f.kubeconfig),
      ...servingOf(f),
    },
    client,
    { pods, services },
    log,
  );
  return { agent, informers: [pods, services] as const };
}

/** The endpoint's serving certificate (`--tls-cert-file`, `--tls-private-key-file`; both or neither). */
function servingOf(f: ParsedFlags<typeof nodeFlags>): { serving?: { cert: string; key: string } } {
  if (!f.tlsCertFile && !f.tlsPrivateKeyFile) return {};
  if (!f.tlsCertFile || !f.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
  return { serving: { cert: readFileSync(f.tlsCertFile, 'utf8'), key: readFileSync(f.tlsPrivateKeyFile, 'utf8') } };
}

/** The CA of the agent's kubeconfig, handed to pods as their service-account `ca.crt`. */
function caOf(kubeconfig: string | undefined): { serviceAccountCa?: string } {
  const ca = loadKubeconfig(kubeconfig).ca;
  return ca ? { serviceAccountCa: ca } : {};
}
