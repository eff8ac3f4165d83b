import { runTool, ToolError, toolPath, type LockHandoff } from '../exec-tool.js';
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

/**
 * Netlink through iproute2 (`ip -batch -`, `bridge -batch -`), entering another namespace with
 * `nsenter --net=PATH`. Node cannot setns(2) and the `netlink` package opens sockets only in the
 * caller's namespace, so this is how a short-lived process (the CNI plugin) configures a pod's
 * namespace: one exec per plan, ~2-4 ms, and no native addon to load at start-up.
 */
export function openIpNetlink(netnsPath?: string, opts: IpNetlinkOptions = {}): Netlink {
  return new IpCommandNetlink(netnsPath, [], opts);
}

export interface IpNetlinkOptions {
  /**
   * A flock the first child process of this handle in the caller's own namespace takes for the
   * caller before its tool runs (CNI ADD: the IPAM lock rides on the host-side `ip` process
   * instead of a `flock` process).
   */
  lockHandoff?: LockHandoff;
  /** Run the tools with spawnSync (RunToolOptions.blocking): short-lived processes only. */
  blocking?: boolean;
}

/** The iproute2 batch line for one op (pure: exported for tests and plan dumps). */
export function opToBatchLine(op: NetlinkOp): { tool: 'ip' | 'bridge'; line: string } {
  switch (op.op) {
    case 'link.add':
      return { tool: 'ip', line: linkAddLine(op.link) };
    case 'link.set': {
      const c = op.change;
      const parts = [`link set dev ${op.name}`];
      if (c.name !== undefined) parts.push(`name ${c.name}`);
      if (c.mtu !== undefined) parts.push(`mtu ${c.mtu}`);
      if (c.master !== undefined) parts.push(`master ${c.master}`);
      if (c.promisc !== undefined) parts.push(`promisc ${c.promisc ? 'on' : 'off'}`);
      if (c.up !== undefined) parts.push(c.up ? 'up' : 'down');
      if (c.hairpin !== undefined) parts.push(`type bridge_slave hairpin ${c.hairpin ? 'on' : 'off'}`);
      return { tool: 'ip', line: parts.join(' ') };
    }
    case 'link.del':
      return { tool: 'ip', line: `link del dev ${op.name}` };
    case 'addr.add':
      return { tool: 'ip', line: `addr add ${op.addr.cidr} dev ${op.addr.link}` };
    case 'addr.del':
      return { tool: 'ip', line: `addr del ${op.addr.cidr} dev ${op.addr.link}` };
    case 'addr.replace':
      return { tool: 'ip', line: `addr replace ${op.addr.cidr} dev ${op.addr.link}` };
    case 'route.add':
    case 'route.replace':
    case 'route.del':
      return { tool: 'ip', line: `route ${op.op.slice(6)} ${routeArgs(op.route)}` };
    case 'neigh.replace':
    case 'neigh.del': {
      const n = op.neigh;
      const verb = op.op === 'neigh.replace' ? 'replace' : 'del';
      const tail = op.op === 'neigh.replace' ? ` lladdr ${n.mac} nud ${n.permanent === false ? 'reachable' : 'permanent'}` : '';
      return { tool: 'ip', line: `neigh ${verb} ${n.ip} dev ${n.link}${tail}` };
    }
    case 'fdb.append':
      return {
        tool: 'bridge',
        line: `fdb append ${op.fdb.mac} dev ${op.fdb.link} dst ${op.fdb.dst} self${op.fdb.permanent === false ? '' : ' permanent'}`,
      };
    case 'fdb.del':
      return { tool: 'bridge', line: `fdb del ${op.fdb.mac} dev ${op.fdb.link} dst ${op.fdb.dst} self` };
  }
}

function linkAddLine(l: LinkSpec): string {
  const common = `${l.mtu !== undefined ? ` mtu ${l.mtu}` : ''}${l.mac ? ` address ${l.mac}` : ''}`;
  switch (l.kind) {
    case 'bridge':
      return `link add name ${l.name}${common} type bridge`;
    case 'veth': {
      const p = l.peer;
      const peer = `name ${p.name}${l.mtu !== undefined ? ` mtu ${l.mtu}` : ''}${p.mac ? ` address ${p.mac}` : ''}${p.netnsPath ? ` netns ${p.netnsPath}` : ''}`;
      return `link add name ${l.name}${common} type veth peer ${peer}`;
    }
    case 'vxlan':
      return (
        `link add name ${l.name}${common} type vxlan id ${l.vni} dstport ${l.port ?? 0}` +
        `${l.local ? ` local ${l.local}` : ''}${l.device ? ` dev ${l.device}` : ''}${l.learning ? '' : ' nolearning'}`
      );
  }
}

