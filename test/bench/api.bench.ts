/**
 * API server benchmark (not a test; prints one JSON document).
 *
 * 1. raw: better-sqlite3 inserts of the same Pod documents, WAL, one autocommit transaction per
 *    insert, synchronous=FULL (the server's default durability) and NORMAL, in this run.
 * 2. creates: 10,000 Pods POSTed to a real `sextant server` child process (SQLite store,
 *    synchronous=FULL by default, SX_BENCH_SYNC=NORMAL for the other setting) by 4 concurrent
 *    keep-alive clients: creates/s, p50/p99 write latency, and the server's CPU time per create
 *    (from /proc; a figure that does not depend on how busy the shared machine is).
 * 3. watch: 100 concurrent watchers; 1,000 more creates by 4 clients; for every (event, watcher)
 *    the delay from the moment the create request was sent to the event's arrival: p50/p99.
 *    (Measured from request start, so it includes the write itself: an upper bound.) Also the
 *    fan-out spread: each watcher's arrival minus the first watcher's arrival of the same event.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const N = Number(process.env.SX_BENCH_PODS ?? 10_000);
const CLIENTS = 4;
const WATCHERS = 100;
const WATCH_CREATES = Number(process.env.SX_BENCH_WATCH_CREATES ?? 1000);
const SYNC = (process.env.SX_BENCH_SYNC ?? 'FULL') === 'NORMAL' ? 'NORMAL' : 'FULL';
/** The API server alone by default (the controllers are measured elsewhere); SX_BENCH_CONTROLLERS=* runs them too. */
const CONTROLLERS =
  process.env.SX_BENCH_CONTROLLERS ??
  '*,-endpointslice,-node-ipam,-deployment,-replicaset,-garbage-collector,-scheduler,-node-lifecycle,-kubernetes-service,-service-allocation';

const podDoc = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'bench', tier: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
});

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function rawInsert(dir: string, synchronous: 'FULL' | 'NORMAL'): number {
  const db = new Database(join(dir, `raw-${synchronous}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE kv (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL)');
  const ins = db.prepare('INSERT INTO kv (key, value) VALUES (?, ?)');
  const docs = Array.from({ length: N }, (_, i) => JSON.stringify(podDoc(`raw-${i}`)));
  const t0 = performance.now();
  for (let i = 0; i < N; i++) ins.run(`/core/pods/default/raw-${i}`, docs[i]);
  const secs = (performance.now() - t0) / 1000;
  db.close();
  return N / secs;
}

async function startServer(dir: string): Promise<{ url: URL; pid: number; stop: () => Promise<void> }> {
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repo, 'cli/main.ts'), 'server', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--write-kubeconfig', kubeconfig, '--sqlite-synchronous', SYNC, '--insecure-http', `--controllers=${CONTROLLERS}`],
    { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SX_LOG_LEVEL: 'warn' } },
  );
  for (let i = 0; i < 600 && !existsSync(kubeconfig); i++) {
    if (child.exitCode !== null) throw new Error('server exited');
    await new Promise((r) => setTimeout(r, 100));
  }
  const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!;
  return {
    url: new URL(server),
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU time (user + system) the process has used, in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });

function post(url: URL, path: string, body: string): Promise<number> {
  return new Promise((resolveReq, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolveReq(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function createStorm(url: URL, prefix: string, count: number, sent?: Map<string, number>): Promise<{ secs: number; latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const name = `${prefix}-${i}`;
        const body = JSON.stringify(podDoc(name));
        const start = performance.now();
        sent?.set(name, start);
        const code = await post(url, '/api/v1/namespaces/default/pods', body);
        latencies.push(performance.now() - start);
        if (code !== 201) failures++;
      }
    }),
  );
  return { secs: (performance.now() - t0) / 1000, latencies, failures };
}

function openWatcher(url: URL, rv: string, onEvent: (name: string, at: number) => void): Promise<http.ClientRequest> {
  return new Promise((resolveW, reject) => {
    const req = http.get({ host: url.hostname, port: url.port, path: `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}` }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        const at = performance.now();
        buf += c;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const m = /"name":"([^"]+)"/.exec(line);
          if (m) onEvent(m[1]!, at);
        }
      });
      resolveW(req);
    });
    req.on('error', reject);
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sx-bench-api-'));
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const rawFull = rawInsert(dir, 'FULL');
    const rawNormal = rawInsert(dir, 'NORMAL');
    server = await startServer(dir);
    await createStorm(server.url, 'warm', 200);
    const cpu0 = cpuMs(server.pid);
    const storm = await createStorm(server.url, 'pod', N);
    const serverCpuMsPerCreate = (cpuMs(server.pid) - cpu0) / N;
    const createsPerSec = N / storm.secs;

    const list = await fetch(new URL('/api/v1/namespaces/default/pods?limit=1', server.url));
    const rv = ((await list.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const sent = new Map<string, number>();
    const delays: number[] = [];
    const arrivals = new Map<string, number[]>();
    let delivered = 0;
    const watchers = await Promise.all(
      Array.from({ length: WATCHERS }, () =>
        openWatcher(server!.url, rv, (name, at) => {
          const t = sent.get(name);
          if (t !== undefined) delays.push(at - t);
          let a = arrivals.get(name);
          if (!a) arrivals.set(name, (a = []));
          a.push(at);
          delivered++;
        }),
      ),
    );
    const watched = await createStorm(server.url, 'watched', WATCH_CREATES, sent);
    const expected = WATCH_CREATES * WATCHERS;
    for (let i = 0; i < 600 && delivered < expected; i++) await new Promise((r) => setTimeout(r, 50));
    for (const w of watchers) w.destroy();
    const spread: number[] = [];
    for (const a of arrivals.values()) {
      const first = Math.min(...a);
      for (const x of a) spread.push(x - first);
    }

    const result = {
      benchmark: 'api',
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      pods: N,
      clients: CLIENTS,
      controllers: CONTROLLERS,
      durability: `WAL, synchronous=${SYNC} (server and raw compared at the same setting)`,
      raw_sqlite_inserts_per_sec: { FULL: Math.round(rawFull), NORMAL: Math.round(rawNormal) },
      creates_per_sec: Math.round(createsPerSec),
      creates_vs_raw_same_durability_pct: round((createsPerSec / (SYNC === 'FULL' ? rawFull : rawNormal)) * 100, 1),
      server_cpu_ms_per_create: round(serverCpuMsPerCreate, 3),
      load_average_1m: round((await import('node:os')).loadavg()[0]!, 1),
      write_latency_ms: { p50: round(pct(storm.latencies, 50)), p99: round(pct(storm.latencies, 99)) },
      create_failures: storm.failures,
      watch: {
        watchers: WATCHERS,
        creates: WATCH_CREATES,
        creates_per_sec_with_watchers: Math.round(WATCH_CREATES / watched.secs),
        events_expected: expected,
        events_delivered: delivered,
        delivery_latency_from_request_start_ms: { p50: round(pct(delays, 50)), p99: round(pct(delays, 99)) },
        fanout_spread_ms: { p50: round(pct(spread, 50)), p99: round(pct(spread, 99)) },
      },
      targets: { creates_per_sec: 2000, pct_of_raw: 10, watch_p99_ms: 50 },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    agent.destroy();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`api.bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
