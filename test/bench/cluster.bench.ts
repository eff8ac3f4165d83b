/**
 * Local-cluster benchmark (JSON on stdout).
 * 1. `sextant cluster up` (3 nodes, default DNS replicas): wall time until it returns — every node
 *    Ready and DNS answering — with the per-step times it printed.
 * 2. Convergence, 5 runs: `kubectl scale deploy web --replicas=30` (from 1); the time from the
 *    moment the last of the 30 pods is Ready (seen on a pod watch here) until all 30 endpoints are
 *    in the nat rules of every node (`iptables-save` polled in each node namespace) and in the
 *    DNS answers of a headless service (`dig +tcp` from a node through 10.96.0.10); p50/p99.
 *    Then back to 1 replica and wait until that has converged too.
 * Targets (issue 8): up ≤ 20 s; convergence p99 ≤ 1 s after the last pod is Ready.
 * The cluster has a unique name and is always taken down.
 */
import { execFile } from 'node:child_process';
import { BUNDLE, buildBundle } from './sextant-binary.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiClient, createInformer, KINDS, type Pod } from '../../controller/api/index.js';
import type { ClusterState } from '../../cluster/state.js';

const execFileP = promisify(execFile);
const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
const SEXTANT = BUNDLE;
const RUNS = Number(process.env.SX_BENCH_RUNS ?? 5);
const REPLICAS = 30;
const name = `bx${randomBytes(2).toString('hex')}`;
const home = mkdtempSync(join(tmpdir(), 'sx-cluster-bench-'));
const kubeconfig = join(home, 'kubeconfig');
const env = { ...process.env, HOME: home, KUBECONFIG: kubeconfig };
/** Stops the pod watch; also on failure, else its reconnect loop keeps the process alive after `cluster down`. */
let stopWatch = () => {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kubectl = async (args: string[], input?: string) => {
  const p = execFileP('kubectl', args, { env, encoding: 'utf8' });
  if (input !== undefined) p.child.stdin?.end(input);
  return (await p).stdout;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const round = (x: number) => Math.round(x * 10) / 10;

async function nodeRulesHave(netns: string, ips: string[]): Promise<boolean> {
  const { stdout } = await execFileP('ip', ['netns', 'exec', netns, 'iptables-save', '-t', 'nat'], { maxBuffer: 64 << 20 });
  const found = new Set([...stdout.matchAll(/--to-destination (\d+\.\d+\.\d+\.\d+):8080/g)].map((m) => m[1]!));
  return found.size === ips.length && ips.every((ip) => found.has(ip));
}

async function dnsHas(netns: string, ips: string[]): Promise<boolean> {
  const r = await execFileP('ip', ['netns', 'exec', netns, 'dig', '+tcp', '+short', '+time=1', '+tries=1', '@10.96.0.10', 'web-headless.default.svc.cluster.local'], { encoding: 'utf8' }).catch(() => ({ stdout: '' }));
  const got = r.stdout.trim().split('\n').filter(Boolean).sort();
  return JSON.stringify(got) === JSON.stringify([...ips].sort());
}

/** Polls `check` until true; returns the time (ms since epoch) it first held. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

async function main() {
  buildBundle();
  const t0 = Date.now();
  const up = await execFileP(process.execPath, [SEXTANT, 'cluster', 'up', '--name', name, '--nodes', '3', '--kubeconfig', kubeconfig], { encoding: 'utf8' });
  const upMs = Date.now() - t0;
  const steps = Object.fromEntries([...up.stdout.matchAll(/✓ (.+?)\s{2,}.*\(([\d.]+)s\)$/gm)].map((m) => [m[1]!.trim(), Number(m[2])]));
  const state = JSON.parse(readFileSync(`/run/sextant/${name}/state.json`, 'utf8')) as ClusterState;
  const nodes = state.layout.hosts.filter((h) => h.nodeName);
  const probe = nodes.find((h) => h.role === 'worker') ?? nodes[0]!;

  await kubectl(['apply', '-f', join(REPO, 'examples/web/web.yaml')]);
  await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web-headless\nspec:\n  clusterIP: None\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n');
  const client = ApiClient.fromKubeconfig(kubeconfig);
  // When each pod last became Ready, as seen on the watch; a pod that turns unready drops out.
  const readySince = new Map<string, number>();
  const pods = createInformer<Pod>(client, KINDS.Pod, { namespace: 'default', labelSelector: 'app=web' });
  const note = (p: Pod) => {
    const ready = (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') && !!p.status?.podIP && !p.metadata.deletionTimestamp;
    if (!ready) readySince.delete(p.metadata.uid!);
    else if (!readySince.has(p.metadata.uid!)) readySince.set(p.metadata.uid!, Date.now());
  };
  pods.addHandlers({ onAdd: note, onUpdate: (_a, b) => note(b), onDelete: (p) => readySince.delete(p.metadata.uid!) });
  pods.start();
  stopWatch = () => {
    pods.stop();
    client.close();
  };
  await pods.synced();
  const readyPods = () => pods.list().filter((p) => readySince.has(p.metadata.uid!));
  /**
   * Polls every node's rules and DNS until all list exactly the `n` ready pods at once; a change
   * of the ready set restarts the clock. Returns times relative to the last pod becoming Ready.
   */
  const converged = async (n: number) => {
    const deadline = Date.now() + 240_000;
    let key = '';
    let matched = new Map<string, number>();
    for (;;) {
      if (Date.now() > deadline) {
        const waiting = pods.list().filter((p) => !readySince.has(p.metadata.uid!)).map((p) => `${p.metadata.name} rv ${p.metadata.resourceVersion} ${JSON.stringify(p.status?.conditions?.find((c) => c.type === 'Ready') ?? null)}`);
        throw new Error(`not converged on ${n} endpoints: ready ${readyPods().length}, matched ${[...matched.keys()].join(',')}; not ready: ${waiting.join('; ')}`);
      }
      const ready = readyPods();
      const ips = ready.map((p) => p.status!.podIP!).sort();
      if (ips.length !== n) {
        await sleep(50);
        continue;
      }
      if (ips.join() !== key) {
        key = ips.join();
        matched = new Map();
      }
      await Promise.all([
        ...nodes.map(async (h) => {
          if (!matched.has(h.netns) && (await nodeRulesHave(h.netns, ips))) matched.set(h.netns, Date.now());
        }),
        (async () => {
          if (!matched.has('dns') && (await dnsHas(probe.netns, ips))) matched.set('dns', Date.now());
        })(),
      ]);
      if (readyPods().map((p) => p.status!.podIP!).sort().join() !== key) continue;
      if (matched.size === nodes.length + 1) {
        const lastReady = Math.max(...ready.map((p) => readySince.get(p.metadata.uid!)!));
        const rulesAt = Math.max(...nodes.map((h) => matched.get(h.netns)!));
        return { lastReady, rulesMs: rulesAt - lastReady, dnsMs: matched.get('dns')! - lastReady };
      }
      await sleep(20);
    }
  };
  await kubectl(['scale', 'deploy', 'web', '--replicas=1']);
  await converged(1);

  const runs: { scaleToReadyMs: number; rulesMs: number; dnsMs: number; convergenceMs: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = Date.now();
    await kubectl(['scale', 'deploy', 'web', `--replicas=${REPLICAS}`]);
    const r = await converged(REPLICAS);
    runs.push({ scaleToReadyMs: r.lastReady - start, rulesMs: Math.max(0, r.rulesMs), dnsMs: Math.max(0, r.dnsMs), convergenceMs: Math.max(0, r.rulesMs, r.dnsMs) });
    await kubectl(['scale', 'deploy', 'web', '--replicas=1']);
    await until('scaled down to 1 pod', async () => pods.list().length === 1, 180_000);
    await converged(1);
  }
  stopWatch();
  const conv = runs.map((r) => r.convergenceMs);
  return {
    benchmark: 'cluster',
    cluster: { nodes: nodes.length, name },
    up: { totalMs: upMs, stepsSeconds: steps, targetMs: 20_000, meetsTarget: upMs <= 20_000 },
    convergence: {
      replicas: REPLICAS,
      runs: runs.length,
      what: 'ms from the last of the 30 pods Ready (pod watch) until all 30 endpoints are in every node\'s nat rules and in headless DNS answers',
      p50Ms: round(pct(conv, 50)),
      p99Ms: round(pct(conv, 99)),
      rulesP50Ms: round(pct(runs.map((r) => r.rulesMs), 50)),
      rulesP99Ms: round(pct(runs.map((r) => r.rulesMs), 99)),
      dnsP50Ms: round(pct(runs.map((r) => r.dnsMs), 50)),
      dnsP99Ms: round(pct(runs.map((r) => r.dnsMs), 99)),
      scaleToLastReadyMs: runs.map((r) => r.scaleToReadyMs),
      targetP99Ms: 1000,
      meetsTarget: pct(conv, 99) <= 1000,
      pollIntervalMs: 20,
    },
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
  };
}

main()
  .then((result) => process.stdout.write(JSON.stringify(result, null, 2) + '\n'))
  .catch((err: unknown) => {
    process.stderr.write(`cluster bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    stopWatch();
    if (existsSync(`/run/sextant/${name}/state.json`)) await execFileP(process.execPath, [SEXTANT, 'cluster', 'down', '--name', name]).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  });
