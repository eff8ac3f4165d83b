import { closeSync, openSync, writeFileSync } from 'node:fs';
import type { SxSys } from '../../native/sxsys.js';
import { openIpNetlink, opToBatchLine } from './ip-command.js';
import {
  addrBody,
  attr,
  errnoKind,
  errnoName,
  getLinkBody,
  hairpinInfo,
  IFF_PROMISC,
  IFF_UP,
  IFLA,
  ifinfomsg,
  linkInfo,
  macBytes,
  message,
  NLM_F,
  NLMSG,
  parseError,
  parseLink,
  routeBody,
  RT_SCOPE,
  RTM,
  splitReplies,
  strAttr,
  u32Attr,
  vethPeer,
  type Reply,
} from './rtnl-codec.js';
import { NetlinkError, type AddressInfo, type FdbSpec, type LinkInfo, type NeighbourSpec, type Netlink, type NetlinkOp, type RouteSpec } from './types.js';

const CLONE_NEWNET = 0x40000000;

/** A kernel NLMSG_ERROR, before it is tied to the op that caused it. */
class KernelError extends Error {
  constructor(
    readonly errno: number,
    text: string | undefined,
  ) {
    super(`${text ? `${text} ` : ''}(${errnoName(errno)})`);
  }
}

/**
 * Runs `fn` with the calling thread inside the network namespace at `path`, and back in its own
 * afterwards. Synchronous on purpose: nothing else (no child process fork, no other callback) can
 * run while the thread is in the other namespace. Sockets opened inside stay bound to it.
 */
export function inNetns<T>(sys: SxSys, path: string, fn: () => T): T {
  let target: number;
  try {
    target = openSync(path, 'r');
  } catch (err) {
    throw new NetlinkError('not-found', `network namespace ${path}: ${(err as Error).message}`, 0);
  }
  const own = openSync('/proc/thread-self/ns/net', 'r');
  try {
    sys.setns(target, CLONE_NEWNET);
    try {
      return fn();
    } finally {
      try {
        sys.setns(own, CLONE_NEWNET);
      } catch (err) {
        // Staying in the pod's namespace would send everything after this to the wrong place.
        process.stderr.write(`sextant: could not return to the own network namespace: ${(err as Error).message}\n`);
        process.exit(70);
      }
    }
  } catch (err) {
    if (err instanceof Error && /^setns/.test(err.message)) throw new NetlinkError('invalid', `network namespace ${path}: ${err.message}`, 0);
    throw err;
  } finally {
    closeSync(own);
    closeSync(target);
  }
}

/**
 * Netlink through the native helper's NETLINK_ROUTE socket (native/sxsys.c), opened in the
 * caller's namespace or, through setns, in `netnsPath`: no child process per plan. Implements the
 * changes the CNI plugin makes (links: bridge and veth, set, del; addresses; routes) and link
 * look-ups; neighbour/FDB changes and vxlan links are the daemons' (socket.ts) and fail here
 * with `invalid`. The table listings (CHECK only) go to iproute2 in the same namespace.
 */
export function openNativeNetlink(sys: SxSys, netnsPath?: string): Netlink {
  const fd = netnsPath ? inNetns(sys, netnsPath, () => sys.nlOpen()) : sys.nlOpen();
  return new NativeNetlink(netnsPath, sys, fd);
}

/**
 * The CNI pod side without a child process: enters `netnsPath`, opens a netlink socket there and
 * writes `sysctls` (/proc/sys/net shows the namespace of the thread that opens it), returns to the
 * own namespace, then applies `ops` through that socket. A failed write rejects with a
 * NetlinkError at failedOp 0 naming the key (nothing of `ops` was applied), as applyInNetns does.
 */
export async function applyInNetnsNative(sys: SxSys, netnsPath: string, ops: readonly NetlinkOp[], sysctls: Readonly<Record<string, string>>): Promise<void> {
  const entries = Object.entries(sysctls);
  for (const [k] of entries)
    if (!/^[a-z0-9_]+(\/[^/\0]+)+$/.test(k) || k.split('/').some((c) => c === '.' || c === '..')) throw new Error(`sysctl key ${k} is not a /proc/sys path`);
  let failed: NetlinkError | undefined;
  const fd = inNetns(sys, netnsPath, () => {
    const sock = sys.nlOpen();
    for (const [k, v] of entries) {
      try {
        writeFileSync(`/proc/sys/${k}`, v);
      } catch (err) {
        failed = new NetlinkError(/ENOENT/.test(String(err)) ? 'not-found' : 'other', `sysctl ${k}: write failed (${(err as Error).message})`, 0);
        break;
      }
    }
    return sock;
  });
  const nl = new NativeNetlink(netnsPath, sys, fd);
  try {
    if (failed) throw failed;
    await nl.apply(ops);
  } finally {
    nl.close();
  }
}

