/**
 * HA benchmark (not a test; prints one JSON document): the API benchmark's load (api.bench.ts:
 * Pod creates POSTed by 4 concurrent keep-alive clients, then 100 watchers and more creates,
 * delivery measured from request start) against a real `sextant server` on SQLite
 * (synchronous=FULL) and on a real 3-member etcd cluster on loopback, side by side, in one run.
 * Target: etcd creates/s ≥ 50% of SQLite's. The create storm also reports CPU ms per create of
 * the API server (and of the etcd members) and, on etcd, the KV calls per create counted by etcd
 * itself (its gRPC counters) and etcd's WAL fsyncs (count per member per create, mean duration). The
 * same creates are also made straight through the etcd Store in this process (no API server), to
 * split the API write latency into the API server's share and etcd's. The watch phase also reports the CPU time the API
 * server and the etcd members spent per delivered event (stable on a loaded machine, unlike
 * wall-clock latency). The etcd watch phase runs twice, with the shared etcd watch per key range
 * (the default) and with one etcd watch per API watch (`--etcd-shared-watches=false`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEtcdCluster } from '../../controller/store/etcd/etcd-cluster.test-helper.js';
import { openEtcdStore } from '../../controller/store/etcd/index.js';
import type { StoredObject } from '../../controller/store/store.js';
import { NO_CONTROLLERS, loadClientName, cpuMs, createStorm, measureWatch, pct, podDoc, round, startServer } from './api-load.js';
import { sextantBinary } from './sextant-binary.js';

const N = Number(process.env.SX_BENCH_PODS ?? 3000);
const CLIENTS = 4;
const WATCHERS = 100;
const WATCH_CREATES = Number(process.env.SX_BENCH_WATCH_CREATES ?? 500);
/**
 * Go scheduler threads per etcd member. Interleaved A/B, same API server, storms of 2,000 creates,
 * load 7-17: etcd members' CPU per create 0.99-1.70 (GOMAXPROCS=1) vs 1.08-1.86 ms (default, 2),
 * lower in 9 of 10 pairs (median about 15%); half of the members' CPU was kernel time (perf),
 * mostly thread switches. creates/s was higher in only 6 of 10 pairs (loaded machine). Two full
 * bench pairs on a quieter machine (load 1.3-2.7): 981/1,013 creates/s with 1 vs 876/928 with
 * the default, members 0.91/0.86 vs 1.12/1.00 ms per create.
 */
const GOMAXPROCS = process.env.SX_BENCH_ETCD_GOMAXPROCS ?? '1';
/**
 * etcd's own default heartbeat and election timeout (100 / 1000 ms), as an operator runs it,
 * instead of the test helper's fast elections (50 / 500 ms, for the fault tests): an idle
 * 3-member cluster spends 6-7 instead of 11-13 ms CPU per second per member on heartbeats.
 */
const ETCD_TIMING = ['--heartbeat-interval', '100', '--election-timeout', '1000'];

/** The figures of etcd's /metrics the benchmark reads, summed over every member. */
interface EtcdCounters {
  /** Unary KV calls answered, by method. */
  kv: Record<string, number>;
  /** WAL fsyncs and the seconds they took; raft proposals committed (leader's view, max over members). */
  walFsyncs: number;
  walFsyncSecs: number;
  proposalsCommitted: number;
}

async function etcdCounters(clientUrls: string[]): Promise<EtcdCounters> {
  const c: EtcdCounters = { kv: {}, walFsyncs: 0, walFsyncSecs: 0, proposalsCommitted: 0 };
  for (const u of clientUrls) {
    const text = await (await fetch(`${u}/metrics`)).text();
    for (const m of text.matchAll(/^grpc_server_handled_total\{[^}]*grpc_method="(\w+)"[^}]*grpc_service="etcdserverpb\.KV"[^}]*\} (\d+)/gm)) {
      c.kv[m[1]!] = (c.kv[m[1]!] ?? 0) + Number(m[2]);
    }
    const one = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
    c.walFsyncs += one('etcd_disk_wal_fsync_duration_seconds_count');
    c.walFsyncSecs += one('etcd_disk_wal_fsync_duration_seconds_sum');
    c.proposalsCommitted = Math.max(c.proposalsCommitted, one('etcd_server_proposals_committed_total'));
  }
  return c;
}

