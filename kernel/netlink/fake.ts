import {
  NetlinkError,
  type AddressInfo,
  type FdbSpec,
  type LinkInfo,
  type NeighbourSpec,
  type Netlink,
  type NetlinkOp,
  type RouteSpec,
} from './types.js';

interface FakeLink extends LinkInfo {
  peer?: { ns: FakeNamespace; name: string };
  hairpin: boolean;
}

/** One network namespace of the fake kernel. */
export class FakeNamespace {
  links = new Map<string, FakeLink>();
  addresses: AddressInfo[] = [];
  routes: RouteSpec[] = [];
  neighbours: NeighbourSpec[] = [];
  fdb: FdbSpec[] = [];
  constructor(readonly kernel: FakeKernel) {
    this.links.set('lo', { index: 1, name: 'lo', kind: undefined, mac: '00:00:00:00:00:00', mtu: 65536, up: false, master: undefined, promisc: false, hairpin: false });
  }
}

/**
 * An in-memory kernel with namespaces, for unit tests of code that plans netlink changes. It
 * enforces the rules the real kernel does, so a wrong plan fails here as it would on a node:
 * duplicate link names and addresses fail (`exists`), operations on missing links, masters,
 * namespaces or entries fail (`not-found`), a gateway off every connected subnet fails
 * (`invalid`, unless `onlink`), deleting a veth end deletes its peer and a link's addresses and
 * routes go with it.
 */
export class FakeKernel {
  readonly namespaces = new Map<string, FakeNamespace>();
  private nextIndex = 2;
  constructor() {
    this.namespaces.set('', new FakeNamespace(this));
  }
  addNamespace(path: string): FakeNamespace {
    const ns = new FakeNamespace(this);
    this.namespaces.set(path, ns);
    return ns;
  }
  /** Deleting a namespace destroys its links, and veth peers elsewhere with them. */
  deleteNamespace(path: string): void {
    const ns = this.namespaces.get(path);
    if (!ns) return;
    for (const l of ns.links.values()) if (l.peer) removeLink(l.peer.ns, l.peer.name);
    this.namespaces.delete(path);
  }
  ns(path: string | undefined): FakeNamespace {
    const ns = this.namespaces.get(path ?? '');
    if (!ns) throw new NetlinkError('not-found', `netns ${path}: No such file or directory`, 0);
    return ns;
  }
  allocIndex(): number {
    return this.nextIndex++;
  }
  open(netnsPath?: string): Netlink {
    this.ns(netnsPath);
    return new FakeNetlink(this, netnsPath);
  }
}

function removeLink(ns: FakeNamespace, name: string): void {
  ns.links.delete(name);
  ns.addresses = ns.addresses.filter((a) => a.link !== name);
  ns.routes = ns.routes.filter((r) => r.link !== name);
  ns.neighbours = ns.neighbours.filter((n) => n.link !== name);
  ns.fdb = ns.fdb.filter((f) => f.link !== name);
}

const ip4 = (s: string): number => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
function inSubnet(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split('/');
  const bits = Number(len ?? 32);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  return Math.floor(ip4(ip) / 2 ** (32 - bits)) === Math.floor(((ip4(net!) & mask) >>> 0) / 2 ** (32 - bits));
}
const sameRoute = (a: RouteSpec, b: RouteSpec) => a.dst === b.dst && (a.metric ?? 0) === (b.metric ?? 0);
let macCounter = 1;
const fakeMac = () => `02:fa:00:00:${((macCounter >> 8) & 255).toString(16).padStart(2, '0')}:${(macCounter++ & 255).toString(16).padStart(2, '0')}`;

class FakeNetlink implements Netlink {
  constructor(private readonly kernel: FakeKernel, readonly netnsPath: string | undefined) {}
  private get ns() {
    return this.kernel.ns(this.netnsPath);
  }
  private link(name: string, i: number): FakeLink {
    const l = this.ns.links.get(name);
    if (!l) throw new NetlinkError('not-found', `Cannot find device "${name}"`, i);
    return l;
  }