class NativeNetlink implements Netlink {
  private seq = 0;
  private readonly indexes = new Map<string, number>();
  private listing: Netlink | undefined;
  private closed = false;

  constructor(
    readonly netnsPath: string | undefined,
    private readonly sys: SxSys,
    private readonly fd: number,
  ) {}

  /** Sends one request and collects its replies up to the ack (or the single answer of a get). */
  private request(type: number, flags: number, body: Buffer[]): Reply[] {
    const seq = ++this.seq;
    const acked = (flags & NLM_F.ACK) !== 0;
    this.sys.nlSend(this.fd, message(type, flags, seq, body));
    const out: Reply[] = [];
    for (;;) {
      for (const r of splitReplies(this.sys.nlRecv(this.fd))) {
        if (r.seq !== seq) continue;
        if (r.type === NLMSG.ERROR) {
          const e = parseError(r);
          if (e.errno !== 0) throw new KernelError(e.errno, e.text);
          return out;
        }
        if (r.type === NLMSG.DONE) return out;
        out.push(r);
        if (!acked && !(r.flags & NLM_F.MULTI)) return out;
      }
    }
  }

  private change(type: number, flags: number, body: Buffer[]): void {
    this.request(type, flags | NLM_F.ACK, body);
  }

  private index(name: string): number {
    const hit = this.indexes.get(name);
    if (hit !== undefined) return hit;
    const link = this.lookup(name);
    if (!link) throw new KernelError(19, `Cannot find device "${name}"`);
    return link.index;
  }

  private lookup(key: string | number): ReturnType<typeof parseLink> | undefined {
    try {
      const [r] = this.request(RTM.GETLINK, 0, getLinkBody(key));
      if (!r) return undefined;
      const link = parseLink(r.payload);
      this.indexes.set(link.name, link.index);
      return link;
    } catch (err) {
      if (err instanceof KernelError && errnoKind(err.errno) === 'not-found') return undefined;
      throw err;
    }
  }

