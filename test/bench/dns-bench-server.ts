/**
 * The DNS server process the benchmark measures: kubernetes (fed $SX_SERVICES ClusterIP services
 * `svc-<i>.bench.svc.cluster.local`), errors, metrics, cache, loadbalance — the default chain minus
 * forward — on 127.0.0.1:$SX_PORT, with $SX_WORKERS processes sharing the port (node:cluster).
 * Prints `{"event":"listening"}` once every worker listens; `{"event":"memory"}` on SIGUSR2.
 */
import cluster from 'node:cluster';
import { createLogger } from '../../daemon/logger.js';
import { parseDnsConfig } from '../../dns/config.js';
import { startDnsInstance } from '../../dns/instance.js';

const services = Number(process.env.SX_SERVICES ?? 1000);
const workers = Number(process.env.SX_WORKERS ?? 1);
const port = Number(process.env.SX_PORT ?? 15353);

if (workers > 1 && cluster.isPrimary) {
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (m: { event?: string }) => {
      if (m.event === 'listening' && ++ready === workers) process.stdout.write('{"event":"listening"}\n');
      if (m.event === 'memory') process.stdout.write(`${JSON.stringify(m)}\n`);
    });
  }
  process.on('SIGUSR2', () => Object.values(cluster.workers ?? {}).forEach((w) => w?.send('memory')));
  process.on('SIGTERM', () => { Object.values(cluster.workers ?? {}).forEach((w) => w?.kill()); process.exit(0); });
} else {
  const cfg = parseDnsConfig({ listen: `127.0.0.1:${port}`, errors: {}, metrics: { listen: '127.0.0.1:0' }, cache: {}, loadbalance: {}, kubernetes: { zone: 'cluster.local', ttl: 5 } });
  const inst = await startDnsInstance(cfg, { log: createLogger('dns-bench', { silent: true }), source: 'manual' });
  for (let i = 0; i < services; i++) {
    inst.index!.upsertService({ metadata: { namespace: 'bench', name: `svc-${i}` }, spec: { clusterIP: `10.100.${i >> 8}.${i & 255}`, ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } });
  }
  inst.markSynced();
  const report = () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    const out = { event: 'memory', pid: process.pid, rss: m.rss, heapUsed: m.heapUsed, services: inst.index!.serviceCount, packetCache: inst.packetCache?.size ?? 0 };
    if (process.send) process.send(out);
    else process.stdout.write(`${JSON.stringify(out)}\n`);
  };
  if (process.send) {
    process.on('message', (m) => m === 'memory' && report());
    process.send({ event: 'listening' });
  } else {
    process.on('SIGUSR2', report);
    process.stdout.write('{"event":"listening"}\n');
  }
  process.on('SIGTERM', () => void inst.stop().then(() => process.exit(0)));
}
