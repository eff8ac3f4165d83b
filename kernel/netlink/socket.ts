import { writeFileSync } from 'node:fs';
import { closeSync, openSync } from 'node:fs';
import type * as NL from 'netlink';
import {
  NetlinkError,
  type AddressInfo,
  type FdbSpec,
  type LinkInfo,
  type LinkSpec,
  type NeighbourSpec,
  type Netlink,
  type NetlinkErrorKind,
  type NetlinkOp,
  type RouteSpec,
} from './types.js';

const AF_INET = 2;
const AF_BRIDGE = 7;
const RT_TABLE_MAIN = 254;

/**
 * Netlink through the `netlink` npm package (0.3.0, native addon): an rtnetlink socket in the
 * caller's own namespace, for long-lived daemons (the overlay) where a process per change would
 * be wasteful. The addon is loaded on first use, so importing this file costs nothing. A veth
 * peer can still be created inside another namespace (IFLA_NET_NS_FD); everything else works
 * in the caller's namespace only — use `openIpNetlink(path)` for another one.
 */
export async function openSocketNetlink(): Promise<Netlink> {
  const nl = (await import('netlink')) as typeof NL;
  return new SocketNetlink(nl, nl.createRtNetlink());
}

const ipBuf = (ip: string) => Buffer.from(ip.split('.').map(Number));
const ipStr = (b: Buffer | undefined) => (b ? [...b].join('.') : '');
const macBuf = (mac: string) => Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
const macStr = (b: Buffer | undefined) => (b ? [...b].map((x) => x.toString(16).padStart(2, '0')).join(':') : '');

function errorKind(err: unknown): NetlinkErrorKind {
  const m = String((err as Error)?.message ?? err);
  if (/EEXIST/.test(m)) return 'exists';
  if (/ENODEV|ENOENT|ESRCH|EADDRNOTAVAIL|ENXIO/.test(m)) return 'not-found';
  if (/EINVAL|ENETUNREACH|EOPNOTSUPP/.test(m)) return 'invalid';
  return 'other';
}

class SocketNetlink implements Netlink {
  readonly netnsPath = undefined;
  constructor(
    private readonly nl: typeof NL,
    private readonly sock: NL.RtNetlinkSocket,
  ) {}

  private flat(sd: NL.StreamData): Buffer {
    const s = new this.nl.AttrStream();
    s.emit(sd);
    return Buffer.concat(s.bufs);
  }

  private async indexes(): Promise<Map<string, number>> {
    const links = await this.sock.getLinks();
    return new Map(links.map((l) => [l.attrs.ifname ?? '', l.data.index ?? 0]));
  }

  private async index(name: string, i: number, cache?: Map<string, number>): Promise<number> {
    const idx = (cache ?? (await this.indexes())).get(name);
    if (idx === undefined) throw new NetlinkError('not-found', `Cannot find device "${name}"`, i);
    return idx;
  }

  private linkInfo(spec: LinkSpec): Buffer {
    const { ifla } = this.nl;
    if (spec.kind === 'bridge') return this.flat(ifla.formatInfo({ kind: 'bridge' }));
    if (spec.kind === 'vxlan') {
      const port = Buffer.alloc(2);
      port.writeUInt16BE(spec.port ?? 0);
      return this.flat(
        ifla.formatInfo({
          kind: 'vxlan',
          data: this.flat(ifla.formatVxlan({ id: spec.vni, learning: spec.learning ? 1 : 0, ...(spec.port ? { port } : {}), ...(spec.local ? { local: ipBuf(spec.local) } : {}) })),
        }),
      );
    }
    return Buffer.alloc(0);
  }