  private applyOp(op: NetlinkOp): void {
    const create = NLM_F.CREATE | NLM_F.EXCL;
    switch (op.op) {
      case 'link.add': {
        const l = op.link;
        const common = [strAttr(IFLA.IFNAME, l.name), ...(l.mtu !== undefined ? [u32Attr(IFLA.MTU, l.mtu)] : []), ...(l.mac ? [attrMac(l.mac)] : [])];
        if (l.kind === 'bridge') return this.change(RTM.NEWLINK, create, [ifinfomsg(), ...common, linkInfo('bridge')]);
        if (l.kind !== 'veth') throw new NetlinkError('invalid', `${l.kind} links are not supported by the native netlink handle`, 0);
        const p = l.peer;
        const nsFd = p.netnsPath ? openNs(p.netnsPath) : undefined;
        try {
          const peer = [
            strAttr(IFLA.IFNAME, p.name),
            ...(l.mtu !== undefined ? [u32Attr(IFLA.MTU, l.mtu)] : []),
            ...(p.mac ? [attrMac(p.mac)] : []),
            ...(nsFd !== undefined ? [u32Attr(IFLA.NET_NS_FD, nsFd)] : []),
          ];
          return this.change(RTM.NEWLINK, create, [ifinfomsg(), ...common, linkInfo('veth', vethPeer(peer))]);
        } finally {
          if (nsFd !== undefined) closeSync(nsFd);
        }
      }
      case 'link.set': {
        const c = op.change;
        let flags = 0;
        let mask = 0;
        if (c.up !== undefined) {
          mask |= IFF_UP;
          if (c.up) flags |= IFF_UP;
        }
        if (c.promisc !== undefined) {
          mask |= IFF_PROMISC;
          if (c.promisc) flags |= IFF_PROMISC;
        }
        const attrs: Buffer[] = [];
        if (c.mtu !== undefined) attrs.push(u32Attr(IFLA.MTU, c.mtu));
        if (c.master !== undefined) attrs.push(u32Attr(IFLA.MASTER, c.master ? this.index(c.master) : 0));
        const byName = c.name === undefined;
        const head = byName ? [ifinfomsg(0, flags, mask), strAttr(IFLA.IFNAME, op.name)] : [ifinfomsg(this.index(op.name), flags, mask), strAttr(IFLA.IFNAME, c.name!)];
        if (mask || attrs.length || !byName || c.hairpin === undefined) this.change(RTM.NEWLINK, 0, [...head, ...attrs]);
        if (!byName) this.indexes.delete(op.name);
        // A port's hairpin needs the port to exist: after master, as its own message.
        if (c.hairpin !== undefined) this.change(RTM.NEWLINK, 0, [ifinfomsg(0), strAttr(IFLA.IFNAME, c.name ?? op.name), hairpinInfo(c.hairpin)]);
        return;
      }
      case 'link.del':
        this.indexes.delete(op.name);
        return this.change(RTM.DELLINK, 0, [ifinfomsg(), strAttr(IFLA.IFNAME, op.name)]);
      case 'addr.add':
        return this.change(RTM.NEWADDR, create, addrBody(this.index(op.addr.link), op.addr.cidr));
      case 'addr.replace':
        return this.change(RTM.NEWADDR, NLM_F.CREATE | NLM_F.REPLACE, addrBody(this.index(op.addr.link), op.addr.cidr));
      case 'addr.del':
        return this.change(RTM.DELADDR, 0, addrBody(this.index(op.addr.link), op.addr.cidr));
      case 'route.add':
      case 'route.replace':
      case 'route.del': {
        const r = op.route;
        const del = op.op === 'route.del';
        const scope = del ? RT_SCOPE.nowhere : r.scope ? RT_SCOPE[r.scope] : !r.gw && r.link && !r.onlink ? RT_SCOPE.link : RT_SCOPE.universe;
        const body = routeBody({
          dst: r.dst,
          scope,
          del,
          ...(r.gw ? { gw: r.gw } : {}),
          ...(r.link ? { oif: this.index(r.link) } : {}),
          ...(r.onlink ? { onlink: true } : {}),
          ...(r.metric !== undefined ? { metric: r.metric } : {}),
          ...(r.mtu !== undefined ? { mtu: r.mtu } : {}),
        });
        if (del) return this.change(RTM.DELROUTE, 0, body);
        return this.change(RTM.NEWROUTE, op.op === 'route.add' ? create : NLM_F.CREATE | NLM_F.REPLACE, body);
      }
      default:
        throw new NetlinkError('invalid', `${op.op} is not supported by the native netlink handle`, 0);
    }
  }

  async apply(ops: readonly NetlinkOp[], readBack: readonly string[] = []): Promise<LinkInfo[]> {
    ops.forEach((op, i) => {
      try {
        this.applyOp(op);
      } catch (err) {
        const line = opToBatchLine(op).line;
        if (err instanceof NetlinkError) throw new NetlinkError(err.kind, `${line}: ${err.message}`, i);
        if (err instanceof KernelError) throw new NetlinkError(errnoKind(err.errno), `${line}: ${err.message}`, i);
        throw err;
      }
    });
    return readBack.map((name) => {
      const link = this.info(name);
      if (!link) throw new NetlinkError('not-found', `link show dev ${name}: Cannot find device "${name}"`, ops.length);
      return link;
    });
  }

  private info(name: string): LinkInfo | undefined {
    const l = this.lookup(name);
    if (!l) return undefined;
    const { masterIndex, ...rest } = l;
    return { ...rest, master: masterIndex ? this.lookup(masterIndex)?.name : undefined };
  }

  async getLink(name: string): Promise<LinkInfo | undefined> {
    return this.info(name);
  }

  /** Listings (CHECK) are rare: iproute2 in the same namespace, opened on first use. */
  private lister(): Netlink {
    return (this.listing ??= openIpNetlink(this.netnsPath, { blocking: true }));
  }
  listLinks(): Promise<LinkInfo[]> {
    return this.lister().listLinks();
  }
  listAddresses(link?: string): Promise<AddressInfo[]> {
    return this.lister().listAddresses(link);
  }
  listRoutes(): Promise<RouteSpec[]> {
    return this.lister().listRoutes();
  }
  listNeighbours(link: string): Promise<NeighbourSpec[]> {
    return this.lister().listNeighbours(link);
  }
  listFdb(link: string): Promise<FdbSpec[]> {
    return this.lister().listFdb(link);
  }

  close(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }
}

const attrMac = (mac: string) => attr(IFLA.ADDRESS, macBytes(mac));

function openNs(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new NetlinkError('not-found', `network namespace ${path}: ${(err as Error).message}`, 0);
  }
}
