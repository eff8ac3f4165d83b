/**
 * API server benchmark (not a test; prints one JSON document).
 *
 * 1. raw: better-sqlite3 inserts of the same Pod documents, WAL, one autocommit transaction per
 *    insert, synchronous=FULL (the server's default durability) and NORMAL, in this run.
 * 2. creates: 10,000 Pods POSTed to a real `sextant server` child process (SQLite store,
 *    synchronous=FULL by default, SX_BENCH_SYNC=NORMAL for the other setting) by 4 concurrent
 *    keep-alive clients: creates/s, p50/p99 write latency, and the server's CPU time per create
 *    (from /proc; less dependent on how busy the shared machine is than wall-clock figures).
 *    Transport: plain HTTP (`--insecure-http`) by default, SX_BENCH_TRANSPORT=https for the
 *    server's secure default (TLS with the admin client certificate it writes).
 * 3. watch: 100 concurrent watchers; 1,000 more creates by 4 clients; for every (event, watcher)
 *    the delay from the moment the create request was sent to the event's arrival: p50/p99.
 *    (Measured from request start, so it includes the write itself: an upper bound.) Also the
 *    fan-out spread: each watcher's arrival minus the first watcher's arrival of the same event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NO_CONTROLLERS, loadClientName, benchTransport, cpuMs, createStorm, measureWatch, podDoc, round, pct, startServer } from './api-load.js';
import { sextantBinary } from './sextant-binary.js';

const N = Number(process.env.SX_BENCH_PODS ?? 10_000);
const CLIENTS = 4;
const WATCHERS = 100;
const WATCH_CREATES = Number(process.env.SX_BENCH_WATCH_CREATES ?? 1000);
const SYNC = (process.env.SX_BENCH_SYNC ?? 'FULL') === 'NORMAL' ? 'NORMAL' : 'FULL';
/** The API server alone by default (the controllers are measured elsewhere); SX_BENCH_CONTROLLERS=* runs them too. */
const CONTROLLERS = process.env.SX_BENCH_CONTROLLERS ?? NO_CONTROLLERS;

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

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'sx-bench-api-'));
  let agent: http.Agent | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    const rawFull = rawInsert(dir, 'FULL');
    const rawNormal = rawInsert(dir, 'NORMAL');
    server = await startServer(dir, ['--sqlite-synchronous', SYNC, `--controllers=${CONTROLLERS}`], benchTransport());
    agent = server.agent(CLIENTS);
    await createStorm(agent, server.url, CLIENTS, 'warm', 200);
    const cpu0 = cpuMs(server.pid);
    const storm = await createStorm(agent, server.url, CLIENTS, 'pod', N);
    const serverCpuMsPerCreate = (cpuMs(server.pid) - cpu0) / N;
    const createsPerSec = N / storm.secs;
    const watch = await measureWatch(agent, server.url, CLIENTS, WATCHERS, WATCH_CREATES);

    const result = {
      benchmark: 'api',
      binary: sextantBinary(),
      machine: { cpus: cpus().length, node: process.version },
      pods: N,
      clients: CLIENTS,
      load_client: loadClientName(),
      controllers: CONTROLLERS,
      transport:
        server.transport === 'https'
          ? 'HTTPS (TLS, admin client certificate; the server default), keep-alive'
          : 'plain HTTP on loopback (--insecure-http), keep-alive; SX_BENCH_TRANSPORT=https for the secure default',
      durability: `WAL, synchronous=${SYNC} (server and raw compared at the same setting)`,
      raw_sqlite_inserts_per_sec: { FULL: Math.round(rawFull), NORMAL: Math.round(rawNormal) },
      creates_per_sec: Math.round(createsPerSec),
      creates_vs_raw_same_durability_pct: round((createsPerSec / (SYNC === 'FULL' ? rawFull : rawNormal)) * 100, 1),
      server_cpu_ms_per_create: round(serverCpuMsPerCreate, 3),
      load_average_1m: round(loadavg()[0]!, 1),
      write_latency_ms: { p50: round(pct(storm.latencies, 50)), p99: round(pct(storm.latencies, 99)) },
      create_failures: storm.failures,
      watch,
      targets: { creates_per_sec: 2000, pct_of_raw: 10, watch_p99_ms: 50 },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    agent?.destroy();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`api.bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
