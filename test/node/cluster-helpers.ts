/**
 * Helpers of the two-node test: kubectl and namespace exec with deadlines, the cluster's state
 * file (node namespaces, daemon PIDs), processes inside a pod namespace, the overlay entries a
 * node's kernel holds, and the entries its peers ask for. Waits poll a condition until a deadline
 * (the machine is shared and loaded), never sleep as an assertion.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { EXIT_RECORDER_NAME } from '../../node/container-process.js';

const execP = promisify(execFile);

export interface Ctx {
  kubeconfig: string;
  stateFile: string;
}

export const kubectl = async (c: Ctx, ...args: string[]): Promise<string> => (await execP('kubectl', args, { env: { ...process.env, KUBECONFIG: c.kubeconfig }, timeout: 30_000, maxBuffer: 16 << 20 })).stdout;

/** Runs argv in namespace `ns`; resolves with stdout+stderr and the exit code (never rejects on a non-zero exit). */
export async function nsRun(ns: string, argv: string[], timeoutMs = 15_000): Promise<{ code: number; out: string }> {
  try {
    const r = await execP('ip', ['netns', 'exec', ns, ...argv], { timeout: timeoutMs });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

export async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await f();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export interface PodInfo {
  name: string;
  uid: string;
  ip: string;
  node: string;
  ready: boolean;
  /** lastTransitionTime of the Ready condition: it moves whenever readiness flips, however briefly. */
  readySince: string;
  restarts: number;
}

export async function webPods(c: Ctx): Promise<PodInfo[]> {
  const list = JSON.parse(await kubectl(c, 'get', 'pods', '-l', 'app=web', '-o', 'json')) as {
    items: { metadata: { name: string; uid: string; deletionTimestamp?: string }; spec: { nodeName?: string }; status?: { podIP?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[]; containerStatuses?: { restartCount: number }[] } }[];
  };
  return list.items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => ({
      name: p.metadata.name,
      uid: p.metadata.uid,
      ip: p.status?.podIP ?? '',
      node: p.spec.nodeName ?? '',
      ready: Boolean(p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')),
      readySince: p.status?.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime ?? '',
      restarts: (p.status?.containerStatuses ?? []).reduce((n, s) => n + s.restartCount, 0),
    }));
}

interface ClusterStateFile {
  layout: { hosts: { nodeName?: string; netns: string; role: string }[] };
  processes: { id: string; pid: number; startTime: string }[];
}

export const clusterState = (c: Ctx): ClusterStateFile => JSON.parse(readFileSync(c.stateFile, 'utf8')) as ClusterStateFile;

/** Node name → its network namespace. */
export const nodeNamespaces = (c: Ctx): Record<string, string> =>
  Object.fromEntries(clusterState(c).layout.hosts.filter((h) => h.nodeName).map((h) => [h.nodeName!, h.netns]));

/** Kernel start time of PID (field 22 of /proc/PID/stat), or undefined when it is gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/**
 * Processes in network namespace `ns` whose command line contains `marker`: PID → start time.
 * The agent's exit-status recorder shell (whose arguments carry the command) is not counted.
 */
export function processesIn(ns: string, marker: string): Map<number, string> {
  const out = new Map<number, string>();
  const want = `net:[${statSync(`/run/netns/${ns}`).ino}]`;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/net`) !== want) continue;
      const cmdline = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (!cmdline.includes(marker) || cmdline.includes(`\0${EXIT_RECORDER_NAME}\0`)) continue;
      const t = processStartTime(Number(e));
      if (t) out.set(Number(e), t);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export interface Entries {
  neighbours: string[];
  fdb: string[];
  routes: string[];
}

/** The overlay entries in node namespace `ns` on VXLAN device `dev`, as sorted text lines. */
export async function kernelEntries(ns: string, dev: string, clusterPrefix: string): Promise<Entries> {
  const j = async <T>(argv: string[]) => {
    const r = await nsRun(ns, argv);
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.out}`);
    return JSON.parse(r.out || '[]') as T;
  };
  const neigh = await j<{ dst: string; lladdr?: string; state?: string[] }[]>(['ip', '-j', 'neigh', 'show', 'dev', dev]);
  const fdb = await j<{ mac: string; dst?: string }[]>(['bridge', '-j', 'fdb', 'show', 'dev', dev]);
  const routes = await j<{ dst: string; gateway?: string; dev?: string; flags?: string[] }[]>(['ip', '-j', 'route', 'show']);
  return {
    neighbours: neigh.filter((n) => n.lladdr).map((n) => `${n.dst} ${n.lladdr} ${(n.state ?? []).join(',')}`).sort(),
    fdb: fdb.filter((f) => f.dst).map((f) => `${f.mac} ${f.dst}`).sort(),
    routes: routes.filter((r) => r.gateway && r.dst.startsWith(clusterPrefix)).map((r) => `${r.dst} via ${r.gateway} dev ${r.dev} ${(r.flags ?? []).includes('onlink') ? 'onlink' : ''}`.trim()).sort(),
  };
}

interface NodeObj {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { podCIDR?: string };
}

/** What node `self` should hold for its peers (every other node with a pod CIDR), from the Node objects. */
export function expectedEntries(self: string, nodes: NodeObj[], dev: string): Entries {
  const peers = nodes.filter((n) => n.metadata.name !== self && n.spec?.podCIDR);
  const vtep = (n: NodeObj) => n.spec!.podCIDR!.replace(/\/\d+$/, '');
  const ann = (n: NodeObj, k: string) => n.metadata.annotations?.[k] ?? '';
  return {
    neighbours: peers.map((n) => `${vtep(n)} ${ann(n, 'sextant.dev/vtep-mac')} PERMANENT`).sort(),
    fdb: peers.map((n) => `${ann(n, 'sextant.dev/vtep-mac')} ${ann(n, 'sextant.dev/public-ip')}`).sort(),
    routes: peers.map((n) => `${n.spec!.podCIDR} via ${vtep(n)} dev ${dev} onlink`).sort(),
  };
}
