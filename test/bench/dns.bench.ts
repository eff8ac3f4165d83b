/**
 * DNS benchmark (JSON on stdout). Measures the bundled `node dist/sextant.mjs dns --kubeconfig`
 * (built first with tools/build.mjs) fed by a list/watch-only API (dns-fake-api.ts) with 1,000
 * ClusterIP services — the default (`--workers 2`: two UDP worker threads), `--workers 1` and
 * `--workers 3` — and, in the same run, dnsmasq serving the
 * same names from a hosts file. Everything listens on 127.0.0.1; processes are stopped by PID.
 *
 * Method:
 * - query mix: 5,000 lines, 80% existing A names, 20% search-path NXDOMAINs
 *   (`<svc>.bench.svc.cluster.local.bench.svc.cluster.local`);
 * - throughput: dnsperf over the whole file RUNS times (`-n`, so every query is either answered
 *   or counted lost after the 2 s timeout — no in-flight queries miscounted at a time limit),
 *   4 clients and 200 outstanding for UDP, 8 clients for TCP;
 * - latency: dnsperf 2.10 has no histogram, so separate runs at fixed rates (`-Q`, 10k and 40k) with
 *   `-v`, which prints every query's latency; p50/p99/p99.9/max are computed from those lines.
 *   A fixed rate below saturation measures service time, not the queueing that any server shows
 *   when driven flat out with 200 queries outstanding;
 * - memory: RSS, PSS (smaps_rollup) and VmHWM from /proc of the server with 10,000 services,
 *   after the informers synced, after a run of the query file above (1,000 of the services), and
 *   after 2 runs of 50,000 queries over all 10,000 (the same mix: 20,000 distinct questions, which
 *   fill the packet caches to their 20,000-entry bound); the target is judged on RSS (a DNS pod in
 *   its own image shares no node binary pages with anything), PSS is reported beside it;
 * - every server is started as the cluster starts its DNS pods: the node options and environment
 *   of dns/launch.ts (the same constants cluster/manifests.ts puts in the Deployment), nothing else;
 * - rounds: all servers run at once and ROUNDS rounds interleave them (UDP throughput and both
 *   latency runs per server per round); medians are reported with every round's value;
 * - the 1-minute load average is recorded around every measurement: the machine is shared.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { BUNDLE, buildBundle } from './sextant-binary.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';
import { startFakeApi, type FakeApi } from './dns-fake-api.js';
import { DNS_ENV, DNS_NODE_OPTIONS } from '../../dns/launch.js';

const SERVICES = 1000;
const RUNS = Number(process.env.SX_BENCH_RUNS ?? 40);
const ROUNDS = Number(process.env.SX_BENCH_ROUNDS ?? 3);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const RATES = (process.env.SX_BENCH_RATES ?? '10000,40000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'sx-dns-bench-'));
const children: ChildProcess[] = [];
const load = () => Number(loadavg()[0]!.toFixed(2));

/** `count` queries over `services` services: 80% existing A names, 20% search-path NXDOMAINs. */
function queryFile(services = SERVICES, count = 5000, file = 'queries.txt'): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const k = (i * 7919) % services;
    lines.push(i % 5 === 4 ? `svc-${k}.bench.svc.cluster.local.bench.svc.cluster.local A` : `svc-${k}.bench.svc.cluster.local A`);
  }
  const p = join(dir, file);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

const num = (out: string, re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);

function throughput(port: number, mode: 'udp' | 'tcp', queries: string, runs: number) {
  const load1 = load();
  const r = spawnSync('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-m', mode, '-d', queries, '-n', String(runs), '-c', mode === 'tcp' ? '8' : '4', '-q', '200', '-t', '2'], { encoding: 'utf8', timeout: 300_000 });
  const out = r.stdout ?? '';
  const sent = num(out, /Queries sent:\s+(\d+)/);
  const lost = num(out, /Queries lost:\s+(\d+)/);
  return {
    mode, qps: Math.round(num(out, /Queries per second:\s+([\d.]+)/)), sent, lost, lossPercent: Number(((100 * lost) / sent).toFixed(4)),
    nxdomain: num(out, /NXDOMAIN (\d+)/), avgLatencyMs: num(out, /Average Latency \(s\):\s+([\d.]+)/) * 1000, load1: [load1, load()],
    ...(r.status !== 0 ? { error: (r.stderr || out).slice(0, 300) } : {}),
  };
}