  async apply(ops: readonly NetlinkOp[], readBack: readonly string[] = []): Promise<LinkInfo[]> {
    ops.forEach((op, i) => this.applyOne(op, i));
    return readBack.map((n) => strip(this.link(n, ops.length)));
  }

  private applyOne(op: NetlinkOp, i: number): void {
    const ns = this.ns;
    const fail = (kind: 'exists' | 'not-found' | 'invalid', msg: string) => {
      throw new NetlinkError(kind, msg, i);
    };
    switch (op.op) {
      case 'link.add': {
        const l = op.link;
        if (ns.links.has(l.name)) fail('exists', `link ${l.name}: File exists`);
        const base = (name: string, kind: string, mac?: string): FakeLink => ({
          index: this.kernel.allocIndex(), name, kind, mac: mac ?? fakeMac(), mtu: l.mtu ?? 1500, up: false, master: undefined, promisc: false, hairpin: false,
        });
        if (l.kind === 'veth') {
          const peerNs = l.peer.netnsPath ? this.kernel.namespaces.get(l.peer.netnsPath) : ns;
          if (!peerNs) return fail('not-found', `netns ${l.peer.netnsPath}: No such file or directory`);
          if (peerNs.links.has(l.peer.name) || (peerNs === ns && l.peer.name === l.name)) fail('exists', `link ${l.peer.name}: File exists`);
          const a = base(l.name, 'veth', l.mac);
          const b = base(l.peer.name, 'veth', l.peer.mac);
          a.peer = { ns: peerNs, name: b.name };
          b.peer = { ns, name: a.name };
          ns.links.set(a.name, a);
          peerNs.links.set(b.name, b);
        } else ns.links.set(l.name, base(l.name, l.kind, l.mac));
        return;
      }
      case 'link.set': {
        const l = this.link(op.name, i);
        const c = op.change;
        if (c.master !== undefined) {
          const m = ns.links.get(c.master);
          if (!m) fail('not-found', `Cannot find device "${c.master}"`);
          if (m?.kind !== 'bridge') fail('invalid', `${c.master} is not a bridge`);
        }
        if (c.hairpin !== undefined && !l.master) fail('invalid', `${op.name} is not a bridge port`);
        if (c.name !== undefined && c.name !== l.name) {
          if (ns.links.has(c.name)) fail('exists', `link ${c.name}: File exists`);
          ns.links.delete(l.name);
          for (const a of ns.addresses) if (a.link === l.name) a.link = c.name;
          l.name = c.name;
          ns.links.set(l.name, l);
        }
        if (c.mtu !== undefined) l.mtu = c.mtu;
        if (c.master !== undefined) l.master = c.master;
        if (c.promisc !== undefined) l.promisc = c.promisc;
        if (c.up !== undefined) l.up = c.up;
        if (c.hairpin !== undefined) l.hairpin = c.hairpin;
        return;
      }
      case 'link.del': {
        const l = this.link(op.name, i);
        if (l.peer) removeLink(l.peer.ns, l.peer.name);
        removeLink(ns, l.name);
        return;
      }
      case 'addr.add':
        this.link(op.addr.link, i);
        if (ns.addresses.some((a) => a.link === op.addr.link && a.cidr.split('/')[0] === op.addr.cidr.split('/')[0]))
          fail('exists', `address ${op.addr.cidr}: File exists`);
        ns.addresses.push({ ...op.addr });
        return;
      case 'addr.replace':
        this.link(op.addr.link, i);
        ns.addresses = ns.addresses.filter((a) => !(a.link === op.addr.link && a.cidr.split('/')[0] === op.addr.cidr.split('/')[0]));
        ns.addresses.push({ ...op.addr });
        return;
      case 'addr.del': {
        const n = ns.addresses.length;
        ns.addresses = ns.addresses.filter((a) => !(a.link === op.addr.link && a.cidr === op.addr.cidr));
        if (ns.addresses.length === n) fail('not-found', `address ${op.addr.cidr}: Cannot assign requested address`);
        return;
      }
      case 'route.add':
      case 'route.replace': {
        const r = op.route;
        if (r.link) {
          const l = this.link(r.link, i);
          if (!l.up) fail('invalid', `route ${r.dst}: Network is down`);
        }
        if (r.gw && !r.onlink && !ns.addresses.some((a) => (!r.link || a.link === r.link) && inSubnet(r.gw!, a.cidr)))
          fail('invalid', `route ${r.dst} via ${r.gw}: Nexthop has invalid gateway`);
        const existing = ns.routes.findIndex((x) => sameRoute(x, r));
        if (existing >= 0 && op.op === 'route.add') fail('exists', `route ${r.dst}: File exists`);
        if (existing >= 0) ns.routes.splice(existing, 1);
        ns.routes.push({ ...r });
        return;
      }
      case 'route.del': {
        const n = ns.routes.length;
        ns.routes = ns.routes.filter((x) => !sameRoute(x, op.route));
        if (ns.routes.length === n) fail('not-found', `route ${op.route.dst}: No such process`);
        return;
      }
      case 'neigh.replace':
        this.link(op.neigh.link, i);
        ns.neighbours = ns.neighbours.filter((n) => !(n.link === op.neigh.link && n.ip === op.neigh.ip));
        ns.neighbours.push({ permanent: true, ...op.neigh });
        return;
      case 'neigh.del': {
        const n = ns.neighbours.length;
        ns.neighbours = ns.neighbours.filter((x) => !(x.link === op.neigh.link && x.ip === op.neigh.ip));
        if (ns.neighbours.length === n) fail('not-found', `neigh ${op.neigh.ip}: No such file or directory`);
        return;
      }
      case 'fdb.append': {
        const l = this.link(op.fdb.link, i);
        if (l.kind !== 'vxlan') fail('invalid', `fdb dst on non-vxlan ${l.name}`);
        if (ns.fdb.some((f) => f.link === op.fdb.link && f.mac === op.fdb.mac && f.dst === op.fdb.dst)) fail('exists', 'fdb: File exists');
        ns.fdb.push({ permanent: true, ...op.fdb });
        return;
      }
      case 'fdb.del': {
        const n = ns.fdb.length;
        ns.fdb = ns.fdb.filter((f) => !(f.link === op.fdb.link && f.mac === op.fdb.mac && f.dst === op.fdb.dst));
        if (ns.fdb.length === n) fail('not-found', 'fdb: No such file or directory');
        return;
      }
    }
  }

