/**
 * `sextant cluster status`: what the cluster looks like right now, as one model (hosts with
 * their namespaces, addresses and daemons; nodes with pod CIDRs and readiness; running pods) that
 * feeds both the table and the SVG drawing. Reads the state file, the kernel (namespaces,
 * addresses, VXLAN device) and the API (through the forwarder); a part that cannot be read shows
 * as such rather than failing the command.
 */
import { KINDS, type Node, type Pod } from '../controller/api/index.js';
import { clusterClient, socketGet } from './api.js';
import { clusterPaths, type HostRole } from './layout.js';
import { addressesOf, netnsExists } from './netns.js';
import { isRunning } from './processes.js';
import type { ClusterState } from './state.js';

export interface HostStatus {
  id: string;
  role: HostRole;
  name: string;
  netns: string;
  netnsPresent: boolean;
  ip: string;
  ipPresent: boolean;
  daemons: { id: string; pid: number; running: boolean }[];
  node?: { ready: boolean; podCIDR?: string; taints: string[]; vtep?: string };
}

export interface PodStatus {
  namespace: string;
  name: string;
  node: string;
  ip: string;
  phase: string;
  ready: boolean;
}

export interface ClusterStatus {
  name: string;
  subnet: string;
  underlayNetns: string;
  apiHealthy: boolean;
  apiPort: number | null;
  /** The loopback forwarder in the machine's own namespace. */
  forwarder: { pid: number; running: boolean } | null;
  kubeconfig: string | null;
  clusterCIDR: string;
  serviceCIDR: string;
  hosts: HostStatus[];
  pods: PodStatus[];
  /** Problems met while reading (the API down, ...). */
  notes: string[];
}

export async function readStatus(s: ClusterState): Promise<ClusterStatus> {
  const notes: string[] = [];
  const api = await socketGet(clusterPaths(s.layout).apiSocket, '/readyz');
  let nodes: Node[] = [];
  let pods: Pod[] = [];
  const client = clusterClient(s);
  if (client) {
    try {
      nodes = (await client.list<Node>(KINDS.Node)).items;
      pods = (await client.list<Pod>(KINDS.Pod)).items;
    } catch (err) {
      notes.push(`API not readable through 127.0.0.1:${s.apiPort}: ${(err as Error).message}`);
    } finally {
      client.close();
    }
  }
  const hosts: HostStatus[] = [];
  for (const h of s.layout.hosts) {
    const present = netnsExists(h.netns);
    const addrs = present ? await addressesOf(h.netns, 'eth0') : [];
    const n = nodes.find((x) => x.metadata.name === h.nodeName);
    hosts.push({
      id: h.id,
      role: h.role,
      name: h.nodeName ?? 'outside',
      netns: h.netns,
      netnsPresent: present,
      ip: h.ip,
      ipPresent: addrs.includes(h.ip),
      daemons: s.processes.filter((p) => p.host === h.id).map((p) => ({ id: p.id, pid: p.pid, running: isRunning(p) })),
      ...(h.nodeName
        ? {
            node: {
              ready: !!n && (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
              ...(n?.spec?.podCIDR ? { podCIDR: n.spec.podCIDR } : {}),
              taints: (n?.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`),
              ...(n?.metadata.annotations?.['sextant.dev/vtep-mac'] ? { vtep: n.metadata.annotations['sextant.dev/vtep-mac'] } : {}),
            },
          }
        : {}),
    });
  }
  return {
    name: s.name,
    subnet: s.layout.subnet,
    underlayNetns: s.layout.underlayNetns,
    apiHealthy: api.code === 200,
    apiPort: s.apiPort,
    forwarder: ((f) => (f ? { pid: f.pid, running: isRunning(f) } : null))(s.processes.find((p) => p.id === 'forwarder')),
    kubeconfig: s.kubeconfig,
    clusterCIDR: s.layout.clusterCIDR,
    serviceCIDR: s.layout.serviceCIDR,
    hosts,
    pods: pods
      .filter((p) => p.spec?.nodeName)
      .map((p) => ({
        namespace: p.metadata.namespace ?? 'default',
        name: p.metadata.name ?? '',
        node: p.spec!.nodeName!,
        ip: p.status?.podIP ?? '',
        phase: p.status?.phase ?? 'Pending',
        ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      })),
    notes,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd()).join('\n');
}

/** The readable form: a header, the hosts table, then pods per node. */
export function formatStatus(st: ClusterStatus): string {
  const out = [
    `cluster "${st.name}": underlay ${st.subnet} (switch: netns ${st.underlayNetns}), pods ${st.clusterCIDR}, services ${st.serviceCIDR}`,
    `API: ${st.apiHealthy ? 'healthy' : 'NOT healthy'}${st.apiPort ? ` — kubectl via 127.0.0.1:${st.apiPort} (forwarder ${st.forwarder?.running ? `pid ${st.forwarder.pid}` : 'NOT running'})` : ''}`,
    ...(st.kubeconfig ? [`KUBECONFIG=${st.kubeconfig}`] : []),
    '',
  ];
  const rows = [['HOST', 'ROLE', 'NETNS', 'ADDRESS', 'POD CIDR', 'NODE', 'DAEMONS']];
  for (const h of st.hosts) {
    const health = !h.netnsPresent ? 'netns missing' : !h.ipPresent ? 'address missing' : h.node ? (h.node.ready ? 'Ready' : 'NotReady') : 'up';
    const daemons = h.daemons.map((d) => `${d.id.replace(/\/.*/, '')}:${d.running ? d.pid : 'DEAD'}`).join(' ') || '-';
    rows.push([h.name, h.role, h.netns, h.ip, h.node?.podCIDR ?? '-', health, daemons]);
  }
  out.push(table(rows));
  if (st.pods.length > 0) {
    out.push('', table([['POD', 'NODE', 'IP', 'STATUS'], ...st.pods.map((p) => [`${p.namespace}/${p.name}`, p.node, p.ip || '-', p.ready ? 'Ready' : p.phase])]));
  }
  for (const n of st.notes) out.push('', `note: ${n}`);
  return out.join('\n');
}
