/**
 * The command lines of the cluster's daemons and the per-node CNI installation. One place says
 * how the control plane, the forwarder and each node agent are run, so `cluster up` and
 * `cluster restart` start them identically.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kubeletServingFiles } from '../controller/auth/kubelet-client.js';
import { ClusterError } from './errors.js';
import { clusterPaths, type ClusterLayout, type HostLayout } from './layout.js';
import type { SextantBinary } from './sextant-binary.js';

const execFileP = promisify(execFile);

export function serverArgv(l: ClusterLayout, bin: Pick<SextantBinary, 'node' | 'script'>): string[] {
  const p = clusterPaths(l);
  const cp = l.hosts.find((h) => h.role === 'control-plane')!;
  return [
    bin.node, bin.script, 'server',
    '--data-dir', p.serverData,
    '--listen', `0.0.0.0:${l.apiServerPort}`,
    '--advertise-address', `${cp.ip}:${l.apiServerPort}`,
    '--listen-unix', p.apiSocket,
    '--sqlite-synchronous', 'NORMAL',
    '--cluster-cidr', l.clusterCIDR,
    '--service-cluster-ip-range', l.serviceCIDR,
    // kubectl in the machine's namespace connects to 127.0.0.1 (the forwarder); pods to 10.96.0.1.
    '--tls-san', '127.0.0.1',
    '--node-credentials', l.hosts.filter((h) => h.nodeName).map((h) => h.nodeName!).join(','),
  ];
}

/** The node credential `sextant server --node-credentials` writes (identity system:node:<name>). */
export const nodeKubeconfigPath = (l: ClusterLayout, node: string): string => join(clusterPaths(l).serverData, 'credentials', `node-${node}.kubeconfig`);
/** The node agent's serving certificate and key the server writes beside that kubeconfig. */
export const nodeServingFiles = (l: ClusterLayout, node: string) => kubeletServingFiles(join(clusterPaths(l).serverData, 'credentials'), node);

export function forwarderArgv(l: ClusterLayout, bin: Pick<SextantBinary, 'node' | 'script'>, port: number): string[] {
  return [bin.node, bin.script, 'cluster', 'forward', '--name', l.name, '--socket', clusterPaths(l).apiSocket, '--listen', `127.0.0.1:${port}`];
}

/** Per-node directories: CNI bin and conf dirs, the subnet file, IPAM state, agent data. */
export function nodeDirs(l: ClusterLayout, h: HostLayout) {
  const p = clusterPaths(l);
  const st = p.nodeState(h.nodeName!);
  return {
    cniBin: join(st, 'cni/bin'),
    cniConf: join(st, 'cni/net.d'),
    subnetFile: join(st, 'subnet.env'),
    ipamDir: join(st, 'cni/networks'),
    cniCache: join(st, 'cni/cache'),
    run: st,
    data: p.nodeData(h.nodeName!),
  };
}

export function agentArgv(l: ClusterLayout, h: HostLayout, bin: Pick<SextantBinary, 'node' | 'script'>): string[] {
  const d = nodeDirs(l, h);
  return [
    bin.node, bin.script, 'agent',
    '--kubeconfig', nodeKubeconfigPath(l, h.nodeName!),
    // the endpoint's serving certificate of the cluster CA, written by the server with the kubeconfig
    '--tls-cert-file', nodeServingFiles(l, h.nodeName!).cert,
    '--tls-private-key-file', nodeServingFiles(l, h.nodeName!).key,
    '--node-name', h.nodeName!,
    '--node-ip', h.ip,
    '--netns', h.netns,
    '--cluster-cidr', l.clusterCIDR,
    '--cluster-dns', l.dnsServiceIP,
    '--subnet-file', d.subnetFile,
    // The node's own plugin dir first, then the Debian reference plugins (portmap in the conflist).
    '--cni-bin-dir', `${d.cniBin},/usr/lib/cni`,
    '--cni-conf-dir', d.cniConf,
    '--cni-cache-dir', d.cniCache,
    '--pod-log-dir', join(d.data, 'pods'),
    '--state-dir', clusterPaths(l).nodeAgentState(h.nodeName!),
  ];
}

/**
 * `sextant install-cni` into the node's own dirs (as a DaemonSet's init container would), then
 * points the conflist at this node's subnet file and IPAM directory.
 */
export async function installNodeCni(l: ClusterLayout, h: HostLayout, bin: SextantBinary): Promise<void> {
  const d = nodeDirs(l, h);
  mkdirSync(d.cniBin, { recursive: true });
  mkdirSync(d.cniConf, { recursive: true });
  try {
    await execFileP(bin.node, [bin.script, 'install-cni', '--bin-dir', d.cniBin, '--conf-dir', d.cniConf, '--source', bin.cniPlugin]);
  } catch (err) {
    throw new ClusterError('CLUSTER_PROCESS_FAILED', `install-cni on ${h.nodeName}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`, { cause: err });
  }
  const conf = join(d.cniConf, '10-sextant.conflist');
  const doc = JSON.parse(readFileSync(conf, 'utf8')) as { plugins: Record<string, unknown>[] };
  const first = doc.plugins[0]!;
  first.subnetFile = d.subnetFile;
  first.ipam = { ...(first.ipam as object | undefined), dataDir: d.ipamDir };
  writeFileSync(`${conf}.tmp`, JSON.stringify(doc, null, 2) + '\n');
  renameSync(`${conf}.tmp`, conf);
}
