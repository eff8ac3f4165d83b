/**
 * `sextant dns --workers N`: N processes (node:cluster) share the UDP and TCP port, so both
 * cores answer queries. The primary answers no DNS; it owns what must be one per server:
 * - `/metrics` sums every worker's counters (prom-client's AggregatorRegistry asks each worker
 *   over IPC at scrape time), so one scrape sees the whole server, not one worker at random;
 * - `/ready` is 200 only when every worker reported its informers synced;
 * - `/health` and the lame-duck delay on SIGTERM: workers keep answering meanwhile, then stop.
 * Each worker runs its own watch and record index: processes share no heap, and a worker must
 * answer from memory without a round trip. Memory and API watches therefore grow with N.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { Logger } from '../daemon/logger.js';
import { onShutdown } from '../daemon/shutdown.js';
import type { DnsConfig } from './config.js';
import { serveHttp, type HealthServer } from './plugins/health/handler.js';
import { startDnsInstance, type DnsInstance } from './instance.js';

/**
 * Young-generation semi-space of a worker, MB. A DNS server allocates a little per query and keeps
 * almost nothing, so V8's default (growing to 16 MB per semi-space) only costs resident memory:
 * measured on the bundled server, 2 MB saves about 25 MB RSS at 10,000 services, with no
 * throughput difference beyond this shared machine's run-to-run noise.
 */
const WORKER_SEMI_SPACE_MB = 2;

interface WorkerMessage { event: 'listening' | 'ready'; port?: number }

/** Runs the primary of `--workers N`; resolves never (exits through onShutdown). */
export async function runPrimary(cfg: DnsConfig, log: Logger): Promise<never> {
  const aggregator = new AggregatorRegistry();
  const ready = new Set<number>();
  const listening = new Set<number>();
  let exiting = false;
  let dnsPort = 0;
  if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) && !(process.env.NODE_OPTIONS ?? '').includes('--max-semi-space-size')) {
    cluster.setupPrimary({ execArgv: [...process.execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`] });
  }
  for (let i = 0; i < cfg.workers; i++) cluster.fork();
  cluster.on('message', (w, m: WorkerMessage) => {
    if (m.event === 'ready') ready.add(w.id);
    if (m.event === 'listening') {
      listening.add(w.id);
      dnsPort = m.port ?? dnsPort;
    }
  });
  cluster.on('exit', (w, code) => {
    ready.delete(w.id);
    if (exiting) return;
    log.error('worker exited', { pid: w.process.pid, code });
    exiting = true;
    for (const other of Object.values(cluster.workers ?? {})) other?.kill();
    process.exit(code || 1);
  });
  const servers: HealthServer[] = [];
  const text = (code: number, body: string) => (res: import('node:http').ServerResponse) => {
    res.writeHead(code, { 'content-type': 'text/plain' });
    res.end(body);
  };
  if (cfg.health) servers.push(await serveHttp(cfg.health.listen, { '/health': (res) => text(200, 'OK')(res) }));
  if (cfg.ready) {
    servers.push(await serveHttp(cfg.ready.listen, {
      '/ready': (res) => (ready.size === cfg.workers ? text(200, 'OK')(res) : text(503, `kubernetes: ${cfg.workers - ready.size} of ${cfg.workers} workers not synced\n`)(res)),
    }));
  }
  if (cfg.metrics) {
    servers.push(await serveHttp(cfg.metrics.listen, {
      '/metrics': (res) => {
        aggregator.clusterMetrics().then((body) => {
          res.writeHead(200, { 'content-type': aggregator.contentType });
          res.end(body);
        }, (err: unknown) => text(500, `${String(err)}\n`)(res));
      },
    }));
  }
  while (listening.size < cfg.workers) await new Promise((r) => setTimeout(r, 50));
  const names = ['health', 'ready', 'metrics'].filter((n) => cfg[n as 'health' | 'ready' | 'metrics']);
  log.info('serving', { listen: cfg.listen, port: dnsPort, workers: cfg.workers, http: Object.fromEntries(names.map((n, i) => [n, servers[i]!.port])) });
  onShutdown(log, async () => {
    const lameduck = cfg.health?.lameduckMs ?? 0;
    if (lameduck > 0) await new Promise((r) => setTimeout(r, lameduck));
    exiting = true;
    const gone = Object.values(cluster.workers ?? {}).map((w) => new Promise((r) => (w && !w.isDead() ? w.once('exit', r) : r(undefined))));
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    await Promise.all(gone);
    for (const s of servers) await s.close();
  });
  return new Promise<never>(() => {});
}

/** Runs one worker: the DNS chain without side servers, reporting listening and readiness. */
export async function runWorker(cfg: DnsConfig, log: Logger, onLoop: () => void): Promise<DnsInstance> {
  const registry = new Registry();
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's answer to the primary's metrics requests
  const inst = await startDnsInstance(cfg, { log, registry, source: 'watch', sideServers: false, onLoop });
  process.send?.({ event: 'listening', port: inst.server.port } satisfies WorkerMessage);
  const poll = setInterval(() => {
    if (inst.notReady() === null) {
      process.send?.({ event: 'ready' } satisfies WorkerMessage);
      clearInterval(poll);
    }
  }, 100);
  // The primary decides when to stop (after the lame duck); a worker stops at once when told.
  process.on('SIGTERM', () => {
    clearInterval(poll);
    void inst.stop().then(() => process.exit(0), () => process.exit(1));
  });
  process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group: the primary leads the shutdown
  return inst;
}