function routeArgs(r: RouteSpec): string {
  const parts = [r.dst === '0.0.0.0/0' ? 'default' : r.dst];
  if (r.gw) parts.push(`via ${r.gw}`);
  if (r.link) parts.push(`dev ${r.link}`);
  if (r.onlink) parts.push('onlink');
  if (r.scope) parts.push(`scope ${r.scope}`);
  if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
  if (r.mtu !== undefined) parts.push(`mtu ${r.mtu}`);
  return parts.join(' ');
}

/** Maps iproute2's messages to the kernel error the fake also raises. */
export function classifyIpError(stderr: string): NetlinkErrorKind {
  if (/File exists|already exists|already assigned/i.test(stderr)) return 'exists';
  if (/No such (device|process|file)|Cannot find device|does not exist|not found|Cannot assign requested/i.test(stderr))
    return 'not-found';
  if (/Invalid argument|Error:/i.test(stderr)) return 'invalid';
  return 'other';
}

/**
 * Writes `sysctls` (keys relative to /proc/sys in path form, `net/ipv4/conf/eth0/arp_notify`, so
 * an interface name with dots stays one component) inside `netnsPath`, then applies `ops` there —
 * all in ONE child process: `nsenter --net=PATH -- sh -c '<write each file>; exec ip -batch -'`.
 * /proc/sys/net shows the namespace of the process that opens it, so the writes need a process
 * in the pod's namespace anyway, and sharing it with the `ip` batch saves a fork + two execs per
 * CNI ADD. Keys and values travel as arguments, never through the shell's parser. A failed write
 * rejects with a NetlinkError at failedOp 0 naming the key (nothing of `ops` was applied).
 */
export async function applyInNetns(
  netnsPath: string,
  ops: readonly NetlinkOp[],
  sysctls: Readonly<Record<string, string>>,
  opts: Pick<IpNetlinkOptions, 'blocking'> = {},
): Promise<void> {
  const entries = Object.entries(sysctls);
  for (const [k] of entries)
    if (!/^[a-z0-9_]+(\/[^/\0]+)+$/.test(k) || k.split('/').some((c) => c === '.' || c === '..')) throw new Error(`sysctl key ${k} is not a /proc/sys path`);
  const nl = new IpCommandNetlink(netnsPath, entries.flat(), opts);
  if (ops.length) await nl.apply(ops);
  else if (entries.length) await nl.apply([], ['lo']);
}

// $1/$2 pairs: /proc/sys path, value; then the remaining arguments are ip's.
const SYSCTL_THEN_IP =
  'while [ "$1" != -- ]; do printf %s "$2" > "/proc/sys/$1" || { echo "sysctl $1: write failed" >&2; exit 1; }; shift 2; done; shift; exec "$@"';

class IpCommandNetlink implements Netlink {
  constructor(
    readonly netnsPath: string | undefined,
    /** sysctl path/value pairs written (in netnsPath) before the first `ip` batch runs. */
    private sysctlPrelude: string[] = [],
    opts: IpNetlinkOptions = {},
  ) {
    this.lockHandoff = opts.lockHandoff;
    this.blocking = opts.blocking ?? false;
  }
  private lockHandoff: LockHandoff | undefined;
  private readonly blocking: boolean;

  private run(tool: 'ip' | 'bridge', args: string[], input?: string) {
    const blocking = this.blocking;
    if (!this.netnsPath) {
      const handoff = this.lockHandoff;
      this.lockHandoff = undefined;
      return runTool(tool, args, input, { ...(handoff ? { handoff } : {}), blocking });
    }
    if (!this.sysctlPrelude.length) return runTool('nsenter', [`--net=${this.netnsPath}`, '--', tool, ...args], input, { blocking });
    const prelude = this.sysctlPrelude;
    this.sysctlPrelude = [];
    return runTool('nsenter', [`--net=${this.netnsPath}`, '--', toolPath('sh'), '-c', SYSCTL_THEN_IP, 'sh', ...prelude, '--', toolPath(tool), ...args], input, { blocking });
  }

  async apply(ops: readonly NetlinkOp[], readBack: readonly string[] = []): Promise<LinkInfo[]> {
    // Consecutive ops of one tool form one batch; the read-back rides on the last `ip` batch.
    const segments: { tool: 'ip' | 'bridge'; start: number; lines: string[] }[] = [];
    ops.forEach((op, i) => {
      const b = opToBatchLine(op);
      const last = segments[segments.length - 1];
      if (last && last.tool === b.tool) last.lines.push(b.line);
      else segments.push({ tool: b.tool, start: i, lines: [b.line] });
    });
    if (readBack.length) {
      const last = segments[segments.length - 1];
      if (last?.tool !== 'ip') segments.push({ tool: 'ip', start: ops.length, lines: [] });
    }
    let shown: LinkInfo[] = [];
    for (const [k, seg] of segments.entries()) {
      const shows = k === segments.length - 1 ? readBack.map((n) => `link show dev ${n}`) : [];
      const all = [...seg.lines, ...shows];
      try {
        const { stdout } = await this.run(seg.tool, shows.length ? ['-j', '-d', '-batch', '-'] : ['-batch', '-'], all.join('\n') + '\n');
        if (shows.length) shown = parseShown(stdout);
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
        const m = /Command failed -:(\d+)/.exec(err.stderr);
        const detail = err.stderr.split('\n').filter((x) => x && !x.startsWith('Command failed')).join('; ');
        if (/^sysctl \S+: write failed/m.test(err.stderr)) throw new NetlinkError(classifyIpError(err.stderr), detail, 0);
        const idx = m ? Number(m[1]) - 1 : 0;
        throw new NetlinkError(classifyIpError(err.stderr), `${all[idx] ?? ''}: ${detail}`, Math.min(seg.start + idx, ops.length));
      }
    }
    return shown;
  }

