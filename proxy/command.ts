import os from 'node:os';
import { z } from 'zod';
import { defineCommand } from '../daemon/command.js';
import { flagTypes } from '../daemon/flags.js';
import { createLogger } from '../daemon/logger.js';
import { onShutdown } from '../daemon/shutdown.js';
import { startStatusServer } from '../daemon/status-server.js';
import { createConntrack } from '../kernel/conntrack.js';
import { createIptables, type Iptables } from '../kernel/iptables.js';
import { detectIptablesMode } from '../kernel/iptables-mode.js';
import { openSources } from './api-source.js';
import { cleanupPayload, parseCidr } from './core/index.js';
import { ProxyError } from './errors.js';
import { HealthCheckServers } from './health-check-servers.js';
import { createProxyMetrics } from './metrics.js';
import { SyncEngine } from './sync-engine.js';

const cidrList = () =>
  flagTypes
    .list()
    .refine((l) => l.every((c) => parseCidr(c) !== null), 'must be comma-separated IPv4 CIDRs such as 10.244.0.0/16');

/** Removes every hook and `SX-` chain the proxy created, in filter, nat and mangle. */
export async function cleanupRules(iptables: Iptables): Promise<void> {
  const saves: Record<string, string> = {};
  for (const t of ['filter', 'nat', 'mangle']) saves[t] = await iptables.save(t);
  const payload = cleanupPayload(saves);
  if (!payload) return;
  try {
    await iptables.restore(payload);
  } catch (err) {
    throw new ProxyError('PROXY_CLEANUP_FAILED', `cleanup failed: ${String(err)}`, { cause: err });
  }
}

export default defineCommand({
  name: 'proxy',
  usage: 'sextant proxy --kubeconfig FILE --node-name NODE [flags]',
  summary: 'Program iptables for Services (ClusterIP, NodePort, external and LB IPs) from Service and EndpointSlice watches, as kube-proxy does.',
  flags: {
    kubeconfig: { help: 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)', schema: z.string().optional() },
    'node-name': { help: 'this node (decides which endpoints are local)', schema: z.string().min(1).default(os.hostname()) },
    'cluster-cidr': { help: 'pod CIDR of the cluster: pod-to-service traffic from it is not masqueraded', schema: cidrList().default([]) },
    'nodeport-addresses': { help: 'serve NodePorts only on local addresses in these CIDRs (default: every local address)', schema: cidrList().default([]) },
    'min-sync-period': { help: 'minimum time between two syncs; bursts inside it become one sync', schema: flagTypes.duration().prefault('10ms') },
    'sync-period': { help: 'periodic sync and canary check', schema: flagTypes.duration().prefault('30s') },
    'full-sync-period': { help: 'rewrite every chain at least this often', schema: flagTypes.duration().prefault('1h') },
    'healthz-bind-address': { help: '/healthz listener (loopback by default; give the node address for load-balancer health checks)', schema: flagTypes.hostPort().default('127.0.0.1:10256') },
    'metrics-bind-address': { help: '/metrics listener', schema: flagTypes.hostPort().default('127.0.0.1:10249') },
    'partial-top-level': {
      help: 'on partial syncs, rewrite the top-level chains only when their rules changed (a one-endpoint change then writes only that service\'s chains) or always (kube-proxy; costs ~1.5 s at 10,000 services with iptables-nft); full syncs always rewrite them',
      schema: z.enum(['always', 'when-changed']).default('when-changed'),
    },
    'iptables-mode': {
      help: 'xtables backend: nft, legacy, or auto (the one the node already uses, as kube-proxy\'s image decides; nft when in doubt)',
      schema: z.enum(['auto', 'nft', 'legacy']).default('auto'),
    },
    netns: { help: 'program iptables inside this network namespace (tests, local clusters)', schema: z.string().optional() },
    cleanup: { help: 'remove every rule and chain the proxy created, then exit', schema: z.boolean().default(false), boolean: true },
  },
  async run(f) {
    const log = createLogger('proxy');
    const netns = f.netns ? { netns: f.netns } : {};
    const choice = f.iptablesMode === 'auto' ? await detectIptablesMode(netns) : { mode: f.iptablesMode, reason: '--iptables-mode' };
    log.info('iptables backend', { ...choice });
    const iptables = createIptables({ mode: choice.mode, ...netns });
    if (f.cleanup) {
      await cleanupRules(iptables);
      log.info('removed every rule and chain created by the proxy');
      return 0;
    }
    const metrics = createProxyMetrics();
    const engine = new SyncEngine({
      iptables,
      conntrack: createConntrack(f.netns ? { netns: f.netns } : {}),
      config: { nodeName: f.nodeName, clusterCIDRs: f.clusterCidr, nodePortCIDRs: f.nodeportAddresses },
      log,
      metrics,
      minSyncPeriodMs: f.minSyncPeriod,
      syncPeriodMs: f.syncPeriod,
      fullSyncPeriodMs: f.fullSyncPeriod,
      skipUnchangedTopLevel: f.partialTopLevel === 'when-changed',
    });
    const hc = new HealthCheckServers(log);
    engine.onHealthChecks = (t) => hc.sync(t);
    const sources = openSources(f.kubeconfig, f.nodeName, (kind, err) => log.warn('watch failed; retrying', { kind, error: err.message }));
    sources.services.addHandlers({
      onAdd: (s) => engine.onServiceChange(undefined, s),
      onUpdate: (a, b) => engine.onServiceChange(a, b),
      onDelete: (s) => engine.onServiceChange(s, undefined),
    });
    sources.slices.addHandlers({
      onAdd: (s) => engine.onSliceChange(s, false),
      onUpdate: (_a, b) => engine.onSliceChange(b, false),
      onDelete: (s) => engine.onSliceChange(s, true),
    });
    sources.nodes.addHandlers({
      onAdd: (n) => log.info('node addresses', { node: f.nodeName, addresses: n.status?.addresses ?? [] }),
      onUpdate: (_a, n) => log.debug('node addresses', { node: f.nodeName, addresses: n.status?.addresses ?? [] }),
    });
    const healthRoute = (_req: unknown, res: import('node:http').ServerResponse) => {
      const h = engine.health();
      res.writeHead(h.healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ...h, nodeEligible: true }));
    };
    const healthz = await startStatusServer({
      listen: f.healthzBindAddress,
      registry: metrics.registry,
      routes: { '/healthz': healthRoute, '/livez': healthRoute },
      ready: () => (engine.synced ? null : 'rules not programmed yet'),
    });
    const metricsServer = await startStatusServer({ listen: f.metricsBindAddress, registry: metrics.registry });
    for (const s of [sources.services, sources.slices, sources.nodes]) s.start();
    await Promise.all([sources.services.synced(), sources.slices.synced()]);
    engine.start();
    log.info('proxy started', { node: f.nodeName, healthz: healthz.address, metrics: metricsServer.address, netns: f.netns ?? null });
    onShutdown(log, async () => {
      for (const s of [sources.services, sources.slices, sources.nodes]) s.stop();
      await engine.stop();
      hc.close();
      await Promise.all([healthz.close(), metricsServer.close()]);
    });
    await new Promise(() => {});
  },
});