function latency(port: number, queries: string, rate: number) {
  const load1 = load();
  const r = spawnSync('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-n', '4', '-Q', String(rate), '-c', '4', '-q', '200', '-t', '2', '-v'], { encoding: 'utf8', timeout: 300_000, maxBuffer: 256 * 1024 * 1024 });
  const out = r.stdout ?? '';
  const ms = [...out.matchAll(/^> \w+ \S+ \S+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
  const at = (q: number) => Number((ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? NaN).toFixed(3));
  return {
    rate, answered: ms.length, lost: num(out, /Queries lost:\s+(\d+)/), qps: Math.round(num(out, /Queries per second:\s+([\d.]+)/)),
    p50Ms: at(0.5), p99Ms: at(0.99), p999Ms: at(0.999), maxMs: Number((ms[ms.length - 1] ?? NaN).toFixed(3)), load1: [load1, load()],
    ...(r.status !== 0 ? { error: (r.stderr || out).slice(0, 300) } : {}),
  };
}

/**
 * Memory of a process and its direct children, from /proc: RSS and VmHWM summed, and PSS summed
 * (smaps_rollup). PSS charges each shared page to the processes mapping it in equal parts, so a
 * page of the node binary shared by several processes is not counted once per process. (It is
 * also shared with unrelated node processes on the machine, which lowers a lone process's PSS.)
 * The target is judged on RSS: a DNS pod in its own image would share nothing. Worker threads are
 * one process.
 */
function memory(pid: number): { rssMB: number; pssMB: number; hwmMB: number; processes: number; threads: number } {
  const pids = [pid];
  try {
    pids.push(...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch { /* no children file */ }
  let rss = 0;
  let pss = 0;
  let hwm = 0;
  let threads = 0;
  for (const p of pids) {
    const st = readFileSync(`/proc/${p}/status`, 'utf8');
    rss += num(st, /VmRSS:\s+(\d+)/);
    hwm += num(st, /VmHWM:\s+(\d+)/);
    threads += num(st, /Threads:\s+(\d+)/);
    pss += num(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'), /^Pss:\s+(\d+)/m);
  }
  return { rssMB: Math.round(rss / 1024), pssMB: Math.round(pss / 1024), hwmMB: Math.round(hwm / 1024), processes: pids.length, threads };
}

/**
 * The server variants measured. `default` is `sextant dns` without --workers (what the cluster
 * runs); the others set --workers explicitly (1: the main thread answers UDP itself; N ≥ 2: N UDP
 * worker threads in the one process, see dns/udp-threads.ts).
 */
const VARIANTS: { name: string; workers?: number }[] = [
  { name: 'sextant_default' },
  { name: 'sextant_workers1', workers: 1 },
  { name: 'sextant_workers3', workers: 3 },
];

async function startSextant(api: FakeApi, port: number, workers: number | undefined): Promise<ChildProcess> {
  const kc = join(dir, `kubeconfig-${port}`);
  writeFileSync(kc, api.kubeconfig);
  const child = spawn(process.execPath, [...DNS_NODE_OPTIONS, BUNDLE, 'dns', '--kubeconfig', kc, '--listen', `127.0.0.1:${port}`, '--upstream', '127.0.0.1:9', ...(workers === undefined ? [] : ['--workers', String(workers)]),
    '--metrics-listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0', '--ready-listen', '127.0.0.1:0', '--lameduck', '0s'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...DNS_ENV } });
  children.push(child);
  const serving = await new Promise<{ http: { ready: number } }>((resolve, reject) => {
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      try {
        const e = JSON.parse(l) as { message?: string; http: { ready: number } };
        if (e.message === 'serving') resolve(e);
      } catch { /* not JSON */ }
    });
    child.once('exit', (code) => reject(new Error(`sextant dns exited (${code})`)));
  });
  const deadline = Date.now() + 120_000;
  while ((await fetch(`http://127.0.0.1:${serving.http.ready}/ready`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error('sextant dns did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(t);
}

async function main() {
  buildBundle();
  const queries = queryFile();
  const base = 20000 + Math.floor(Math.random() * 20000);
  const results: Record<string, unknown> = {
    binary: 'node dist/sextant.mjs dns (bundled)', services: SERVICES, rounds: ROUNDS, runs: RUNS, queriesPerRun: 5000, mix: '80% existing A, 20% search-path NXDOMAIN',
    latencyMethod: `dnsperf -v per-query latencies at fixed rates of ${RATES.join(' and ')} qps (-Q), 20,000 queries each`, load1AtStart: load(),
  };

  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, Array.from({ length: SERVICES }, (_, i) => `10.100.${i >> 8}.${i & 255} svc-${i}.bench.svc.cluster.local`).join('\n') + '\n');
  const dmPort = base + 1;
  const dm = spawn('dnsmasq', ['-k', '-C', '/dev/null', `--port=${dmPort}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`, '--local=/cluster.local/', '--cache-size=10000', '--pid-file', '--user=root'], { stdio: 'ignore' });
  children.push(dm);
  await new Promise((r) => setTimeout(r, 500));

  // Every server runs at once (idle ones cost nothing) and the rounds interleave them, so a burst
  // of load from the machine's other users hits all of them alike rather than one.
  const api = await startFakeApi(SERVICES);
  const targets: { name: string; port: number; child?: ChildProcess }[] = [{ name: 'dnsmasq', port: dmPort, child: dm }];
  try {
    for (const [i, v] of VARIANTS.entries()) {
      const port = base + 10 + i;
      targets.push({ name: v.name, port, child: await startSextant(api, port, v.workers) });
      throughput(port, 'udp', queries, 2); // warm-up: JIT and the packet cache
    }
    const rounds: Record<string, { udp: ReturnType<typeof throughput>[]; latency: ReturnType<typeof latency>[][] }> = {};
    for (const t of targets) rounds[t.name] = { udp: [], latency: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of targets) {
        rounds[t.name]!.udp.push(throughput(t.port, 'udp', queries, RUNS));
        rounds[t.name]!.latency.push(RATES.map((rate) => latency(t.port, queries, rate)));
      }
    }
    for (const t of targets) {
      const rr = rounds[t.name]!;
      results[t.name] = {
        udpQpsMedian: median(rr.udp.map((x) => x.qps)), udpQps: rr.udp.map((x) => x.qps), udpLost: rr.udp.map((x) => x.lost), udpSent: rr.udp.map((x) => x.sent),
        latency: RATES.map((rate, k) => ({
          rate, p50MsMedian: median(rr.latency.map((x) => x[k]!.p50Ms)), p99MsMedian: median(rr.latency.map((x) => x[k]!.p99Ms)),
          p99Ms: rr.latency.map((x) => x[k]!.p99Ms), p999Ms: rr.latency.map((x) => x[k]!.p999Ms), lost: rr.latency.map((x) => x[k]!.lost),
        })),
        tcp: throughput(t.port, 'tcp', queries, Math.ceil(RUNS / 4)),
      };
    }
  } finally {
    for (const t of targets) if (t.child) await stop(t.child);
    await api.close();
  }

  const allNames = queryFile(10_000, 50_000, 'queries-10k.txt');
  const bigApi = await startFakeApi(10_000);
  try {
    for (const [i, v] of VARIANTS.entries()) {
      const s = await startSextant(bigApi, base + 20 + i, v.workers);
      const synced = memory(s.pid!);
      throughput(base + 20 + i, 'udp', queries, 4);
      const afterQueries = memory(s.pid!);
      throughput(base + 20 + i, 'udp', allNames, 2);
      results[`memory10k_${v.name.replace(/^sextant_/, '')}`] = { afterSync: synced, afterQueries, afterAllNames: memory(s.pid!), load1: load() };
      await stop(s);
    }
  } finally {
    await bigApi.close();
  }

  const dmUdp = (results.dnsmasq as { udpQpsMedian: number }).udpQpsMedian;
  results.ratioUdpQpsMedianVsDnsmasq = Object.fromEntries(VARIANTS.map((v) => [v.name, Number(((results[v.name] as { udpQpsMedian: number }).udpQpsMedian / dmUdp).toFixed(3))]));
  // The targets, judged for the default configuration (memory on RSS, PSS beside it).
  const def = results.sextant_default as { udpLost: number[]; latency: { rate: number; p99MsMedian: number }[] };
  const defMem = results.memory10k_default as Record<'afterSync' | 'afterQueries' | 'afterAllNames', { pssMB: number; rssMB: number }>;
  const memMax = (k: 'rssMB' | 'pssMB') => Math.max(defMem.afterSync[k], defMem.afterQueries[k], defMem.afterAllNames[k]);
  const ratio = (results.ratioUdpQpsMedianVsDnsmasq as Record<string, number>).sextant_default!;
  results.targetsDefault = {
    udpQpsRatio: { value: ratio, target: '>= 0.75', met: ratio >= 0.75 },
    udpLoss: { value: def.udpLost.reduce((a, b) => a + b, 0), target: 0, met: def.udpLost.every((x) => x === 0) },
    p99Ms: { value: def.latency.map((l) => ({ rate: l.rate, p99MsMedian: l.p99MsMedian })), target: '<= 2', met: def.latency.every((l) => l.p99MsMedian <= 2) },
    memory10kRssMB: { value: memMax('rssMB'), pssMB: memMax('pssMB'), target: '<= 150 (RSS)', met: memMax('rssMB') <= 150 },
  };
  results.load1AtEnd = load();
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`dns bench: ${String(err)}\n`);
  process.exitCode = 1;
}).finally(() => {
  for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
