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
import { NetlinkError, type AddressInfo, type FdbSpec, type LinkChange, type LinkInfo, type NeighbourSpec, type Netlink, type NetlinkOp, type RouteSpec } from './types.js';

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

  /**
   * Sends `reqs` as one datagram (the kernel runs them in order, each with its own sequence
   * number) and collects one answer per request: the ack or error of a change, the reply of a
   * GETLINK. Every answer is read, so nothing of this batch is left on the socket for the next.
   */
  private batch(reqs: readonly Request[]): (Reply | KernelError | undefined)[] {
    const first = this.seq + 1;
    this.sys.nlSend(this.fd, Buffer.concat(reqs.map((r) => message(r.type, r.flags, ++this.seq, r.body))));
    const out: (Reply | KernelError | undefined)[] = new Array(reqs.length);
    let pending = reqs.length;
    while (pending > 0) {
      for (const r of splitReplies(this.sys.nlRecv(this.fd))) {
        const i = r.seq - first;
        if (i < 0 || i >= reqs.length || out[i] !== undefined) continue;
        if (r.type === NLMSG.ERROR) {
          const e = parseError(r);
          out[i] = e.errno !== 0 ? new KernelError(e.errno, e.text) : ACKED;
        } else out[i] = r;
        pending--;
      }
    }
    return out.map((a) => (a === ACKED ? undefined : a));
  }

  /**
   * Looks up, in one round trip, the indexes that ops[start, end) need and the handle does not
   * know yet. A missing link fails the first of those ops that names it (nothing is sent then).
   */
  private resolve(ops: readonly NetlinkOp[], start: number, end: number): void {
    const wanted: string[] = [];
    // A link renamed earlier in the batch keeps its index: its new name is looked up by the old.
    const renamed = new Map<string, string>();
    for (let i = start; i < end; i++) {
      const op = ops[i]!;
      for (const n of indexNames(op)) {
        const src = renamed.get(n) ?? n;
        if (!this.indexes.has(src) && !wanted.includes(src)) wanted.push(src);
      }
      if (op.op === 'link.set' && op.change.name !== undefined) renamed.set(op.change.name, renamed.get(op.name) ?? op.name);
    }
    const aliasRenamed = () => {
      for (const [name, src] of renamed) {
        const index = this.indexes.get(src);
        if (index !== undefined) this.indexes.set(name, index);
      }
    };
    if (!wanted.length) return aliasRenamed();
    const answers = this.batch(wanted.map((n) => ({ type: RTM.GETLINK, flags: 0, body: getLinkBody(n), op: -1 })));
    answers.forEach((a, k) => {
      const name = wanted[k]!;
      if (a instanceof KernelError || a === undefined) {
        let at = start;
        while (at < end && !mentions(ops[at]!, name)) at++;
        const err = a ?? new KernelError(19, `Cannot find device "${name}"`);
        throw new NetlinkError(errnoKind(err.errno), `${opToBatchLine(ops[at]!).line}: ${err.errno === 19 ? `Cannot find device "${name}" (ENODEV)` : err.message}`, at);
      }
      // Under the name asked for: the kernel also finds a link by an alternative name.
      this.indexes.set(name, parseLink(a.payload).index);
    });
    aliasRenamed();
  }

  /** The requests for one op (indexes resolved beforehand); `fold`: a following master/up set. */
  private encode(op: NetlinkOp, at: number, out: Request[], fds: number[], fold?: LinkChange): void {
    const create = NLM_F.CREATE | NLM_F.EXCL | NLM_F.ACK;
    const push = (type: number, flags: number, body: Buffer[]) => void out.push({ type, flags: flags | NLM_F.ACK, body, op: at });
    switch (op.op) {
      case 'link.add': {
        const l = op.link;
        const common = [strAttr(IFLA.IFNAME, l.name), ...(l.mtu !== undefined ? [u32Attr(IFLA.MTU, l.mtu)] : []), ...(l.mac ? [attrMac(l.mac)] : [])];
        if (l.kind === 'bridge') return push(RTM.NEWLINK, create, [ifinfomsg(), ...common, linkInfo('bridge')]);
        if (l.kind !== 'veth') throw new NetlinkError('invalid', `${l.kind} links are not supported by the native netlink handle`, 0);
        const p = l.peer;
        const nsFd = p.netnsPath ? openNs(p.netnsPath) : undefined;
        if (nsFd !== undefined) fds.push(nsFd);
        const peer = [
          strAttr(IFLA.IFNAME, p.name),
          ...(l.mtu !== undefined ? [u32Attr(IFLA.MTU, l.mtu)] : []),
          ...(p.mac ? [attrMac(p.mac)] : []),
          ...(nsFd !== undefined ? [u32Attr(IFLA.NET_NS_FD, nsFd)] : []),
        ];
        // `ip link add ... master B up` in one message: the kernel enslaves and opens the new
        // link before it answers, or unregisters it again when either fails.
        const up = fold?.up ? IFF_UP : 0;
        const master = fold?.master ? [u32Attr(IFLA.MASTER, this.known(fold.master))] : [];
        return push(RTM.NEWLINK, create, [ifinfomsg(0, up, up), ...common, ...master, linkInfo('veth', vethPeer(peer))]);
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
        if (c.master !== undefined) attrs.push(u32Attr(IFLA.MASTER, c.master ? this.known(c.master) : 0));
        const byName = c.name === undefined;
        const head = byName ? [ifinfomsg(0, flags, mask), strAttr(IFLA.IFNAME, op.name)] : [ifinfomsg(this.known(op.name), flags, mask), strAttr(IFLA.IFNAME, c.name!)];
        if (mask || attrs.length || !byName || c.hairpin === undefined) push(RTM.NEWLINK, 0, [...head, ...attrs]);
        if (!byName) this.indexes.delete(op.name);
        // A port's hairpin needs the port to exist: after master, as its own message.
        if (c.hairpin !== undefined) push(RTM.NEWLINK, 0, [ifinfomsg(0), strAttr(IFLA.IFNAME, c.name ?? op.name), hairpinInfo(c.hairpin)]);
        return;
      }
      case 'link.del':
        this.indexes.delete(op.name);
        return push(RTM.DELLINK, 0, [ifinfomsg(), strAttr(IFLA.IFNAME, op.name)]);
      case 'addr.add':
        return push(RTM.NEWADDR, create, addrBody(this.known(op.addr.link), op.addr.cidr));
      case 'addr.replace':
        return push(RTM.NEWADDR, NLM_F.CREATE | NLM_F.REPLACE, addrBody(this.known(op.addr.link), op.addr.cidr));
      case 'addr.del':
        return push(RTM.DELADDR, 0, addrBody(this.known(op.addr.link), op.addr.cidr));
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
          ...(r.link ? { oif: this.known(r.link) } : {}),
          ...(r.onlink ? { onlink: true } : {}),
          ...(r.metric !== undefined ? { metric: r.metric } : {}),
          ...(r.mtu !== undefined ? { mtu: r.mtu } : {}),
        });
        if (del) return push(RTM.DELROUTE, 0, body);
        return push(RTM.NEWROUTE, op.op === 'route.add' ? create : NLM_F.CREATE | NLM_F.REPLACE, body);
      }
      default:
        throw new NetlinkError('invalid', `${op.op} is not supported by the native netlink handle`, at);
    }
  }

  /** An index resolve() looked up (or an earlier op left in the cache). */
  private known(name: string): number {
    const hit = this.indexes.get(name);
    if (hit === undefined) throw new KernelError(19, `Cannot find device "${name}"`);
    return hit;
  }

  /**
   * Applies `ops` in as few datagrams as is safe: a batch runs up to and including a link
   * creation (with a directly following `master`/`up` change of the new link folded into it),
   * because what follows a creation may act on the link by name and must not run when the
   * creation failed — a name that already exists belongs to someone else. The read-back GETLINKs
   * ride in the last batch. The first failed op (in order) is the one reported; the kernel ran
   * the later ops of its batch as well, so a failure means the caller rolls the plan back (the
   * CNI plugin removes the veth, which takes everything after it along).
   */
  async apply(ops: readonly NetlinkOp[], readBack: readonly string[] = []): Promise<LinkInfo[]> {
    const fds: number[] = [];
    let shown: (Reply | KernelError | undefined)[] = [];
    try {
      let start = 0;
      do {
        let end = start;
        while (end < ops.length && ops[end]!.op !== 'link.add') end++;
        if (end < ops.length) end++;
        const created = end > start ? ops[end - 1]! : undefined;
        const fold = created?.op === 'link.add' && created.link.kind === 'veth' ? foldable(created.link.name, ops[end]) : undefined;
        if (fold) end++;
        const last = end >= ops.length;
        const reqs: Request[] = [];
        this.resolve(ops, start, end);
        for (let i = start; i < (fold ? end - 1 : end); i++) {
          try {
            this.encode(ops[i]!, i, reqs, fds, i === end - 2 && fold ? fold : undefined);
          } catch (err) {
            throw attributed(err, ops, i);
          }
        }
        const nOps = reqs.length;
        if (last) for (const name of readBack) reqs.push({ type: RTM.GETLINK, flags: 0, body: getLinkBody(name), op: ops.length });
        if (!reqs.length) break;
        const answers = this.batch(reqs);
        for (const fd of fds.splice(0)) closeSync(fd);
        for (let k = 0; k < nOps; k++) {
          const a = answers[k];
          if (a instanceof KernelError) {
            const at = reqs[k]!.op;
            throw new NetlinkError(errnoKind(a.errno), `${opToBatchLine(ops[at]!).line}: ${a.message}`, at);
          }
        }
        if (last) shown = answers.slice(nOps);
        start = end;
      } while (start < ops.length);
    } finally {
      for (const fd of fds) closeSync(fd);
    }
    return readBack.map((name, k) => {
      const a = shown[k];
      if (!a || a instanceof KernelError) throw new NetlinkError('not-found', `link show dev ${name}: Cannot find device "${name}"`, ops.length);
      const l = parseLink(a.payload);
      this.indexes.set(l.name, l.index);
      const { masterIndex, ...rest } = l;
      return { ...rest, master: masterIndex ? this.lookup(masterIndex)?.name : undefined };
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

/** One rtnetlink request of a batch and the op (index in the plan) it belongs to. */
interface Request {
  type: number;
  flags: number;
  body: Buffer[];
  op: number;
}

/** Marks an acknowledged request while a batch's answers come in. */
const ACKED = { type: NLMSG.ERROR, flags: 0, seq: 0, payload: Buffer.alloc(0) } satisfies Reply;

/** Links an op needs by ifindex (resolve() looks them up before the batch is sent). */
function indexNames(op: NetlinkOp): string[] {
  switch (op.op) {
    case 'link.set':
      return [...(op.change.name !== undefined ? [op.name] : []), ...(op.change.master ? [op.change.master] : [])];
    case 'addr.add':
    case 'addr.replace':
    case 'addr.del':
      return [op.addr.link];
    case 'route.add':
    case 'route.replace':
    case 'route.del':
      return op.route.link ? [op.route.link] : [];
    default:
      return [];
  }
}

/** Whether `op` names link `name` in any role (by name or by index). */
function mentions(op: NetlinkOp, name: string): boolean {
  if ((op.op === 'link.set' || op.op === 'link.del') && op.name === name) return true;
  return indexNames(op).includes(name);
}

/** A `link.set` of just master and/or up on the link created right before it. */
function foldable(created: string, next: NetlinkOp | undefined): LinkChange | undefined {
  if (next?.op !== 'link.set' || next.name !== created) return undefined;
  const keys = Object.keys(next.change).filter((k) => next.change[k as keyof LinkChange] !== undefined);
  if (!keys.length || !keys.every((k) => k === 'master' || (k === 'up' && next.change.up === true))) return undefined;
  return next.change;
}

/** An error while building the requests of ops[at], tied to that op. */
function attributed(err: unknown, ops: readonly NetlinkOp[], at: number): unknown {
  const line = opToBatchLine(ops[at]!).line;
  if (err instanceof NetlinkError) return new NetlinkError(err.kind, `${line}: ${err.message}`, at);
  if (err instanceof KernelError) return new NetlinkError(errnoKind(err.errno), `${line}: ${err.message}`, at);
  return err;
}

function openNs(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new NetlinkError('not-found', `network namespace ${path}: ${(err as Error).message}`, 0);
  }
}