/** The etcd KV calls per create during a storm (after minus before, by method). */
function callsPer(before: Record<string, number>, after: Record<string, number>, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [method, count] of Object.entries(after)) {
    const d = count - (before[method] ?? 0);
    if (d > 0) out[method] = round(d / n, 2);
  }
  return out;
}

/**
 * Where an etcd write's time goes, from etcd's own counters: every member fsyncs its WAL once per
 * raft batch (the leader in parallel with the followers), so fsyncs per member per create and the
 * mean fsync time bound the raft round from below.
 */
function fsyncBreakdown(before: EtcdCounters, after: EtcdCounters, members: number, n: number) {
  const fsyncs = after.walFsyncs - before.walFsyncs;
  return {
    wal_fsyncs_per_member_per_create: round(fsyncs / members / n, 3),
    wal_fsync_mean_ms: round(((after.walFsyncSecs - before.walFsyncSecs) * 1000) / Math.max(1, fsyncs), 3),
    proposals_per_create: round((after.proposalsCommitted - before.proposalsCommitted) / n, 2),
  };
}

/**
 * The same creates straight through the etcd Store in this process (no API server, no HTTP):
 * the etcd share of the API write latency (Txn to the leader, raft round, apply).
 */
async function storeOnlyStorm(endpoints: string[], pids: number[]) {
  const store = await openEtcdStore({ endpoints, prefix: '/sextant-store-only', history: { intervalMs: 0 } });
  try {
    const create = (name: string) => store.create(`/core/pods/default/${name}`, podDoc(name) as unknown as StoredObject);
    for (let i = 0; i < 200; i++) await create(`warm-${i}`);
    const members = () => pids.reduce((a, p) => a + cpuMs(p), 0);
    const m0 = members();
    const c0 = process.cpuUsage();
    const latencies: number[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < N; i = next++) {
          const start = performance.now();
          await create(`pod-${i}`);
          latencies.push(performance.now() - start);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    return {
      creates_per_sec: Math.round(N / secs),
      write_latency_ms: { p50: round(pct(latencies, 50)), p99: round(pct(latencies, 99)) },
      cpu_ms_per_create: { store_client: round((c.user + c.system) / 1000 / N, 3), etcd_members: round((members() - m0) / N, 3) },
    };
  } finally {
    await store.close();
  }
}

async function measureWatchCpu(agent: http.Agent, url: URL, serverPid: number, storePids: number[]) {
  const cpu = () => ({ server: cpuMs(serverPid), store: storePids.reduce((a, p) => a + cpuMs(p), 0) });
  const before = cpu();
  const watch = await measureWatch(agent, url, CLIENTS, WATCHERS, WATCH_CREATES);
  const spent = cpu();
  const perEvent = (ms: number) => round((ms * 1000) / Math.max(1, watch.events_delivered), 1);
  return {
    ...watch,
    cpu_us_per_delivered_event: { api_server: perEvent(spent.server - before.server), ...(storePids.length > 0 ? { etcd_members: perEvent(spent.store - before.store) } : {}) },
  };
}

async function measure(url: URL, serverPid: number, storePids: number[], etcdUrls: string[] = []) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    await createStorm(agent, url, CLIENTS, 'warm', 200);
    const cpu = () => ({ server: cpuMs(serverPid), store: storePids.reduce((a, p) => a + cpuMs(p), 0) });
    const cpuBefore = cpu();
    const countersBefore = etcdUrls.length > 0 ? await etcdCounters(etcdUrls) : undefined;
    const storm = await createStorm(agent, url, CLIENTS, 'pod', N);
    const cpuAfter = cpu();
    const countersAfter = etcdUrls.length > 0 ? await etcdCounters(etcdUrls) : undefined;
    const perCreate = (ms: number) => round(ms / N, 3);
    return {
      creates_per_sec: Math.round(N / storm.secs),
      write_latency_ms: { p50: round(pct(storm.latencies, 50)), p99: round(pct(storm.latencies, 99)) },
      create_failures: storm.failures,
      cpu_ms_per_create: {
        api_server: perCreate(cpuAfter.server - cpuBefore.server),
        ...(storePids.length > 0 ? { etcd_members: perCreate(cpuAfter.store - cpuBefore.store) } : {}),
      },
      ...(countersBefore && countersAfter
        ? { etcd_kv_calls_per_create: callsPer(countersBefore.kv, countersAfter.kv, N), etcd_raft: fsyncBreakdown(countersBefore, countersAfter, etcdUrls.length, N) }
        : {}),
      watch: await measureWatchCpu(agent, url, serverPid, storePids),
    };
  } finally {
    agent.destroy();
  }
}