  async listLinks(): Promise<LinkInfo[]> {
    const { stdout } = await this.run('ip', ['-j', '-d', 'link', 'show']);
    return (JSON.parse(stdout || '[]') as IpLink[]).map(toLinkInfo);
  }

  async getLink(name: string): Promise<LinkInfo | undefined> {
    try {
      const { stdout } = await this.run('ip', ['-j', '-d', 'link', 'show', 'dev', name]);
      const first = (JSON.parse(stdout || '[]') as IpLink[])[0];
      return first ? toLinkInfo(first) : undefined;
    } catch (err) {
      if (err instanceof ToolError && classifyIpError(err.stderr) === 'not-found') return undefined;
      throw err;
    }
  }

  async listAddresses(link?: string): Promise<AddressInfo[]> {
    const args = ['-j', '-4', 'addr', 'show', ...(link ? ['dev', link] : [])];
    let stdout: string;
    try {
      ({ stdout } = await this.run('ip', args));
    } catch (err) {
      if (link && err instanceof ToolError && classifyIpError(err.stderr) === 'not-found') return [];
      throw err;
    }
    const out: AddressInfo[] = [];
    for (const l of JSON.parse(stdout || '[]') as IpLink[])
      for (const a of l.addr_info ?? []) if (a.family === 'inet') out.push({ link: l.ifname, cidr: `${a.local}/${a.prefixlen}` });
    return out;
  }

  async listRoutes(): Promise<RouteSpec[]> {
    const { stdout } = await this.run('ip', ['-j', '-4', 'route', 'show', 'table', 'main']);
    return (JSON.parse(stdout || '[]') as IpRoute[]).map((r) => ({
      dst: r.dst === 'default' ? '0.0.0.0/0' : r.dst.includes('/') ? r.dst : `${r.dst}/32`,
      ...(r.gateway ? { gw: r.gateway } : {}),
      ...(r.dev ? { link: r.dev } : {}),
      ...(r.flags?.includes('onlink') ? { onlink: true } : {}),
      ...(r.scope && r.scope !== 'global' && (r.scope === 'link' || r.scope === 'host') ? { scope: r.scope } : {}),
      ...(r.metric !== undefined ? { metric: r.metric } : {}),
    }));
  }

  async listNeighbours(link: string): Promise<NeighbourSpec[]> {
    const { stdout } = await this.run('ip', ['-j', '-4', 'neigh', 'show', 'dev', link]);
    return (JSON.parse(stdout || '[]') as IpNeigh[])
      .filter((n) => n.lladdr)
      .map((n) => ({ link, ip: n.dst, mac: n.lladdr!, permanent: n.state?.includes('PERMANENT') ?? false }));
  }

  async listFdb(link: string): Promise<FdbSpec[]> {
    const { stdout } = await this.run('bridge', ['-j', 'fdb', 'show', 'dev', link]);
    return (JSON.parse(stdout || '[]') as IpFdb[])
      .filter((f) => f.dst)
      .map((f) => ({ link, mac: f.mac, dst: f.dst!, permanent: f.state === 'permanent' }));
  }

  close(): void {}
}

interface IpLink {
  ifindex: number;
  ifname: string;
  flags?: string[];
  mtu: number;
  address?: string;
  master?: string;
  promiscuity?: number;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  scope?: string;
  metric?: number;
  flags?: string[];
}
interface IpNeigh {
  dst: string;
  lladdr?: string;
  state?: string[];
}
interface IpFdb {
  mac: string;
  dst?: string;
  state?: string;
}

/** `ip -j` prints one JSON array per show command; batch output is those arrays back to back. */
function parseShown(stdout: string): LinkInfo[] {
  const text = stdout.trim();
  if (!text) return [];
  return (JSON.parse(`[${text.replace(/\]\s*\[/g, '],[')}]`) as IpLink[][]).flat().map(toLinkInfo);
}

function toLinkInfo(l: IpLink): LinkInfo {
  return {
    index: l.ifindex,
    name: l.ifname,
    kind: l.linkinfo?.info_kind,
    mac: l.address ?? '',
    mtu: l.mtu,
    up: l.flags?.includes('UP') ?? false,
    master: l.master,
    promisc: (l.promiscuity ?? 0) > 0 || (l.flags?.includes('PROMISC') ?? false),
  };
}
