/**
 * HA benchmark (not a test; prints one JSON document): the API benchmark's load (api.bench.ts:
 * Pod creates POSTed by 4 concurrent keep-alive clients, then 100 watchers and more creates,
 * delivery measured from request start) against a real `sextant server` on SQLite
 * (synchronous=FULL) and on a real 3-member etcd cluster on loopback, side by side, in one run.
 * Target: etcd creates/s ≥ 50% of SQLite's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcdCluster } from '../../controller/store/etcd/etcd-cluster.test-helper.js';
import { NO_CONTROLLERS, createStorm, measureWatch, pct, round, startServer } from './api-load.js';

const N = Number(process.env.SX_BENCH_PODS ?? 3000);
const CLIENTS = 4;
const WATCHERS = 100;
const WATCH_CREATES = Number(process.env.SX_BENCH_WATCH_CREATES ?? 500);

async function measure(url: URL) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    await createStorm(agent, url, CLIENTS, 'warm', 200);
    const storm = await createStorm(agent, url, CLIENTS, 'pod', N);
    return {
      creates_per_sec: Math.round(N / storm.secs),
      write_latency_ms: { p50: round(pct(storm.latencies, 50)), p99: round(pct(storm.latencies, 99)) },
      create_failures: storm.failures,
      watch: await measureWatch(agent, url, CLIENTS, WATCHERS, WATCH_CREATES),
    };
  } finally {
    agent.destroy();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sx-bench-ha-'));
  const etcd = await startEtcdCluster(3);
  try {
    const sqliteServer = await startServer(join(dir, 'sqlite'), ['--store', 'sqlite', `--controllers=${NO_CONTROLLERS}`]);
    let sqlite;
    try {
      sqlite = await measure(sqliteServer.url);
    } finally {
      await sqliteServer.stop();
    }
    const etcdServer = await startServer(join(dir, 'etcd'), [`--controllers=${NO_CONTROLLERS}`, '--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--leader-elect=false']);
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
