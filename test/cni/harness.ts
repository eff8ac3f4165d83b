import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Runs a command without a shell; resolves with code/stdout/stderr (never rejects on exit code). */
export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: opts.env ?? (process.env as Record<string, string>), encoding: 'utf8', maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const REFERENCE = '/usr/lib/cni';
export const REPO = new URL('../../', import.meta.url).pathname;

/**
 * One test node: a network namespace playing the node (bridge, veths, iptables all live there),
 * pod namespaces, a temp directory with a CNI bin dir (our plugin installed by
 * `sextant install-cni`, the reference plugins linked beside it), an IPAM data dir, a subnet
 * file and libcni's result cache. `destroy()` removes every namespace, process and file.
 */
export class TestNode {
  readonly id = randomBytes(3).toString('hex');
  readonly nodeNs = `sx-cn-${this.id}`;
  readonly dir = mkdtempSync(join(tmpdir(), 'sx-cni-e2e-'));
  readonly binDir = join(this.dir, 'bin');
  readonly confDir = join(this.dir, 'net.d');
  readonly dataDir = join(this.dir, 'ipam');
  readonly cacheDir = join(this.dir, 'results');
  readonly subnetFile = join(this.dir, 'subnet.env');
  private readonly namespaces = new Set<string>();
  private readonly children = new Set<ChildProcess>();

  static async create(subnet = 'SEXTANT_NETWORK=10.244.0.0/16\nSEXTANT_SUBNET=10.244.1.1/24\nSEXTANT_MTU=1450\nSEXTANT_IPMASQ=true\n'): Promise<TestNode> {
    const n = new TestNode();
    try {
      await n.addNamespace(n.nodeNs);
      await must('ip', ['netns', 'exec', n.nodeNs, 'ip', 'link', 'set', 'lo', 'up']);
      const inst = await run(process.execPath, [join(REPO, 'dist/sextant.mjs'), 'install-cni', '--bin-dir', n.binDir, '--conf-dir', n.confDir]);
      if (inst.code !== 0) throw new Error(`install-cni failed: ${inst.stderr}`);
      for (const p of readdirSync(REFERENCE)) symlinkSync(join(REFERENCE, p), join(n.binDir, p));
      mkdirSync(n.cacheDir, { recursive: true });
      if (subnet) writeFileSync(n.subnetFile, subnet);
      return n;
    } catch (err) {
      await n.destroy();
      throw err;
    }
  }

  async addNamespace(name: string): Promise<string> {
    await must('ip', ['netns', 'add', name]);
    this.namespaces.add(name);
    return `/run/netns/${name}`;
  }

  async newPod(): Promise<string> {
    return this.addNamespace(`sx-cp-${this.id}-${randomBytes(3).toString('hex')}`);
  }

  async deleteNamespace(path: string): Promise<void> {
    const name = path.split('/').pop()!;
    await run('ip', ['netns', 'del', name]);
    this.namespaces.delete(name);
  }

  /** Runs `cmd` inside namespace `ns` (a name or /run/netns path). */
  exec(ns: string, cmd: string, args: string[], input?: string) {
    return run('ip', ['netns', 'exec', ns.split('/').pop()!, cmd, ...args], input === undefined ? {} : { input });
  }