  async getLink(name: string): Promise<LinkInfo | undefined> {
    const l = this.ns.links.get(name);
    return l ? strip(l) : undefined;
  }
  async listLinks(): Promise<LinkInfo[]> {
    return [...this.ns.links.values()].map(strip);
  }
  async listAddresses(link?: string): Promise<AddressInfo[]> {
    return this.ns.addresses.filter((a) => !link || a.link === link).map((a) => ({ ...a }));
  }
  async listRoutes(): Promise<RouteSpec[]> {
    const connected: RouteSpec[] = this.ns.addresses.map((a) => ({ dst: networkOf(a.cidr), link: a.link, scope: 'link' }));
    return [...connected, ...this.ns.routes.map((r) => ({ ...r }))];
  }
  async listNeighbours(link: string): Promise<NeighbourSpec[]> {
    return this.ns.neighbours.filter((n) => n.link === link).map((n) => ({ ...n }));
  }
  async listFdb(link: string): Promise<FdbSpec[]> {
    return this.ns.fdb.filter((f) => f.link === link).map((f) => ({ ...f }));
  }
  close(): void {}
}

function strip(l: FakeLink): LinkInfo {
  return { index: l.index, name: l.name, kind: l.kind, mac: l.mac, mtu: l.mtu, up: l.up, master: l.master, promisc: l.promisc };
}

function networkOf(cidr: string): string {
  const [ip, len] = cidr.split('/');
  const bits = Number(len ?? 32);
  const mask = bits === 0 ? 0 : (2 ** 32 - 2 ** (32 - bits)) >>> 0;
  const n = (ip4(ip!) & mask) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}/${bits}`;
}
