/**
 * One running DNS server: builds the plugins the config enables in chain order, starts the UDP/TCP
 * listeners and the plugins' side servers, and stops everything in reverse. Used by the command,
 * the namespace tests and the benchmark alike.
 */
import { Registry } from 'prom-client';
import type { Logger } from '../daemon/logger.js';
import { splitHostPort } from '../daemon/status-server.js';
import type { Plugin } from './chain.js';
import type { DnsConfig } from './config.js';
import { DnsError } from './errors.js';
import { PacketCache } from './packet-cache.js';
import type { SetupContext } from './plugin-context.js';
import { startDnsServer, type DnsServer } from './server.js';
import { setupCache } from './plugins/cache/setup.js';
import { setupErrors } from './plugins/errors/setup.js';
import { setupExternal } from './plugins/external/setup.js';
import { setupForward } from './plugins/forward/setup.js';
import { setupHealth } from './plugins/health/setup.js';
import { setupKubernetes } from './plugins/kubernetes/setup.js';
import type { RecordIndex } from './plugins/kubernetes/record-index.js';
import { setupLoadbalance } from './plugins/loadbalance/setup.js';
import { setupLog } from './plugins/log/setup.js';
import { setupLoop } from './plugins/loop/setup.js';
import { setupMetrics } from './plugins/metrics/setup.js';
import { metricsPlugin } from './plugins/metrics/handler.js';
import { setupReady } from './plugins/ready/setup.js';

export interface DnsInstanceOptions {
  log: Logger;
  registry?: Registry;
  /**
   * Who feeds the record index: `watch` connects to the API server (kubernetes.kubeconfig);
   * `manual` leaves it to the caller (tests, benchmarks), who calls `markSynced()`.
   */
  source: 'watch' | 'manual';
  /** Called when the loop plugin finds the server forwarding to itself. */
  onLoop?: (probe: string) => void;
  /**
   * False in a worker of `--workers N`: the primary serves /health, /ready and /metrics (summing
   * the workers' metrics), so a worker only counts (the metrics observer) and answers DNS.
   */
  sideServers?: boolean;
}

export interface DnsInstance {
  server: DnsServer;
  index: RecordIndex | undefined;
  plugins: Plugin[];
  packetCache: PacketCache | undefined;
  markSynced(): void;
  /** The HTTP ports the side servers bound (`{ health, ready, metrics }`), e.g. after `:0`. */
  ports(): Record<string, number>;
  /** Null when every plugin is ready (informers synced), else the reasons. */
  notReady(): string | null;
  stop(): Promise<void>;
}

export async function startDnsInstance(cfg: DnsConfig, opts: DnsInstanceOptions): Promise<DnsInstance> {
  const registry = opts.registry ?? new Registry();
  const side = opts.sideServers !== false;
  const packetCache = cfg.packetCacheSize > 0 ? new PacketCache(cfg.packetCacheSize) : undefined;
  const ctx: SetupContext = { log: opts.log, registry, invalidate: () => packetCache?.clear(), beforeScrape: [] };
  let manualSynced = false;
  let watchSynced: () => boolean = () => false;
  const synced = () => (opts.source === 'manual' ? manualSynced : watchSynced());
  const plugins: Plugin[] = [];
  let index: RecordIndex | undefined;
  let stopWatch: (() => void) | undefined;
  for (const name of ['errors', 'metrics', 'log', 'health', 'ready', 'loop', 'loadbalance', 'cache', 'kubernetes', 'external', 'forward'] as const) {
    switch (name) {
      case 'errors': if (cfg.errors) plugins.push(setupErrors(cfg.errors, opts.log)); break;
      case 'metrics': if (cfg.metrics) plugins.push(side ? setupMetrics(cfg.metrics, registry, cfg.listen, ctx) : metricsPlugin(registry, `dns://${cfg.listen}`)); break;
      case 'log': if (cfg.log) plugins.push(setupLog(cfg.log, opts.log)); break;
      case 'health': if (cfg.health && side) plugins.push(setupHealth(cfg.health)); break;
      case 'ready': if (cfg.ready && side) plugins.push(setupReady(cfg.ready, () => plugins)); break;
      case 'loop': if (cfg.loop) plugins.push(setupLoop(cfg.loop, (probe, seen) => {
        opts.log.error('forwarding loop detected', { probe, seen, code: 'DNS_LOOP_DETECTED' });
        opts.onLoop?.(probe);
      })); break;
      case 'loadbalance': if (cfg.loadbalance) plugins.push(setupLoadbalance(cfg.loadbalance)); break;
      case 'cache': if (cfg.cache) plugins.push(setupCache(cfg.cache, ctx)); break;
      case 'kubernetes': if (cfg.kubernetes) {
        const k = setupKubernetes(cfg.kubernetes, ctx, synced);
        index = k.index;
        plugins.push(k.plugin);
      } break;
      case 'external': if (cfg.external) {
        if (!index) throw new DnsError('DNS_CONFIG_INVALID', 'external: needs the kubernetes plugin');
        plugins.push(setupExternal(cfg.external, index));
      } break;
      case 'forward': if (cfg.forward) plugins.push(setupForward(cfg.forward, ctx)); break;
    }
  }
  const { host, port } = splitHostPort(cfg.listen);
  let server: DnsServer;
  try {
    server = await startDnsServer({
      host, port, plugins, log: opts.log, maxTcpConnections: cfg.maxTcpConnections, tcpIdleMs: cfg.tcpIdleMs,
      udpThreads: cfg.workers > 1 ? cfg.workers : 0,
      ...(packetCache ? { packetCache } : {}),
    });
  } catch (err) {
    throw new DnsError('DNS_LISTEN_FAILED', `cannot listen on ${cfg.listen}: ${(err as Error).message}`);
  }
  if (index && opts.source === 'watch') {
    try {
      const w = await (await import('./plugins/kubernetes/informer-source.js')).watchCluster(index, cfg.kubernetes?.kubeconfig, cfg.kubernetes?.pods === 'verified');
      watchSynced = w.synced;
      stopWatch = w.stop;

    } catch (err) {
      await server.close();
      throw new DnsError('DNS_WATCH_FAILED', (err as Error).message);
    }
  }
  ctx.beforeScrape.push(() => server.flushObservations());
  for (const p of plugins) await p.start?.({ listen: { host, port: server.port } });
  return {
    server, index, plugins, packetCache,
    markSynced: () => {
      manualSynced = true;
      packetCache?.clear();
    },
    notReady: () => plugins.map((p) => p.notReady?.() ?? null).filter((r) => r !== null).join('; ') || null,
    ports: () => Object.fromEntries(plugins.filter((p) => p.port).map((p) => [p.name, p.port!()])),
    async stop() {
      const health = plugins.find((p) => p.name === 'health');
      await health?.stop?.();
      stopWatch?.();
      await server.close();
      for (const p of plugins) if (p !== health) await p.stop?.();
    },
  };
}
