import type { FdbSpec, NeighbourSpec, NetlinkOp, RouteSpec } from '../../kernel/netlink/types.js';
import { cidrContains, cidrContainsIp, formatCidr4, parseCidr4, parseIp4 } from './ipv4.js';
import type { OverlayPeer } from './peers.js';
import { vtepAddressOf } from './peers.js';

/** The neighbour, FDB and route entries the node should have for its peers. */
export interface OverlayEntries {
  neighbours: NeighbourSpec[];
  fdb: FdbSpec[];
  routes: RouteSpec[];
}

export interface DesiredOptions {
  /** The VXLAN device. */
  device: string;
  /** Route straight to peers on the same underlay subnet instead of encapsulating. */
  directRouting: boolean;
  /** This node's underlay CIDR (`10.0.0.2/24`) and device, for direct routing. */
  underlay?: { cidr: string; device: string };
}

/**
 * Per peer, as flannel's vxlan backend does: a permanent neighbour entry (peer VTEP address →
 * VTEP MAC), an FDB entry (VTEP MAC → peer underlay IP) and an onlink route for the peer's pod
 * CIDR via its VTEP address. With direct routing, a peer on the same underlay subnet gets only a
 * route via its underlay address.
 */
export function desiredEntries(peers: readonly OverlayPeer[], o: DesiredOptions): OverlayEntries {
  const out: OverlayEntries = { neighbours: [], fdb: [], routes: [] };
  const under = o.directRouting && o.underlay ? parseCidr4(o.underlay.cidr) : null;
  for (const p of peers) {
    const cidr = parseCidr4(p.podCIDR)!;
    const pub = parseIp4(p.publicIp);
    if (under && pub !== null && cidrContainsIp(under, pub)) {
      out.routes.push({ dst: formatCidr4(cidr), gw: p.publicIp, link: o.underlay!.device });
      continue;
    }
    const vtep = vtepAddressOf(cidr);
    out.neighbours.push({ link: o.device, ip: vtep, mac: p.vtepMac, permanent: true });
    out.fdb.push({ link: o.device, mac: p.vtepMac, dst: p.publicIp, permanent: true });
    out.routes.push({ dst: formatCidr4(cidr), gw: vtep, link: o.device, onlink: true });
  }
  return out;
}

/**
 * Which observed routes the overlay owns: gateway routes into the cluster CIDR other than the
 * node's own pod CIDR (connected routes have no gateway and belong to the CNI bridge).
 */
export function ownedRoutes(routes: readonly RouteSpec[], network: string, ownPodCIDR: string): RouteSpec[] {
  const net = parseCidr4(network);
  const own = parseCidr4(ownPodCIDR);
  return routes.filter((r) => {
    const c = parseCidr4(r.dst);
    if (!net || !c || !r.gw) return false;
    if (own && c.base === own.base && c.bits === own.bits) return false;
    return cidrContains(net, c);
  });
}

const sameRoute = (a: RouteSpec, b: RouteSpec) =>
  a.dst === b.dst && a.gw === b.gw && (a.link ?? '') === (b.link ?? '') && Boolean(a.onlink) === Boolean(b.onlink);

/**
 * The netlink ops that turn `observed` into `desired`: stale routes, FDB and neighbour entries
 * go first (so traffic never follows an old MAC or address), then neighbours, FDB entries and
 * routes are added in flannel's order (a route never points at a VTEP the kernel cannot resolve).
 * Entries already right produce no op, so a converged node plans nothing.
 */
export function planEntries(desired: OverlayEntries, observed: OverlayEntries): NetlinkOp[] {
  const ops: NetlinkOp[] = [];
  const wantRoute = new Map(desired.routes.map((r) => [r.dst, r]));
  const haveRoute = new Map<string, RouteSpec[]>();
  for (const r of observed.routes) haveRoute.set(r.dst, [...(haveRoute.get(r.dst) ?? []), r]);
  for (const [dst, rs] of haveRoute) if (!wantRoute.has(dst)) for (const r of rs) ops.push({ op: 'route.del', route: r });

  const fdbKey = (f: FdbSpec) => `${f.link}|${f.mac.toLowerCase()}|${f.dst}`;
  const wantFdb = new Set(desired.fdb.map(fdbKey));
  const haveFdb = new Set(observed.fdb.map(fdbKey));
  for (const f of observed.fdb) if (!wantFdb.has(fdbKey(f))) ops.push({ op: 'fdb.del', fdb: f });

  const neighKey = (n: NeighbourSpec) => `${n.link}|${n.ip}`;
  const wantNeigh = new Map(desired.neighbours.map((n) => [neighKey(n), n]));
  const haveNeigh = new Map(observed.neighbours.map((n) => [neighKey(n), n]));
  for (const [k, n] of haveNeigh) if (!wantNeigh.has(k)) ops.push({ op: 'neigh.del', neigh: n });
  for (const [k, n] of wantNeigh) {
    const h = haveNeigh.get(k);
    if (!h || h.mac.toLowerCase() !== n.mac.toLowerCase() || h.permanent === false) ops.push({ op: 'neigh.replace', neigh: n });
  }
  for (const f of desired.fdb) if (!haveFdb.has(fdbKey(f))) ops.push({ op: 'fdb.append', fdb: f });
  for (const r of desired.routes) {
    const have = haveRoute.get(r.dst) ?? [];
    if (have.length === 1 && sameRoute(have[0]!, r)) continue;
    for (const extra of have.slice(1)) ops.push({ op: 'route.del', route: extra });
    ops.push({ op: 'route.replace', route: r });
  }
  return ops;
}
