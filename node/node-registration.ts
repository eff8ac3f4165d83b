import os from 'node:os';
import { KINDS, isApiError, type ApiClient, type Lease, type Node } from '../controller/api/index.js';
import type { Logger } from '../daemon/logger.js';
import { SEXTANT_VERSION } from '../cli/version-command.js';

export interface NodeIdentity {
  nodeName: string;
  nodeIp: string;
  /** Port of the agent's HTTP endpoint (logs), published as daemonEndpoints.kubeletEndpoint. */
  port: number;
  maxPods: number;
}

const microTime = () => new Date().toISOString().replace(/Z$/, '000Z');
const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The Node status the agent reports: addresses, capacity, the Ready condition, nodeInfo. */
export function nodeStatus(id: NodeIdentity, prev?: Node): NonNullable<Node['status']> {
  const mem = `${Math.floor(os.totalmem() / 1024)}Ki`;
  const capacity = { cpu: String(os.cpus().length), memory: mem, pods: String(id.maxPods), 'ephemeral-storage': '0' };
  const oldReady = prev?.status?.conditions?.find((c) => c.type === 'Ready');
  const now = nowIso();
  return {
    ...(prev?.status ?? {}),
    addresses: [
      { type: 'InternalIP', address: id.nodeIp },
      { type: 'Hostname', address: id.nodeName },
    ],
    capacity,
    allocatable: capacity,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'sextant node agent is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: oldReady?.status === 'True' && oldReady.lastTransitionTime ? oldReady.lastTransitionTime : now,
      },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: id.port } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: os.release(),
      osImage: `sextant node agent (${os.type()})`,
      containerRuntimeVersion: `sextant-process://${SEXTANT_VERSION}`,
      kubeletVersion: `v1.32.0-sextant.${SEXTANT_VERSION}`,
      kubeProxyVersion: `v1.32.0-sextant.${SEXTANT_VERSION}`,
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
}

/** Creates the Node when missing, else writes its status (labels are added, never removed). */
export async function registerNode(client: ApiClient, id: NodeIdentity, log: Logger): Promise<Node> {
  const labels = { 'kubernetes.io/hostname': id.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch };
  let node: Node;
  try {
    node = await client.get(KINDS.Node, undefined, id.nodeName);
  } catch (err) {
    if (!isApiError(err, 'NotFound')) throw err;
    try {
      node = await client.create(KINDS.Node, { apiVersion: 'v1', kind: 'Node', metadata: { name: id.nodeName, labels }, spec: {}, status: nodeStatus(id) });
      log.info('registered node', { node: id.nodeName, ip: id.nodeIp });
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) throw e;
      node = await client.get(KINDS.Node, undefined, id.nodeName);
    }
  }
  if (Object.entries(labels).some(([k, v]) => node.metadata.labels?.[k] !== v))
    node = await client.patch(KINDS.Node, undefined, id.nodeName, { metadata: { labels } }, 'merge');
  return updateNodeStatus(client, id, node);
}

export function updateNodeStatus(client: ApiClient, id: NodeIdentity, node: Node): Promise<Node> {
  return client.patch(KINDS.Node, undefined, id.nodeName, { status: nodeStatus(id, node) }, 'merge', { subresource: 'status' });
}

/** Creates or renews the node's Lease in kube-node-lease (holder = node, 40 s duration, owned by the Node). */
export async function renewLease(client: ApiClient, id: NodeIdentity, node: Node | undefined): Promise<void> {
  const spec = { holderIdentity: id.nodeName, leaseDurationSeconds: 40, renewTime: microTime() };
  try {
    await client.patch(KINDS.Lease, 'kube-node-lease', id.nodeName, { spec }, 'merge');
  } catch (err) {
    if (!isApiError(err, 'NotFound')) throw err;
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: id.nodeName,
        namespace: 'kube-node-lease',
        ...(node?.metadata.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: id.nodeName, uid: node.metadata.uid }] } : {}),
      },
      spec: { ...spec, acquireTime: spec.renewTime },
    };
    await client.create(KINDS.Lease, lease);
  }
}
