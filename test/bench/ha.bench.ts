/**
 * HA benchmark (not a test; prints one JSON document): the API benchmark's load (api.bench.ts:
 * Pod creates POSTed by 4 concurrent keep-alive clients, then 100 watchers and more creates,
 * delivery measured from request start) against a real `sextant server` on SQLite
 * (synchronous=FULL) and on a real 3-member etcd cluster on loopback, side by side, in one run.
 * Target: etcd creates/s ≥ 50% of SQLite's.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEtcdCluster } from '../../controller/store/etcd/etcd-cluster.test-helper.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const N = Number(process.env.SX_BENCH_PODS ?? 3000);
const CLIENTS = 4;
const WATCHERS = 100;
const WATCH_CREATES = Number(process.env.SX_BENCH_WATCH_CREATES ?? 500);
const CONTROLLERS = '*,-endpointslice,-node-ipam,-deployment,-replicaset,-garbage-collector,-scheduler,-node-lifecycle,-kubernetes-service,-service-allocation';

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

async function startServer(dir: string, storeArgs: string[]): Promise<{ url: URL; stop: () => Promise<void> }> {
  const kubeconfig = join(dir, 'kubeconfig');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repo, 'cli/main.ts'), 'server', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--write-kubeconfig', kubeconfig, '--insecure-http', `--controllers=${CONTROLLERS}`, ...storeArgs],
    { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SX_LOG_LEVEL: 'warn' } },
  );
  for (let i = 0; i < 600 && !existsSync(kubeconfig); i++) {
    if (child.exitCode !== null) throw new Error('server exited');
    await new Promise((r) => setTimeout(r, 100));
  }
  const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!;
  return {
    url: new URL(server),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

function post(agent: http.Agent, url: URL, path: string, body: string): Promise<number> {
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

async function createStorm(agent: http.Agent, url: URL, prefix: string, count: number, sent?: Map<string, number>) {
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
        const start = performance.now();
        sent?.set(name, start);
        const code = await post(agent, url, '/api/v1/namespaces/default/pods', JSON.stringify(podDoc(name)));
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
          const m = /"name":"([^"]+)"/.exec(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (m) onEvent(m[1]!, at);
        }
      });
      resolveW(req);
    });
    req.on('error', reject);
  });
}

async function measure(url: URL) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    await createStorm(agent, url, 'warm', 200);
    const storm = await createStorm(agent, url, 'pod', N);
    const list = await fetch(new URL('/api/v1/namespaces/default/pods?limit=1', url));
    const rv = ((await list.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const sent = new Map<string, number>();
    const delays: number[] = [];
    let delivered = 0;
    const watchers = await Promise.all(
      Array.from({ length: WATCHERS }, () =>
        openWatcher(url, rv, (name, at) => {
          const t = sent.get(name);
          if (t !== undefined) delays.push(at - t);
          delivered++;
        }),
      ),
    );
    const watched = await createStorm(agent, url, 'watched', WATCH_CREATES, sent);
    for (let i = 0; i < 600 && delivered < WATCH_CREATES * WATCHERS; i++) await new Promise((r) => setTimeout(r, 50));
    for (const w of watchers) w.destroy();
    return {
      creates_per_sec: Math.round(N / storm.secs),
      write_latency_ms: { p50: round(pct(storm.latencies, 50)), p99: round(pct(storm.latencies, 99)) },
      create_failures: storm.failures,
      watch: {
        watchers: WATCHERS,
        creates: WATCH_CREATES,
        events_expected: WATCH_CREATES * WATCHERS,
        events_delivered: delivered,
        delivery_latency_from_request_start_ms: { p50: round(pct(delays, 50)), p99: round(pct(delays, 99)) },
        creates_per_sec_with_watchers: Math.round(WATCH_CREATES / watched.secs),
      },
    };
  } finally {
    agent.destroy();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sx-bench-ha-'));
  const etcd = await startEtcdCluster(3);
  try {
    const sqliteServer = await startServer(join(dir, 'sqlite'), ['--store', 'sqlite']);
    let sqlite;
    try {
      sqlite = await measure(sqliteServer.url);
    } finally {
      await sqliteServer.stop();
    }
    const etcdServer = await startServer(join(dir, 'etcd'), ['--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--leader-elect=false']);
    let onEtcd;
    try {
      onEtcd = await measure(etcdServer.url);
    } finally {
      await etcdServer.stop();
    }
    const result = {
      benchmark: 'ha',
      machine: { cpus: cpus().length, node: process.version, load_average_1m: round(loadavg()[0]!, 1) },
      pods: N,
      clients: CLIENTS,
      sqlite: { durability: 'WAL, synchronous=FULL', ...sqlite },
      etcd: { cluster: '3 members on loopback (etcd 3.4, fsync on), one API server', ...onEtcd },
      etcd_vs_sqlite_creates_pct: round((onEtcd.creates_per_sec / sqlite.creates_per_sec) * 100, 1),
      target: { etcd_vs_sqlite_creates_pct: 50 },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    await etcd.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ha.bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