  async apply(ops: readonly NetlinkOp[], readBack: readonly string[] = []): Promise<LinkInfo[]> {
    const { FlagsNew } = this.nl;
    const create = { flags: FlagsNew.CREATE | FlagsNew.EXCL };
    const replace = { flags: FlagsNew.CREATE | FlagsNew.REPLACE };
    for (const [i, op] of ops.entries()) {
      try {
        switch (op.op) {
          case 'link.add': {
            const l = op.link;
            const attrs: NL.ifla.LinkAttrs = { ifname: l.name, ...(l.mtu ? { mtu: l.mtu } : {}), ...(l.mac ? { address: macBuf(l.mac) } : {}) };
            if (l.kind === 'veth') {
              const fd = l.peer.netnsPath ? openSync(l.peer.netnsPath, 'r') : undefined;
              try {
                const peerAttrs = this.flat(
                  this.nl.ifla.formatLinkAttrs({
                    ifname: l.peer.name,
                    ...(l.mtu ? { mtu: l.mtu } : {}),
                    ...(l.peer.mac ? { address: macBuf(l.peer.mac) } : {}),
                    ...(fd !== undefined ? { netNsFd: fd } : {}),
                  }),
                );
                const peer = Buffer.concat([this.nl.rt.formatLink({}), peerAttrs]);
                attrs.linkinfo = this.flat(this.nl.ifla.formatInfo({ kind: 'veth', data: this.flat(this.nl.ifla.formatVethInfo({ peer })) }));
                await this.sock.newLink({}, attrs, create);
              } finally {
                if (fd !== undefined) closeSync(fd);
              }
            } else {
              if (l.kind === 'vxlan' && l.device) {
                const dev = await this.index(l.device, i);
                const port = Buffer.alloc(2);
                port.writeUInt16BE(l.port ?? 0);
                attrs.linkinfo = this.flat(
                  this.nl.ifla.formatInfo({
                    kind: 'vxlan',
                    data: this.flat(this.nl.ifla.formatVxlan({ id: l.vni, link: dev, learning: l.learning ? 1 : 0, ...(l.port ? { port } : {}), ...(l.local ? { local: ipBuf(l.local) } : {}) })),
                  }),
                );
              } else attrs.linkinfo = this.linkInfo(l);
              await this.sock.newLink({}, attrs, create);
            }
            break;
          }
          case 'link.set': {
            const cache = await this.indexes();
            const index = await this.index(op.name, i, cache);
            const c = op.change;
            const attrs: NL.ifla.LinkAttrs = {};
            if (c.mtu !== undefined) attrs.mtu = c.mtu;
            if (c.name !== undefined) attrs.ifname = c.name;
            if (c.master !== undefined) attrs.master = await this.index(c.master, i, cache);
            const flags: Record<string, boolean> = {};
            if (c.up !== undefined) flags.up = c.up;
            if (c.promisc !== undefined) flags.promisc = c.promisc;
            await this.sock.setLink({ index, flags, change: Object.fromEntries(Object.keys(flags).map((k) => [k, true])) } as NL.rt.Link, attrs);
            // Bridge-port options travel as AF_BRIDGE protinfo; sysfs is the simple, equivalent knob.
            if (c.hairpin !== undefined) writeFileSync(`/sys/class/net/${c.name ?? op.name}/brport/hairpin_mode`, c.hairpin ? '1' : '0');
            break;
          }
          case 'link.del':
            await this.sock.delLink({ index: await this.index(op.name, i) });
            break;
          case 'addr.add':
          case 'addr.replace':
          case 'addr.del': {
            const [ip, len] = op.addr.cidr.split('/');
            const data = { family: AF_INET, prefixlen: Number(len ?? 32), index: await this.index(op.addr.link, i) };
            const attrs = { local: ipBuf(ip!), address: ipBuf(ip!) };
            if (op.op === 'addr.del') await this.sock.delAddress(data, attrs);
            else await this.sock.newAddress(data, attrs, op.op === 'addr.add' ? create : replace);
            break;
          }
          case 'route.add':
          case 'route.replace':
          case 'route.del': {
            const r = op.route;
            const [dst, len] = r.dst.split('/');
            const data: NL.rt.Route = {
              family: AF_INET,
              dstLen: Number(len ?? 32),
              table: RT_TABLE_MAIN,
              protocol: 'BOOT',
              scope: r.scope === 'host' ? 'HOST' : r.scope === 'link' || !r.gw ? 'LINK' : 'UNIVERSE',
              type: 'UNICAST',
              // RTNH_F_ONLINK (4) is not named in the package's RouteFlags
              ...(r.onlink ? { flags: { __unknown: 4 } as NL.rt.RouteFlags } : {}),
            };
            const attrs: NL.rt.RouteAttrs = {
              ...(Number(len ?? 32) > 0 ? { dst: ipBuf(dst!) } : {}),
              ...(r.gw ? { gateway: ipBuf(r.gw) } : {}),
              ...(r.link ? { oif: await this.index(r.link, i) } : {}),
              ...(r.metric !== undefined ? { priority: r.metric } : {}),
            };
            if (op.op === 'route.del') await this.sock.delRoute(data, attrs);
            else await this.sock.newRoute(data, attrs, op.op === 'route.add' ? create : replace);
            break;
          }
          case 'neigh.replace':
          case 'neigh.del': {
            const n = op.neigh;
            const data: NL.rt.Neighbor = { family: AF_INET, ifindex: await this.index(n.link, i), state: n.permanent === false ? { reachable: true } : { permanent: true } };
            if (op.op === 'neigh.del') await this.sock.delNeighbor(data, { dst: ipBuf(n.ip) });
            else await this.sock.newNeighbor(data, { dst: ipBuf(n.ip), lladdr: macBuf(n.mac) }, replace);
            break;
          }
          case 'fdb.append':
          case 'fdb.del': {
            const f = op.fdb;
            const data: NL.rt.Neighbor = { family: AF_BRIDGE, ifindex: await this.index(f.link, i), state: f.permanent === false ? { noarp: true } : { permanent: true }, flags: { self: true } };
            const attrs = { lladdr: macBuf(f.mac), dst: ipBuf(f.dst) };
            if (op.op === 'fdb.del') await this.sock.delNeighbor(data, attrs);
            else await this.sock.newNeighbor(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.APPEND });
            break;
          }
        }
      } catch (err) {
        if (err instanceof NetlinkError) throw new NetlinkError(err.kind, err.message, i);
        throw new NetlinkError(errorKind(err), `${op.op}: ${(err as Error).message}`, i);
      }
    }
    const out: LinkInfo[] = [];
    for (const name of readBack) {
      const l = await this.getLink(name);
      if (!l) throw new NetlinkError('not-found', `Cannot find device "${name}"`, ops.length);
      out.push(l);
    }
    return out;
  }

  async listLinks(): Promise<LinkInfo[]> {
    const links = await this.sock.getLinks();
    const names = new Map(links.map((l) => [l.data.index, l.attrs.ifname]));
    return links.map((l) => ({
      index: l.data.index ?? 0,
      name: l.attrs.ifname ?? '',
      kind: l.attrs.linkinfo ? this.nl.ifla.parseInfo(l.attrs.linkinfo).kind : undefined,
      mac: macStr(l.attrs.address),
      mtu: l.attrs.mtu ?? 0,
      up: !!l.data.flags?.up,
      master: l.attrs.master !== undefined ? names.get(l.attrs.master) : undefined,
      promisc: (l.attrs.promiscuity ?? 0) > 0 || !!l.data.flags?.promisc,
    }));
  }

  async getLink(name: string): Promise<LinkInfo | undefined> {
    return (await this.listLinks()).find((l) => l.name === name);
  }

  async listAddresses(link?: string): Promise<AddressInfo[]> {
    const names = new Map([...(await this.indexes())].map(([n, i]) => [i, n]));
    return (await this.sock.getAddresses())
      .filter((a) => a.data.family === AF_INET)
      .map((a) => ({ link: names.get(a.data.index ?? 0) ?? '', cidr: `${ipStr(a.attrs.local ?? a.attrs.address)}/${a.data.prefixlen}` }))
      .filter((a) => !link || a.link === link);
  }

  async listRoutes(): Promise<RouteSpec[]> {
    const names = new Map([...(await this.indexes())].map(([n, i]) => [i, n]));
    return (await this.sock.getRoutes({ family: AF_INET }))
      .filter((r) => (r.attrs.table ?? r.data.table) === RT_TABLE_MAIN)
      .map((r) => ({
        dst: `${r.attrs.dst ? ipStr(r.attrs.dst) : '0.0.0.0'}/${r.data.dstLen ?? 0}`,
        ...(r.attrs.gateway ? { gw: ipStr(r.attrs.gateway) } : {}),
        ...(r.attrs.oif !== undefined ? { link: names.get(r.attrs.oif) ?? '' } : {}),
        ...(((r.data.flags as { __unknown?: number } | undefined)?.__unknown ?? 0) & 4 ? { onlink: true } : {}),
        ...(r.attrs.priority !== undefined ? { metric: r.attrs.priority } : {}),
      }));
  }

  async listNeighbours(link: string): Promise<NeighbourSpec[]> {
    const idx = (await this.indexes()).get(link);
    return (await this.sock.getNeighbors({ family: AF_INET }))
      .filter((n) => n.data.ifindex === idx && n.attrs.lladdr)
      .map((n) => ({ link, ip: ipStr(n.attrs.dst), mac: macStr(n.attrs.lladdr), permanent: !!n.data.state?.permanent }));
  }

  async listFdb(link: string): Promise<FdbSpec[]> {
    const idx = (await this.indexes()).get(link);
    return (await this.sock.getNeighbors({ family: AF_BRIDGE }))
      .filter((n) => n.data.ifindex === idx && n.attrs.dst)
      .map((n) => ({ link, mac: macStr(n.attrs.lladdr), dst: ipStr(n.attrs.dst), permanent: !!n.data.state?.permanent }));
  }

  close(): void {
    this.sock.socket.close();
  }
}
