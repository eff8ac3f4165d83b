/**
 * The one interface to the kernel's link, address, route, neighbour and FDB tables (rtnetlink).
 * Roles never talk to netlink directly: the CNI plugin and the overlay daemon build plain data
 * (the types below) and hand them to a `Netlink` opened in the network namespace they target.
 * Implementations: `native.ts` (the CNI plugin's native helper, any namespace via setns),
 * `ip-command.ts` (iproute2, any namespace, no native code),
 * `socket.ts` (the `netlink` npm package, the caller's own namespace, for long-lived daemons),
 * `fake.ts` (in memory, enforcing the kernel's rules for unit tests).
 */

/** A link as the kernel reports it. */
export interface LinkInfo {
  index: number;
  name: string;
  kind: string | undefined;
  mac: string;
  mtu: number;
  up: boolean;
  /** Name of the bridge this link is a port of. */
  master: string | undefined;
  promisc: boolean;
}

export type LinkSpec =
  | { kind: 'bridge'; name: string; mtu?: number; mac?: string }
  | {
      kind: 'veth';
      name: string;
      mtu?: number;
      mac?: string;
      /** The other end; created directly inside `netnsPath` when given. */
      peer: { name: string; mac?: string; netnsPath?: string };
    }
  | {
      kind: 'vxlan';
      name: string;
      vni: number;
      /** UDP port; 0 picks the kernel default (8472). */
      port?: number;
      local?: string;
      /** Underlay device the tunnel sends through. */
      device?: string;
      learning?: boolean;
      mtu?: number;
      mac?: string;
    };

/** Changes to an existing link; absent fields stay as they are. */
export interface LinkChange {
  up?: boolean;
  mtu?: number;
  master?: string;
  promisc?: boolean;
  /** Bridge-port hairpin (reflective relay), for pods reaching themselves through a service. */
  hairpin?: boolean;
  name?: string;
}

export interface AddressInfo {
  link: string;
  /** CIDR notation: `10.244.1.5/24`. */
  cidr: string;
}

export interface RouteSpec {
  /** CIDR, `default` for 0.0.0.0/0. */
  dst: string;
  gw?: string;
  link?: string;
  /** `onlink`: the gateway is reachable on the link even without a matching prefix (VXLAN). */
  onlink?: boolean;
  scope?: 'global' | 'link' | 'host';
  mtu?: number;
  metric?: number;
}

export interface NeighbourSpec {
  link: string;
  ip: string;
  mac: string;
  /** `permanent` entries never age (flannel-style static ARP for VTEPs). */
  permanent?: boolean;
}

export interface FdbSpec {
  link: string;
  mac: string;
  /** Remote VTEP address the frames for `mac` are sent to. */
  dst: string;
  permanent?: boolean;
}

/** One change, as data: a plan is a list of these applied in order. */
export type NetlinkOp =
  | { op: 'link.add'; link: LinkSpec }
  | { op: 'link.set'; name: string; change: LinkChange }
  | { op: 'link.del'; name: string }
  | { op: 'addr.add'; addr: AddressInfo }
  | { op: 'addr.del'; addr: AddressInfo }
  /** Adds the address, or refreshes it when present: idempotent, never "exists". */
  | { op: 'addr.replace'; addr: AddressInfo }
  | { op: 'route.add'; route: RouteSpec }
  | { op: 'route.replace'; route: RouteSpec }
  | { op: 'route.del'; route: RouteSpec }
  | { op: 'neigh.replace'; neigh: NeighbourSpec }
  | { op: 'neigh.del'; neigh: NeighbourSpec }
  | { op: 'fdb.append'; fdb: FdbSpec }
  | { op: 'fdb.del'; fdb: FdbSpec };

/** Why a netlink operation failed, in the kernel's terms. */
export type NetlinkErrorKind = 'exists' | 'not-found' | 'invalid' | 'other';

/** A failed operation: which op (by position in the plan) and the kernel's reason. */
export class NetlinkError extends Error {
  constructor(
    readonly kind: NetlinkErrorKind,
    message: string,
    /**
     * Index in the applied plan of the first op that failed; earlier ops took effect. Later ops
     * may have too (the native handle sends an op batch in one datagram, up to a link creation),
     * so a caller rolls the whole plan back.
     */
    readonly failedOp: number,
  ) {
    super(message);
    this.name = 'NetlinkError';
  }
}

/** A rtnetlink handle bound to one network namespace. */
export interface Netlink {
  /** The namespace path this handle works in; undefined means the caller's own. */
  readonly netnsPath: string | undefined;
  /**
   * Applies `ops` in order and stops at the first failure (NetlinkError.failedOp tells which);
   * ops before it stay applied, so the caller can roll back exactly what happened. Then reports
   * the links named in `readBack`, in that order — in the same kernel round trip where the
   * implementation can, which saves a process on the CNI hot path. A read-back link that does
   * not exist fails with `not-found` and failedOp = ops.length (every op applied).
   */
  apply(ops: readonly NetlinkOp[], readBack?: readonly string[]): Promise<LinkInfo[]>;
  /** The link named `name`, or undefined when there is none. */
  getLink(name: string): Promise<LinkInfo | undefined>;
  listLinks(): Promise<LinkInfo[]>;
  /** IPv4 addresses, of one link or all. */
  listAddresses(link?: string): Promise<AddressInfo[]>;
  /** IPv4 routes of the main table. */
  listRoutes(): Promise<RouteSpec[]>;
  listNeighbours(link: string): Promise<NeighbourSpec[]>;
  listFdb(link: string): Promise<FdbSpec[]>;
  close(): void;
}
