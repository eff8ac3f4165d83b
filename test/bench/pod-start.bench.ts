// Pod start latency on a local cluster (control plane + two workers running `sextant agent`):
// from the API create call to the first watch event showing the pod Ready with a pod IP —
// scheduling, the agent's watch, network namespace, CNI ADD, the process start and the status
// write. 50 pods one after another (the target: p50 ≤ 300 ms), then the same 50 created at once;
// then, as the reference in the same run, 50 bare sandboxes without any API (bench-bare-sandbox.ts).
// Prints one JSON document.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInformer, KINDS, type Pod } from '../../controller/api/index.js';
import { benchCluster, machineLoad } from '../node/bench-cluster.js';
import { bareSandboxStarts } from '../node/bench-bare-sandbox.js';

const N = Number(process.env.SX_BENCH_PODS ?? 50);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!.toFixed(1));
};
const stats = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), max: pct(xs, 100) });
const isUp = (p: Pod) => Boolean(p.status?.podIP) && Boolean(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));

async function main() {
  const loadBefore = machineLoad();
  const c = await benchCluster('172.29.96.0/24');
  const informer = createInformer<Pod>(c.client, KINDS.Pod, { namespace: 'default' });
  const waiters = new Map<string, () => void>();
  const seen = (p: Pod) => {
    const name = p.metadata.name ?? '';
    if (isUp(p)) waiters.get(name)?.();
  };
  informer.addHandlers({ onAdd: seen, onUpdate: (_a, b) => seen(b) });
  try {
    informer.start();
    await informer.synced();
    const pod = (name: string): Pod => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { bench: 'pod-start' } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'debian', command: ['/usr/bin/sleep', '3600'] }] },
    });
    const startOne = async (name: string): Promise<number> => {
      const up = new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${name} not Ready with an IP within 120 s`)), 120_000);
        waiters.set(name, () => {
          clearTimeout(t);
          waiters.delete(name);
          resolve();
        });
      });
      const t0 = performance.now();
      await c.client.create(KINDS.Pod, pod(name));
      await up;
      return performance.now() - t0;
    };
    const deleteAll = async (names: string[]) => {
      await Promise.all(names.map((n) => c.client.delete(KINDS.Pod, 'default', n).catch(() => undefined)));
      const until = Date.now() + 180_000;
      while (Date.now() < until && names.some((n) => informer.get('default', n))) await new Promise((r) => setTimeout(r, 200));
    };

    // one warm-up pod per worker path (first CNI ADD creates the bridge), not counted
    await startOne('warmup');
    await deleteAll(['warmup']);

    const sequential: number[] = [];
    const seqNames = Array.from({ length: N }, (_, i) => `seq-${i}`);
    for (const n of seqNames) sequential.push(await startOne(n));
    await deleteAll(seqNames);

    const burstNames = Array.from({ length: N }, (_, i) => `burst-${i}`);
    const burstStart = performance.now();
    const burst = await Promise.all(burstNames.map((n) => startOne(n)));
    const burstWall = performance.now() - burstStart;
    await deleteAll(burstNames);

    // the reference, same run and worker: a bare runtime's pod (netns + reference CNI ADD + process), no API
    const bare = await bareSandboxStarts(c.workers[0]!.netns, N);

    // where the agents spent the sandbox time ("pod sandbox ready" log lines of both workers)
    const stages: Record<'sequential' | 'burst', Record<string, number[]>> = { sequential: {}, burst: {} };
    for (const w of c.workers) {
      let text = '';
      try {
        text = readFileSync(join(c.logDir, `agent-${w.nodeName}.log`), 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        if (!line.includes('"pod sandbox ready"')) continue;
        const rec = JSON.parse(line) as Record<string, unknown>;
        const series = String(rec.pod).startsWith('default/seq-') ? stages.sequential : String(rec.pod).startsWith('default/burst-') ? stages.burst : undefined;
        if (series) for (const k of ['netnsMs', 'cniAddMs', 'serviceAccountMs', 'totalMs']) if (typeof rec[k] === 'number') (series[k] ??= []).push(rec[k]);
      }
    }
    const p50 = pct(sequential, 50);
    console.log(
      JSON.stringify(
        {
          bench: 'pod-start',
          what: 'API create → watch shows Ready + podIP (scheduler, agent watch, netns, CNI ADD, process start, status write); pods run /usr/bin/sleep',
          pods: N,
          sequentialMs: stats(sequential),
          burstMs: { ...stats(burst), wallMs: Number(burstWall.toFixed(0)) },
          referenceBareSandboxMs: { what: 'ip netns add + Debian bridge/host-local CNI ADD + ip netns exec sleep spawned, sequential, no API', total: stats(bare.totalMs), cniAdd: stats(bare.cniAddMs) },
          agentSandboxStagesMs: Object.fromEntries(Object.entries(stages).map(([series, st]) => [series, Object.fromEntries(Object.entries(st).map(([k, xs]) => [k, stats(xs)]))])),
          target: { sequentialP50Ms: 300, met: p50 <= 300 },
          load: { before: loadBefore, after: machineLoad() },
        },
        null,
        2,
      ),
    );
  } finally {
    informer.stop();
    c.client.close();
    await c.down();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
