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
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ApiClient } from '../../controller/api/client.js';
import { KINDS, type EndpointSlice, type Pod, type Service } from '../../controller/api/index.js';
import { startTestServer } from '../server/harness.js';
import { sextantBinary, sextantCommand } from './sextant-binary.js';

const SERVICES = Number(process.env.SX_BENCH_SERVICES ?? 1000);
const PODS_PER = Number(process.env.SX_BENCH_PODS_PER_SERVICE ?? 10);
const CONCURRENCY = Number(process.env.SX_BENCH_CONCURRENCY ?? 32);
/** Extra `sextant server` flags for experiments (e.g. `--insecure-http` to see what TLS costs). */
const SERVER_ARGS = (process.env.SX_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);

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

/** utime+stime (ms) of each thread of the server process (by thread id; the main thread's id is the pid). */
function serverThreadCpuMs(dir: string): { pid: string; threads: Map<string, number> } {
  for (const pid of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes(dir) || !cmd.includes('server')) continue;
      const threads = new Map<string, number>();
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        threads.set(tid, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
      }
      return { pid, threads };
    } catch {
      // the process went away
    }
  }
  return { pid: '', threads: new Map() };
}

/**
 * CPU per transition of the server's main thread (the API) and of its busiest other thread (the
 * controllers' worker thread when they run in one; else a GC or libuv thread).
 */
function threadSplit(before: ReturnType<typeof serverThreadCpuMs>, after: ReturnType<typeof serverThreadCpuMs>, n: number): { main: number; busiestOther: number } {
  const delta = (tid: string) => (after.threads.get(tid) ?? 0) - (before.threads.get(tid) ?? 0);
  let other = 0;
  for (const tid of after.threads.keys()) if (tid !== after.pid) other = Math.max(other, delta(tid));
  return { main: Math.round((delta(after.pid) / n) * 1000) / 1000, busiestOther: Math.round((other / n) * 1000) / 1000 };
}

/** apiserver_request_total by `VERB resource` (from the server's /metrics). */
async function requestCounts(client: ApiClient): Promise<Map<string, number>> {
  const text = await client.request<string>('GET', '/metrics');
  const out = new Map<string, number>();
  for (const m of String(text).matchAll(/^apiserver_request_total\{([^}]*)\} (\d+)/gm)) {
    const l = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const k = `${l.verb} ${l.resource}`;
    out.set(k, (out.get(k) ?? 0) + Number(m[2]));
  }
  return out;
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (i < items.length) await fn(items[i++]!);
  }));
}

/**
 * The reference: the same status writes (same client, concurrency and PUTs) against a server
 * running no control loops, so the cost of the writes themselves is known and what the
 * EndpointSlice machinery adds on top of it can be read off in the same run.
 */
async function referenceStatusWrites(n: number): Promise<{ pods: number; serverCpuMsPerWrite: number; clientCpuMsPerWrite: number; writesPerSec: number }> {
  const server = await startTestServer(['--controllers=service-allocation', ...SERVER_ARGS], sextantCommand());
  const client = ApiClient.fromKubeconfig(server.kubeconfig);
  try {
    const stored: Pod[] = [];
    await pool(Array.from({ length: n }, (_, i) => i), 16, async (i) => {
      const created = await client.create<Pod>(KINDS.Pod, {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: `r${i}`, namespace: 'default', labels: { app: `r${i % 1000}` } },
        spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] },
      });
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      stored.push(await client.updateStatus<Pod>(KINDS.Pod, { ...created, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'False' }] } }));
    });
    const cpu0 = serverCpuMs(server.dir);
    const clientCpu0 = process.cpuUsage();
    const start = performance.now();
    await pool(stored, CONCURRENCY, async (pod) => {
      await client.updateStatus<Pod>(KINDS.Pod, { ...pod, status: { ...pod.status, conditions: [{ type: 'Ready', status: 'True' }] } });
    });
    const seconds = (performance.now() - start) / 1000;
    const c = process.cpuUsage(clientCpu0);
    return { pods: n, serverCpuMsPerWrite: round((serverCpuMs(server.dir) - cpu0) / n), clientCpuMsPerWrite: round((c.user + c.system) / 1000 / n), writesPerSec: round(n / seconds) };
  } finally {
    client.close();
    await server.cleanup();
  }
}

