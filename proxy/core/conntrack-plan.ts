import { usableEndpoints, endpointsKey, type EndpointInfo } from './endpoint.js';
import type { ServicePortInfo, ServicePortName } from './service-port.js';

/** A set of UDP conntrack entries to delete (every given field must match). */
export interface StaleUdpFlow {
  origDst?: string;
  origDstPort?: number;
  replySrc?: string;
}

/** What the UDP service ports looked like before a sync: their info and usable endpoint IPs. */
export type UdpSnapshot = Map<ServicePortName, { info: ServicePortInfo; endpoints: Set<string> }>;

export function snapshotUdp(services: ReadonlyMap<ServicePortName, ServicePortInfo>, endpoints: ReadonlyMap<string, readonly EndpointInfo[]>): UdpSnapshot {
  const out: UdpSnapshot = new Map();
  for (const [spn, info] of services) {
    if (info.protocol !== 'udp') continue;
    out.set(spn, { info, endpoints: new Set(usableEndpoints(endpoints.get(endpointsKey(spn, 'udp')) ?? []).map((e) => e.ip)) });
  }
  return out;
}

const addressesOf = (s: ServicePortInfo): string[] => [...s.clusterIPs, ...s.externalIPs, ...s.loadBalancerIPs];

/**
 * UDP flows that would keep sending datagrams to the wrong place after a sync (conntrack keeps a
 * UDP "connection" alive as long as packets flow): flows whose reply comes from an endpoint that
 * was removed, and — for ports that had no endpoint and now have one — flows created while the
 * packets were being rejected.
 */
export function staleUdpFlows(before: UdpSnapshot, after: UdpSnapshot): StaleUdpFlow[] {
  const out: StaleUdpFlow[] = [];
  for (const [spn, prev] of before) {
    const cur = after.get(spn);
    for (const ip of prev.endpoints) {
      if (cur?.endpoints.has(ip)) continue;
      for (const addr of addressesOf(prev.info)) out.push({ origDst: addr, origDstPort: prev.info.port, replySrc: ip });
      if (prev.info.nodePort > 0) out.push({ origDstPort: prev.info.nodePort, replySrc: ip });
    }
  }
  for (const [spn, cur] of after) {
    if (cur.endpoints.size === 0 || (before.get(spn)?.endpoints.size ?? 0) > 0) continue;
    for (const addr of addressesOf(cur.info)) out.push({ origDst: addr, origDstPort: cur.info.port });
    if (cur.info.nodePort > 0) out.push({ origDstPort: cur.info.nodePort });
  }
  return out;
}
