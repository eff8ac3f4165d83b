import type { NetlinkOp } from '../../kernel/netlink/types.js';
import type { CniIp, CniRoute } from './result.js';

/** Everything ADD decided about one attachment, before touching the kernel. */
export interface AttachSpec {
  bridge: string;
  /** MAC for the bridge if ADD has to create it (a bridge keeps a fixed MAC this way). */
  bridgeMac: string;
  /** Gateway addresses the bridge carries when isGateway (`10.244.1.1/24`). */
  gatewayCidrs: string[];
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

/** Gateway addresses for IPs: each IP's gateway with the IP's prefix length. */
export function gatewayCidrs(ips: readonly CniIp[]): string[] {
  return [...new Set(ips.filter((ip) => ip.gateway).map((ip) => `${ip.gateway}/${ip.address.split('/')[1]}`))];
}

/** Creates the bridge; only run when hostPlan found it missing (once per node). */
export function bridgeCreatePlan(s: AttachSpec): NetlinkOp[] {
  return [{ op: 'link.add', link: { kind: 'bridge', name: s.bridge, mtu: s.mtu, mac: s.bridgeMac } }];
}

/**
 * Host-side ops, idempotent for the bridge part so that every ADD can send them blindly in one
 * batch: bridge up (fails `not-found` when the bridge is missing — the caller then creates it
 * and retries), gateway addresses via `addr replace`, promisc, then the veth with its pod end
 * created directly in the netns, and the host end on the bridge.
 */
export function hostPlan(s: AttachSpec): NetlinkOp[] {
  const ops: NetlinkOp[] = [{ op: 'link.set', name: s.bridge, change: s.promisc ? { up: true, promisc: true } : { up: true } }];
  if (s.isGateway) for (const cidr of s.gatewayCidrs) ops.push({ op: 'addr.replace', addr: { link: s.bridge, cidr } });
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
