/**
 * `sextant dns --workers N`: N processes (node:cluster) share the UDP and TCP port, so both
 * cores answer queries. The primary answers no DNS; it owns what must be one per server:
 * - the watch: one set of informers against the API server, whose changes the primary sends to
 *   every worker over IPC (a worker that comes up gets the current objects first), so the API
 *   server sees one watcher and every worker applies the same changes in the same order;
 * - `/metrics` sums every worker's counters (prom-client's AggregatorRegistry asks each worker
 *   over IPC at scrape time), so one scrape sees the whole server, not one worker at random;
 * - `/ready` is 200 only when the watch synced and every worker applied it;
 * - `/health` and the lame-duck delay on SIGTERM: workers keep answering meanwhile, then stop.
 * Each worker keeps its own record index (processes share no heap, and a query must be answered
 * from memory without a round trip), so the index's memory grows with N.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Registry } from 'prom-client';
import type { Logger } from '../daemon/logger.js';
import { onShutdown } from '../daemon/shutdown.js';
import type { DnsConfig } from './config.js';
import { serveHttp, type HealthServer } from './plugins/health/handler.js';
import { DnsError } from './errors.js';
import { startDnsInstance, type DnsInstance } from './instance.js';
import { watchCluster, type IndexSink } from './plugins/kubernetes/informer-source.js';

/**
 * Young-generation semi-space of a worker, MB. A DNS server allocates a little per query and keeps
 * almost nothing, so V8's default (growing to 16 MB per semi-space) only costs resident memory:
 * measured on the bundled server, 2 MB saves about 25 MB RSS at 10,000 services, with no
 * throughput difference beyond this shared machine's run-to-run noise.
 */
const WORKER_SEMI_SPACE_MB = 2;

interface WorkerMessage { event: 'listening' | 'ready'; port?: number }

type IndexOp = 'upsertService' | 'deleteService' | 'upsertSlice' | 'deleteSlice' | 'upsertPod' | 'deletePod';
/** What the primary sends a worker: an index change, or "the watch has synced". */
type PrimaryMessage = { op: IndexOp; obj: unknown } | { synced: true };

/** The primary's copy of the watched objects, for workers that subscribe after the first list. */
class FanOut {
  private objects = { upsertService: new Map<string, unknown>(), upsertSlice: new Map<string, unknown>(), upsertPod: new Map<string, unknown>() };
  private subscribers = new Set<Worker>();
  synced = false;

  private apply(op: IndexOp, obj: { metadata?: { namespace?: string; name?: string } }): void {
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    const kind = op === 'upsertService' || op === 'deleteService' ? 'upsertService' : op === 'upsertSlice' || op === 'deleteSlice' ? 'upsertSlice' : 'upsertPod';
    if (op.startsWith('upsert')) this.objects[kind].set(key, obj);
    else this.objects[kind].delete(key);
    for (const w of this.subscribers) send(w, { op, obj });
  }

  readonly sink: IndexSink = {
    upsertService: (o) => this.apply('upsertService', o), deleteService: (o) => this.apply('deleteService', o),
    upsertSlice: (o) => this.apply('upsertSlice', o), deleteSlice: (o) => this.apply('deleteSlice', o),
    upsertPod: (o) => this.apply('upsertPod', o), deletePod: (o) => this.apply('deletePod', o),
  };

  /** Sends `w` everything known so far, then every later change. */
  subscribe(w: Worker): void {
    for (const [op, objs] of Object.entries(this.objects) as [IndexOp, Map<string, unknown>][]) for (const obj of objs.values()) send(w, { op, obj });
    if (this.synced) send(w, { synced: true });
    this.subscribers.add(w);
  }

  unsubscribe(w: Worker): void {
    this.subscribers.delete(w);
  }

  markSynced(): void {
    this.synced = true;
    for (const w of this.subscribers) send(w, { synced: true });
  }
}

const send = (w: Worker, m: PrimaryMessage): void => {
  if (w.isConnected()) w.send(m);
};

/** Runs the primary of `--workers N`; resolves never (exits through onShutdown). */
export async function runPrimary(cfg: DnsConfig, log: Logger): Promise<never> {
  const aggregator = new AggregatorRegistry();
  const fan = new FanOut();
  let stopWatch: (() => void) | undefined;
  if (cfg.kubernetes) {
    try {
      const w = await watchCluster(fan.sink, cfg.kubernetes.kubeconfig, cfg.kubernetes.pods === 'verified');
      stopWatch = w.stop;
      const poll = setInterval(() => {
        if (w.synced()) {
          clearInterval(poll);
          fan.markSynced();
        }
      }, 50);
    } catch (err) {
      throw new DnsError('DNS_WATCH_FAILED', (err as Error).message);
    }
  } else fan.markSynced();
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
      fan.subscribe(w);
    }
  });
  cluster.on('exit', (w, code) => {
    ready.delete(w.id);
    fan.unsubscribe(w);
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
    stopWatch?.();
    const gone = Object.values(cluster.workers ?? {}).map((w) => new Promise((r) => (w && !w.isDead() ? w.once('exit', r) : r(undefined))));
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    await Promise.all(gone);
    for (const s of servers) await s.close();
  });
  return new Promise<never>(() => {});
}

/** Runs one worker: the DNS chain without side servers, its index fed by the primary. */
export async function runWorker(cfg: DnsConfig, log: Logger, onLoop: () => void): Promise<DnsInstance> {
  const registry = new Registry();
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's answer to the primary's metrics requests
  const inst = await startDnsInstance(cfg, { log, registry, source: 'manual', sideServers: false, onLoop });
  const ops = new Set<string>(['upsertService', 'deleteService', 'upsertSlice', 'deleteSlice', 'upsertPod', 'deletePod']);
  process.on('message', (raw: unknown) => {
    const m = raw as Partial<{ op: IndexOp; obj: unknown; synced: true }>; // prom-client's metrics requests arrive here too
    if (m.synced === true) {
      inst.markSynced();
      process.send?.({ event: 'ready' } satisfies WorkerMessage);
    } else if (m.op && ops.has(m.op) && inst.index) {
      try {
        (inst.index[m.op] as (o: unknown) => void)(m.obj);
      } catch (err) {
        log.error('cannot apply a change from the primary', { op: m.op, error: String(err) });
      }
    }
  });
  process.send?.({ event: 'listening', port: inst.server.port } satisfies WorkerMessage);
  // The primary decides when to stop (after the lame duck); a worker stops at once when told.
  process.on('SIGTERM', () => void inst.stop().then(() => process.exit(0), () => process.exit(1)));
  process.on('SIGINT', () => {}); // Ctrl-C reaches the whole group: the primary leads the shutdown
  return inst;
}
