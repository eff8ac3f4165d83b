import type { Node } from '../../controller/api/index.js';
import {
  ANNOTATION_BACKEND_DATA,
  ANNOTATION_BACKEND_TYPE,
  ANNOTATION_PUBLIC_IP,
  ANNOTATION_VTEP_MAC,
  BACKEND_TYPE,
} from './names.js';
import { cidrContains, formatCidr4, parseCidr4, parseIp4, type Cidr4 } from './ipv4.js';

/** What the overlay needs to know about another node to reach its pods. */
export interface OverlayPeer {
  name: string;
  /** The peer's pod CIDR, normalised (`10.244.2.0/24`). */
  podCIDR: string;
  vtepMac: string;
  /** The peer's underlay address: VXLAN frames for its pods go there. */
  publicIp: string;
}

/** A node the overlay cannot program yet, and why (logged, not fatal). */
export interface SkippedNode {
  name: string;
  reason: string;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The InternalIP the node reports (what kube components call the node address). */
export function internalIpOf(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/**
 * Turns the Node list into the peer set of node `self`: every other node with a pod CIDR inside
 * the cluster CIDR, a VTEP MAC, an underlay address and the same backend (type and VNI). Nodes
 * being deleted are dropped at once, as flannel drops a lease that expired.
 */
export function peersFromNodes(self: string, nodes: readonly Node[], opts: { network: string; vni: number }): { peers: OverlayPeer[]; skipped: SkippedNode[] } {
  const network = parseCidr4(opts.network);
  const peers: OverlayPeer[] = [];
  const skipped: SkippedNode[] = [];
  const seenCidrs = new Map<string, string>();
  for (const n of [...nodes].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))) {
    const name = n.metadata.name ?? '';
    if (name === self || !name) continue;
    const skip = (reason: string) => skipped.push({ name, reason });
    if (n.metadata.deletionTimestamp) {
      skip('being deleted');
      continue;
    }
    const ann = n.metadata.annotations ?? {};
    const cidr = n.spec?.podCIDR ? parseCidr4(n.spec.podCIDR) : null;
    if (!cidr) {
      skip(n.spec?.podCIDR ? `spec.podCIDR ${n.spec.podCIDR}: not an IPv4 CIDR` : 'no spec.podCIDR yet');
      continue;
    }
    if (network && !cidrContains(network, cidr)) {
      skip(`spec.podCIDR ${n.spec?.podCIDR}: outside the cluster CIDR ${opts.network}`);
      continue;
    }
    if ((ann[ANNOTATION_BACKEND_TYPE] ?? BACKEND_TYPE) !== BACKEND_TYPE) {
      skip(`backend ${ann[ANNOTATION_BACKEND_TYPE]}: not ${BACKEND_TYPE}`);
      continue;
    }
    const vni = backendVni(ann[ANNOTATION_BACKEND_DATA]);
    if (vni !== undefined && vni !== opts.vni) {
      skip(`VNI ${vni} differs from ours (${opts.vni})`);
      continue;
    }
    const mac = (ann[ANNOTATION_VTEP_MAC] ?? '').toLowerCase();
    if (!MAC_RE.test(mac)) {
      skip(mac ? `${ANNOTATION_VTEP_MAC} ${mac}: not a MAC address` : `no ${ANNOTATION_VTEP_MAC} annotation yet`);
      continue;
    }
    const ip = ann[ANNOTATION_PUBLIC_IP] ?? internalIpOf(n);
    if (!ip || parseIp4(ip) === null) {
      skip('no underlay address (public-ip annotation or InternalIP)');
      continue;
    }
    const podCIDR = formatCidr4(cidr);
    const clash = seenCidrs.get(podCIDR);
    if (clash) {
      skip(`pod CIDR ${podCIDR} is also claimed by ${clash}`);
      continue;
    }
    seenCidrs.set(podCIDR, name);
    peers.push({ name, podCIDR, vtepMac: mac, publicIp: ip });
  }
  return { peers, skipped };
}

function backendVni(data: string | undefined): number | undefined {
  if (!data) return undefined;
  try {
    const v = (JSON.parse(data) as { vni?: unknown }).vni;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The address the VXLAN device carries and peers point their neighbour entry at: the pod CIDR's network address. */
export function vtepAddressOf(podCIDR: Cidr4): string {
  return formatCidr4({ base: podCIDR.base, bits: 32 }).replace('/32', '');
}