  /** Starts a long-running process in a namespace, killed by PID at destroy(). */
  spawnIn(ns: string, cmd: string, args: string[]): ChildProcess {
    const c = spawn('ip', ['netns', 'exec', ns.split('/').pop()!, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(c);
    return c;
  }

  /** Executes a plugin from the bin dir inside the node namespace, as a runtime on that node would. */
  async plugin(type: string, env: Record<string, string>, config: unknown) {
    const fullEnv: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: this.binDir, ...env };
    const r = await run('ip', ['netns', 'exec', this.nodeNs, join(this.binDir, type)], { env: fullEnv, input: JSON.stringify(config) });
    let doc: Record<string, unknown> | undefined;
    try {
      doc = r.stdout.trim() ? (JSON.parse(r.stdout) as Record<string, unknown>) : undefined;
    } catch {
      doc = { unparsable: r.stdout };
    }
    return { code: r.code, doc, stderr: r.stderr };
  }

  reservations(network: string): string[] {
    const d = join(this.dataDir, network);
    return existsSync(d) ? readdirSync(d).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
  }

  async links(ns = this.nodeNs): Promise<{ ifname: string; master?: string; mtu: number; address: string; operstate: string }[]> {
    return JSON.parse((await this.exec(ns, 'ip', ['-j', 'link', 'show'])).stdout || '[]');
  }

  async natRules(): Promise<string> {
    return (await this.exec(this.nodeNs, 'iptables-save', ['-t', 'nat'])).stdout;
  }

  async destroy(): Promise<void> {
    for (const c of this.children) if (c.pid && c.exitCode === null) try { process.kill(c.pid); } catch { /* gone */ }
    for (const ns of [...this.namespaces].reverse()) await run('ip', ['netns', 'del', ns]);
    this.namespaces.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A conflist the way libcni reads it. */
export interface ConfList {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

/**
 * Plays libcni: ADD runs the plugins in order passing prevResult along and caches the final
 * result under results/<network>-<id>-<ifname>; CHECK runs in order with the cached result;
 * DEL runs in reverse with the cached result as prevResult and removes the cache entry;
 * capabilities are fed from runtimeConfig; GC passes cni.dev/valid-attachments.
 */
export class Runtime {
  constructor(readonly node: TestNode) {}

  private cachePath(list: ConfList, id: string, ifName: string) {
    return join(this.node.cacheDir, `${list.name}-${id}-${ifName}`);
  }

  private pluginConfig(list: ConfList, plugin: Record<string, unknown>, prevResult: unknown, runtimeConfig: Record<string, unknown>) {
    const caps = (plugin.capabilities ?? {}) as Record<string, boolean>;
    const rc: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(runtimeConfig)) if (caps[k]) rc[k] = v;
    const { capabilities: _c, ...rest } = plugin;
    return { ...rest, cniVersion: list.cniVersion, name: list.name, ...(Object.keys(rc).length ? { runtimeConfig: rc } : {}), ...(prevResult ? { prevResult } : {}) };
  }

  private env(command: string, id: string, netns: string, ifName: string, args?: string) {
    return { CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: ifName, ...(args ? { CNI_ARGS: args } : {}) };
  }

  async add(list: ConfList, id: string, netns: string, ifName = 'eth0', runtimeConfig: Record<string, unknown> = {}) {
    let prev: unknown;
    for (const p of list.plugins) {
      const r = await this.node.plugin(String(p.type), this.env('ADD', id, netns, ifName, 'IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p'), this.pluginConfig(list, p, prev, runtimeConfig));
      if (r.code !== 0) return { ok: false as const, error: r.doc, plugin: p.type };
      prev = r.doc;
    }
    writeFileSync(this.cachePath(list, id, ifName), JSON.stringify({ kind: 'cniCacheV1', containerId: id, ifName, networkName: list.name, result: prev, runtimeConfig }));
    return { ok: true as const, result: prev as Record<string, unknown> };
  }

  cached(list: ConfList, id: string, ifName = 'eth0'): { result: unknown; runtimeConfig: Record<string, unknown> } | undefined {
    const p = this.cachePath(list, id, ifName);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { result: unknown; runtimeConfig: Record<string, unknown> }) : undefined;
  }

  /** `skip`: plugin types left out (the reference portmap 1.1.1 CHECK is broken for IPv4-only pods, plugins#819). */
  async check(list: ConfList, id: string, netns: string, ifName = 'eth0', skip: string[] = []) {
    const c = this.cached(list, id, ifName);
    for (const p of list.plugins) {
      if (skip.includes(String(p.type))) continue;
      const r = await this.node.plugin(String(p.type), this.env('CHECK', id, netns, ifName), this.pluginConfig(list, p, c?.result, c?.runtimeConfig ?? {}));
      if (r.code !== 0) return { ok: false as const, error: r.doc, plugin: p.type };
    }
    return { ok: true as const };
  }

  async del(list: ConfList, id: string, netns: string, ifName = 'eth0') {
    const c = this.cached(list, id, ifName);
    const errors: unknown[] = [];
    for (const p of [...list.plugins].reverse()) {
      const r = await this.node.plugin(String(p.type), this.env('DEL', id, netns, ifName), this.pluginConfig(list, p, c?.result, c?.runtimeConfig ?? {}));
      if (r.code !== 0) errors.push(r.doc);
    }
    if (!errors.length && existsSync(this.cachePath(list, id, ifName))) unlinkSync(this.cachePath(list, id, ifName));
    return { ok: errors.length === 0, errors };
  }

  async gc(list: ConfList, valid: { containerID: string; ifname: string }[]) {
    const out = [];
    for (const p of list.plugins)
      out.push(await this.node.plugin(String(p.type), { CNI_COMMAND: 'GC' }, { ...this.pluginConfig(list, p, undefined, {}), 'cni.dev/valid-attachments': valid }));
    return out;
  }
}