/** The watch phase alone (after a warm-up), for the comparison series. */
async function measureWatchOnly(url: URL, serverPid: number, storePids: number[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  try {
    await createStorm(agent, url, CLIENTS, 'warm', 200);
    return await measureWatchCpu(agent, url, serverPid, storePids);
  } finally {
    agent.destroy();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sx-bench-ha-'));
  // The three members share this machine's cores: one Go scheduler thread each (GOMAXPROCS=1)
  // instead of one per core per member. Durability is untouched (fsync per raft Ready as before);
  // SX_BENCH_ETCD_GOMAXPROCS=0 leaves Go's default (one per core).
  const etcd = await startEtcdCluster(3, { args: ETCD_TIMING, ...(GOMAXPROCS === '0' ? {} : { env: { GOMAXPROCS } }) });
  try {
    const sqliteServer = await startServer(join(dir, 'sqlite'), ['--store', 'sqlite', `--controllers=${NO_CONTROLLERS}`]);
    let sqlite;
    try {
      sqlite = await measure(sqliteServer.url, sqliteServer.pid, []);
    } finally {
      await sqliteServer.stop();
    }
    const etcdServer = await startServer(join(dir, 'etcd'), [`--controllers=${NO_CONTROLLERS}`, '--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--leader-elect=false']);
    let onEtcd;
    try {
      onEtcd = await measure(etcdServer.url, etcdServer.pid, etcd.members.map((m) => m.process!.pid!), etcd.endpoints);
    } finally {
      await etcdServer.stop();
    }
    const storeOnly = await storeOnlyStorm(etcd.endpoints, etcd.members.map((m) => m.process!.pid!));
    const unsharedServer = await startServer(join(dir, 'etcd-unshared'), [`--controllers=${NO_CONTROLLERS}`, '--store', 'etcd', '--etcd-endpoints', etcd.endpoints.join(','), '--etcd-prefix', '/sextant-unshared', '--leader-elect=false', '--etcd-shared-watches=false']);
    let unshared;
    try {
      unshared = await measureWatchOnly(unsharedServer.url, unsharedServer.pid, etcd.members.map((m) => m.process!.pid!));
    } finally {
      await unsharedServer.stop();
    }
    const result = {
      benchmark: 'ha',
      binary: sextantBinary(),
      machine: { cpus: cpus().length, node: process.version, load_average_1m: round(loadavg()[0]!, 1) },
      pods: N,
      clients: CLIENTS,
      load_client: loadClientName(),
      sqlite: { durability: 'WAL, synchronous=FULL', ...sqlite },
      etcd: { cluster: `3 members on loopback (etcd 3.4, fsync on, heartbeat 100 ms, GOMAXPROCS=${GOMAXPROCS === '0' ? 'default' : GOMAXPROCS} each), one API server: KV calls over our own HTTP/2 client (etcd/h2) to the raft leader, one shared etcd watch per key range, Namespaces from a watch-fed cache`, ...onEtcd },
      etcd_store_only_no_api_server: storeOnly,
      etcd_one_etcd_watch_per_api_watch: { watch: unshared },
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
