import type { LinkInfo, NetlinkOp } from '../../kernel/netlink/types.js';
import type { CniIp, CniRoute } from './result.js';

/** Everything ADD decided about one attachment, before touching the kernel. */
export interface AttachSpec {
  bridge: string;
  /** The bridge as found, or undefined when ADD must create it. */
  existingBridge: LinkInfo | undefined;
  bridgeAddresses: string[];
  bridgeMac: string;
  hostVeth: string;
  hostMac: string;
  podIfName: string;
  podMac: string;
  netns: string;
  mtu: number;
  isGateway: boolean;
  isDefaultGateway: boolean;
  hairpin: boolean;
  promisc: boolean;
  ips: CniIp[];
  routes: CniRoute[];
}

/** Gateway addresses the bridge carries: each IP's gateway with the IP's prefix length. */
export function gatewayCidrs(ips: readonly CniIp[]): string[] {
  return [...new Set(ips.filter((ip) => ip.gateway).map((ip) => `${ip.gateway}/${ip.address.split('/')[1]}`))];
}

/**
 * Bridge ops: create it (once per node), bring it up, give it the gateway addresses, promisc.
 * Empty when the bridge is already as wanted — the common case, costing no kernel call.
 */
export function bridgePlan(s: AttachSpec): NetlinkOp[] {
  const ops: NetlinkOp[] = [];
  if (!s.existingBridge) {
    ops.push({ op: 'link.add', link: { kind: 'bridge', name: s.bridge, mtu: s.mtu, mac: s.bridgeMac } });
  }
  if (!s.existingBridge?.up) ops.push({ op: 'link.set', name: s.bridge, change: { up: true } });
  if (s.isGateway) {
    const have = new Set(s.bridgeAddresses.map((a) => a.split('/')[0]));
    for (const cidr of gatewayCidrs(s.ips)) if (!have.has(cidr.split('/')[0])) ops.push({ op: 'addr.add', addr: { link: s.bridge, cidr } });
  }
  if (s.promisc && !s.existingBridge?.promisc) ops.push({ op: 'link.set', name: s.bridge, change: { promisc: true } });
  return ops;
}

/** Veth ops: the pair with its pod end created directly in the netns, the host end on the bridge. */
export function vethPlan(s: AttachSpec): NetlinkOp[] {
  const ops: NetlinkOp[] = [];
  ops.push({
    op: 'link.add',
    link: { kind: 'veth', name: s.hostVeth, mtu: s.mtu, mac: s.hostMac, peer: { name: s.podIfName, mac: s.podMac, netnsPath: s.netns } },
  });
  ops.push({ op: 'link.set', name: s.hostVeth, change: { master: s.bridge, up: true } });
  if (s.hairpin) ops.push({ op: 'link.set', name: s.hostVeth, change: { hairpin: true } });
  return ops;
}

/** Pod-side ops: lo up, the address, the link up, the routes (default via the gateway). */
export function podPlan(s: AttachSpec): NetlinkOp[] {
  const ops: NetlinkOp[] = [{ op: 'link.set', name: 'lo', change: { up: true } }];
  for (const ip of s.ips) ops.push({ op: 'addr.add', addr: { link: s.podIfName, cidr: ip.address } });
  ops.push({ op: 'link.set', name: s.podIfName, change: { up: true } });
  const gw = s.ips.find((ip) => ip.gateway)?.gateway;
  for (const r of s.routes) {
    const via = r.gw ?? gw;
    ops.push({ op: 'route.add', route: { dst: r.dst, link: s.podIfName, ...(via ? { gw: via } : {}) } });
  }
  return ops;
}

/** The routes the result reports: IPAM's, plus the default route when isDefaultGateway. */
export function resultRoutes(ipamRoutes: readonly CniRoute[], ips: readonly CniIp[], isDefaultGateway: boolean): CniRoute[] {
  const out = ipamRoutes.map((r) => ({ ...r }));
  const gw = ips.find((ip) => ip.gateway)?.gateway;
  if (isDefaultGateway && gw && !out.some((r) => r.dst === '0.0.0.0/0')) out.push({ dst: '0.0.0.0/0', gw });
  return out;
}