async function main(): Promise<void> {
  const server = await startTestServer(['--controllers=endpointslice,service-allocation', ...SERVER_ARGS], sextantCommand());
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
    // Fisher-Yates: every order equally likely (sorting with a random comparator is not, and
    // leaves a service's pods closer together than chance would)
    const order = [...pods];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const req0 = await requestCounts(client);
    const cpu0 = serverCpuMs(server.dir);
    const threads0 = serverThreadCpuMs(server.dir);
    const clientCpu0 = process.cpuUsage();
    const mono0 = process.hrtime.bigint() / 1000n;
    const start = performance.now();
    await pool(order, CONCURRENCY, async (p) => {
      const pod = stored.get(p.name)!;
      sentAt.set(p.name, performance.now());
      await client.updateStatus<Pod>(KINDS.Pod, { ...pod, status: { ...pod.status, conditions: [{ type: 'Ready', status: 'True' }] } });
      ackAt.set(p.name, performance.now());
    });
    const writesDone = performance.now();
    // unref'd: a pending give-up timer must not keep the finished bench alive for two minutes
    await Promise.race([allSeen, new Promise((r) => setTimeout(r, 120_000).unref())]);
    const end = Math.max(...seenAt.values());
    const cpuMs = serverCpuMs(server.dir) - cpu0;
    const threadCpu = threadSplit(threads0, serverThreadCpuMs(server.dir), pods.length);
    const clientCpu = process.cpuUsage(clientCpu0);
    // For --cpu-prof analysis: the flip phase on CLOCK_MONOTONIC (what V8 profiles use), in µs.
    if (process.env.SX_BENCH_WINDOW) process.stderr.write(`flip window us: ${mono0} ${process.hrtime.bigint() / 1000n}\n`);
    const req1 = await requestCounts(client);
    const requests: Record<string, number> = {};
    for (const [k, v] of req1) if (v - (req0.get(k) ?? 0) > 0 && !k.startsWith('GET ')) requests[k] = v - (req0.get(k) ?? 0);
    const writesOf = (resource: string) => Object.entries(requests).filter(([k]) => k.endsWith(` ${resource}`) && !/^(WATCH|LIST|GET) /.test(k)).reduce((s, [, v]) => s + v, 0);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    watch.stop();
    client.close();
    await server.cleanup();
    const reference = await referenceStatusWrites(Math.min(pods.length, Number(process.env.SX_BENCH_REFERENCE_PODS ?? 3000)));
    const fromSend = [...seenAt].map(([n, t]) => t - sentAt.get(n)!);
    // SX_BENCH_DUMP=<file>: one line per pod, ms since the flip started: sent, acknowledged, seen ready in a slice
    if (process.env.SX_BENCH_DUMP) writeFileSync(process.env.SX_BENCH_DUMP, [...seenAt].map(([n, t]) => `${(sentAt.get(n)! - start).toFixed(1)} ${(ackAt.get(n)! - start).toFixed(1)} ${(t - start).toFixed(1)}`).join('\n'));
    const fromAck = [...seenAt].map(([n, t]) => Math.max(0, t - (ackAt.get(n) ?? t)));
    const throughput = seenAt.size / ((end - start) / 1000);
    const p99 = pct(fromSend, 99);
    process.stdout.write(
      JSON.stringify(
        {
          benchmark: 'endpoints',
          binary: sextantBinary(),
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
          serverThreadCpuMsPerTransition: threadCpu,
          clientCpuMsPerTransition: round((clientCpu.user + clientCpu.system) / 1000 / pods.length),
          requestsDuringFlip: requests,
          writesPerTransition: { endpointslices: round(writesOf('endpointslices') / pods.length), endpoints: round(writesOf('endpoints') / pods.length) },
          cpuBoundTransitionsPerSec: round(pods.length / (cpuMs / 1000)),
          referenceNoControllers: reference,
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
