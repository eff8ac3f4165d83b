/**
 * Endpoint programming latency of the control plane (not a test; prints one JSON document).
 *
 * A real `sextant server` child process (SQLite store, default durability) runs only the
 * EndpointSlice controller and service allocation. Setup: 1,000 Services × 10 Pods (pods bound
 * to a node, given an IP and left not Ready), waited on until every slice lists its 10
 * not-ready endpoints. Then all 10,000 Pods are flipped to Ready through the API, in random
 * order, by SX_BENCH_CONCURRENCY (default 32) concurrent status writes. A watch on
 * EndpointSlices records, per Pod, when the first slice write showing it ready arrives.
 * Latency is measured from the moment the status write was sent (so it includes the write) and
 * also from its acknowledgement; throughput is flips / (last observation − first send).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ApiClient } from '../../controller/api/client.js';
import { KINDS, type EndpointSlice, type Pod, type Service } from '../../controller/api/index.js';
import { startTestServer } from '../server/harness.js';

const SERVICES = Number(process.env.SX_BENCH_SERVICES ?? 1000);
const PODS_PER = Number(process.env.SX_BENCH_PODS_PER_SERVICE ?? 10);
const CONCURRENCY = Number(process.env.SX_BENCH_CONCURRENCY ?? 32);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};
const round = (x: number) => Math.round(x * 100) / 100;

/** utime+stime (ms) of the server process, found by its data dir in /proc (load-independent cost). */
function serverCpuMs(dir: string): number {
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes(dir) || !cmd.includes('server')) continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      // the process went away
    }
  }
  return NaN;
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

async function main(): Promise<void> {
  const server = await startTestServer(['--controllers=endpointslice,service-allocation']);
  const client = ApiClient.fromKubeconfig(server.kubeconfig);
  const t0 = Date.now();
  try {
    const svcIdx = Array.from({ length: SERVICES }, (_, i) => i);
    await pool(svcIdx, 16, async (i) => {
      await client.create<Service>(KINDS.Service, {
        apiVersion: 'v1', kind: 'Service', metadata: { name: `s${i}`, namespace: 'default' },
        spec: { selector: { app: `s${i}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      });
    });
    const pods: { name: string; ip: string }[] = [];
    for (let s = 0; s < SERVICES; s++) for (let k = 0; k < PODS_PER; k++) {
      const n = pods.length;
      pods.push({ name: `s${s}-p${k}`, ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` });
    }
    const stored = new Map<string, Pod>();
    await pool(pods, 16, async (p) => {
      const created = await client.create<Pod>(KINDS.Pod, {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: p.name, namespace: 'default', labels: { app: p.name.replace(/-p\d+$/, '') } },
        spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] },
      });
      const withIp = await client.updateStatus<Pod>(KINDS.Pod, {
        ...created,
        status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }], conditions: [{ type: 'Ready', status: 'False' }] },
      });
      stored.set(p.name, withIp);
    });
    // Wait until the controller has caught up: every pod listed, not ready.
    for (;;) {
      const l = await client.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default' });
      const n = l.items.reduce((s, x) => s + (x.metadata.labels?.['kubernetes.io/service-name'] === 'kubernetes' ? 0 : x.endpoints.length), 0);
      if (n === pods.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const setupSeconds = (Date.now() - t0) / 1000;

    const sentAt = new Map<string, number>();
    const ackAt = new Map<string, number>();
    const seenAt = new Map<string, number>();
    let sliceEvents = 0;
    let resolveAll: () => void = () => {};
    const allSeen = new Promise<void>((r) => (resolveAll = r));
    const list = await client.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default', limit: 1 });
    const watch = await client.watch<EndpointSlice>(KINDS.EndpointSlice, {
      namespace: 'default',
      resourceVersion: list.metadata.resourceVersion,
      onEvent: (e) => {
        if (e.type !== 'MODIFIED' && e.type !== 'ADDED') return;
        const now = performance.now();
        sliceEvents++;
        for (const ep of (e.object as EndpointSlice).endpoints) {
          const name = ep.targetRef?.name;
          if (!name || !ep.conditions?.ready || seenAt.has(name) || !sentAt.has(name)) continue;
          seenAt.set(name, now);
          if (seenAt.size === pods.length) resolveAll();
        }
      },
      onClose: () => {},
    });
    const order = [...pods].sort(() => Math.random() - 0.5);
    const cpu0 = serverCpuMs(server.dir);
    const start = performance.now();
    await pool(order, CONCURRENCY, async (p) => {
      const pod = stored.get(p.name)!;
      sentAt.set(p.name, performance.now());
      await client.updateStatus<Pod>(KINDS.Pod, { ...pod, status: { ...pod.status, conditions: [{ type: 'Ready', status: 'True' }] } });
      ackAt.set(p.name, performance.now());
    });
    const writesDone = performance.now();
    await Promise.race([allSeen, new Promise((r) => setTimeout(r, 120_000))]);
    const end = Math.max(...seenAt.values());
    const cpuMs = serverCpuMs(server.dir) - cpu0;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    watch.stop();
    const fromSend = [...seenAt].map(([n, t]) => t - sentAt.get(n)!);
    const fromAck = [...seenAt].map(([n, t]) => Math.max(0, t - (ackAt.get(n) ?? t)));
    const throughput = seenAt.size / ((end - start) / 1000);
    const p99 = pct(fromSend, 99);
    process.stdout.write(
      JSON.stringify(
        {
          benchmark: 'endpoints',
          services: SERVICES,
          pods: pods.length,
          concurrency: CONCURRENCY,
          observed: seenAt.size,
          setupSeconds: round(setupSeconds),
          statusWritesPerSec: round(pods.length / ((writesDone - start) / 1000)),
          latencyFromSendMs: { p50: round(pct(fromSend, 50)), p99: round(p99), max: round(Math.max(...fromSend)) },
          latencyFromAckMs: { p50: round(pct(fromAck, 50)), p99: round(pct(fromAck, 99)) },
          transitionsPerSec: round(throughput),
          sliceWriteEvents: sliceEvents,
          serverCpuMsPerTransition: round(cpuMs / pods.length),
          cpuBoundTransitionsPerSec: round(pods.length / (cpuMs / 1000)),
          loadAverage: load,
          targets: { p99Ms: 100, transitionsPerSec: 2000 },
          met: { p99: p99 <= 100, throughput: throughput >= 2000 },
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    client.close();
    await server.cleanup();
  }
}

await main();
