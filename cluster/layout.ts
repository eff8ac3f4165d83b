/**
 * The local cluster's layout as data: which hosts exist, their network namespaces, underlay
 * addresses, node names, and every path the cluster uses. Pure: `cluster up` creates what the
 * layout names, `cluster down` removes it, status and SVG read it. Every namespace and path
 * carries the cluster name, so clusters with different names live side by side.
 */
import { z } from 'zod';
import { ClusterError } from './errors.js';

/** A short DNS label: it becomes part of namespace, node and file names (`sx-<name>-w2`). */
export const clusterNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,14}[a-z0-9]$|^[a-z]$/, 'must be 1-16 lowercase letters, digits or dashes, starting with a letter');

export type HostRole = 'control-plane' | 'worker' | 'outside';

/** One machine of the local cluster, played by a network namespace joined to the underlay. */
export interface HostLayout {
  /** Short id used in namespace and link names and by `cluster exec`: cp, w1, w2, out. */
  id: string;
  role: HostRole;
  /** The host's network namespace (`ip netns` name). */
  netns: string;
  /** Underlay address (no prefix). */
  ip: string;
  /** The Kubernetes Node name; absent for `outside`. */
  nodeName?: string;
  /** The veth end inside the underlay namespace (enslaved to its bridge). */
  underlayPort: string;
}

export interface ClusterLayout {
  name: string;
  /** Underlay subnet, e.g. 172.28.0.0/24. */
  subnet: string;
  prefixLength: number;
  /** The namespace holding the underlay bridge (the "switch"). */
  underlayNetns: string;
  bridge: string;
  hosts: HostLayout[];
  /** Pod network of the cluster and the service range (what the controllers use). */
  clusterCIDR: string;
  serviceCIDR: string;
  dnsServiceIP: string;
  apiServerPort: number;
  stateDir: string;
  dataDir: string;
}

export interface LayoutOptions {
  name: string;
  /** Nodes in total, the control plane included (as minikube's `--nodes`). */
  nodes: number;
  subnet?: string;
  stateRoot?: string;
  dataRoot?: string;
}

export const DEFAULT_SUBNET = '172.28.0.0/24';
export const STATE_ROOT = '/run/sextant';
export const DATA_ROOT = '/var/lib/sextant/clusters';

function parseV4(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new ClusterError('CLUSTER_HOST_SETUP', `--subnet: ${ip} is not an IPv4 address`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

const formatV4 = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** Kind-style node names: `<name>-control-plane`, `<name>-worker`, `<name>-worker2`, ... */
export function nodeNameFor(cluster: string, index: number): string {
  if (index === 0) return `${cluster}-control-plane`;
  return index === 1 ? `${cluster}-worker` : `${cluster}-worker${index}`;
}

/** The namespace of host `id` of cluster `name`. */
export const netnsName = (name: string, id: string): string => `sx-${name}-${id}`;

/** Plans the cluster; throws a ClusterError naming the flag when the options cannot work. */
export function planLayout(o: LayoutOptions): ClusterLayout {
  const name = clusterNameSchema.safeParse(o.name);
  if (!name.success) throw new ClusterError('CLUSTER_INVALID_NAME', `--name: ${name.error.issues[0]?.message ?? 'invalid'}`);
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 50) throw new ClusterError('CLUSTER_HOST_SETUP', '--nodes: must be 1-50');
  const subnet = o.subnet ?? DEFAULT_SUBNET;
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(subnet);
  const prefixLength = m ? Number(m[2]) : NaN;
  if (!m || prefixLength < 16 || prefixLength > 28) throw new ClusterError('CLUSTER_HOST_SETUP', `--subnet: ${subnet} must be an IPv4 CIDR with a prefix of /16 to /28`);
  const size = 2 ** (32 - prefixLength);
  const base = (parseV4(m[1]!) & ~(size - 1)) >>> 0;
  if (o.nodes + 3 > size - 2) throw new ClusterError('CLUSTER_HOST_SETUP', `--subnet: ${subnet} is too small for ${o.nodes} nodes`);
  const hosts: HostLayout[] = [];
  for (let i = 0; i < o.nodes; i++) {
    const id = i === 0 ? 'cp' : `w${i}`;
    hosts.push({ id, role: i === 0 ? 'control-plane' : 'worker', netns: netnsName(o.name, id), ip: formatV4((base + 2 + i) >>> 0), nodeName: nodeNameFor(o.name, i), underlayPort: id });
  }
  hosts.push({ id: 'out', role: 'outside', netns: netnsName(o.name, 'out'), ip: formatV4((base + size - 2) >>> 0), underlayPort: 'out' });
  return {
    name: o.name,
    subnet: `${formatV4(base >>> 0)}/${prefixLength}`,
    prefixLength,
    underlayNetns: netnsName(o.name, 'ul'),
    bridge: 'br0',
    hosts,
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    dnsServiceIP: '10.96.0.10',
    apiServerPort: 6443,
    stateDir: `${o.stateRoot ?? STATE_ROOT}/${o.name}`,
    dataDir: `${o.dataRoot ?? DATA_ROOT}/${o.name}`,
  };
}

/** Every file location of a cluster, derived from its state and data dirs. */
export function clusterPaths(l: Pick<ClusterLayout, 'stateDir' | 'dataDir'>) {
  return {
    stateFile: `${l.stateDir}/state.json`,
    apiSocket: `${l.stateDir}/api.sock`,
    /** Administrator credential for kubectl in the root namespace: the loopback forwarder. */
    kubeconfig: `${l.stateDir}/kubeconfig`,
    /** The DNS add-on's credential (system:coredns) for pods: the `kubernetes` service's cluster IP. */
    podKubeconfig: `${l.stateDir}/kubeconfig.dns`,
    serverData: `${l.dataDir}/server`,
    logs: `${l.dataDir}/logs`,
    nodeState: (node: string) => `${l.stateDir}/nodes/${node}`,
    nodeData: (node: string) => `${l.dataDir}/nodes/${node}`,
    /** The node agent's `--state-dir`: its pod records (`pods/<uid>.json`). */
    nodeAgentState: (node: string) => `${l.dataDir}/nodes/${node}/state`,
  };
}

/** The host a user names in `cluster exec`: `outside`, a node name, or a host id (cp, w1). */
export function findHost(l: Pick<ClusterLayout, 'hosts'>, name: string): HostLayout | undefined {
  return l.hosts.find((h) => h.nodeName === name || h.id === name || (name === 'outside' && h.role === 'outside') || (name === 'control-plane' && h.role === 'control-plane'));
}
