import { z } from 'zod';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { ApiClient, createInformer, KINDS, type EndpointSlice, type Node, type Service } from '../controller/api/index.js';
import { overlayFlags } from '../cni/overlay/flags.js';
import { createOverlay } from '../cni/overlay/start.js';
import { defineCommand } from '../daemon/command.js';
import { flagTypes } from '../daemon/flags.js';
import { createLogger } from '../daemon/logger.js';
import { onShutdown } from '../daemon/shutdown.js';
import { startStatusServer } from '../daemon/status-server.js';
import { createConntrack } from '../kernel/conntrack.js';
import { createIptables } from '../kernel/iptables.js';
import type { EndpointSliceLike, ServiceLike } from '../proxy/core/index.js';
import { HealthCheckServers } from '../proxy/health-check-servers.js';
import { createProxyMetrics } from '../proxy/metrics.js';
import { SyncEngine } from '../proxy/sync-engine.js';
import { nodeFlags } from './flags.js';
import { createNodeAgent } from './start.js';

/**
 * `sextant agent`: every per-node role in one process — the node agent, the VXLAN overlay and the
 * service proxy — over one API client, sharing the Service informer (agent env vars + proxy) and
 * one Node informer (overlay peers). One status endpoint reports all three.
 */
export default defineCommand({
  name: 'agent',
  usage: 'sextant agent --kubeconfig FILE --node-name NODE --node-ip IP [--netns NAME] [flags]',
  summary: 'Run all per-node roles in one process: node agent + VXLAN overlay + service proxy.',
  flags: {
    ...nodeFlags,
    ...overlayFlags,
    'iptables-mode': { help: 'xtables backend: nft or legacy', schema: z.enum(['nft', 'legacy']).default('nft') },
    'proxy-min-sync-period': { help: 'proxy: minimum time between two syncs', schema: flagTypes.duration().prefault('10ms') },
    'proxy-sync-period': { help: 'proxy: periodic sync', schema: flagTypes.duration().prefault('30s') },
    'nodeport-addresses': { help: 'proxy: serve NodePorts only on addresses in these CIDRs', schema: flagTypes.list().default([]) },
  },
  async run(f) {
    const log = createLogger('agent');
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const client = ApiClient.fromKubeconfig(f.kubeconfig);
    const services = createInformer<Service>(client, KINDS.Service, { onError: (err) => log.warn('service watch', { error: err.message }) });
    const slices = createInformer<EndpointSlice>(client, KINDS.EndpointSlice, { onError: (err) => log.warn('endpointslice watch', { error: err.message }) });
    const nodes = createInformer<Node>(client, KINDS.Node, { onError: (err) => log.warn('node watch', { error: err.message }) });
    const { agent, informers } = createNodeAgent(f, client, log.child({ component: 'node' }), services);
    const overlay = createOverlay(
      {
        nodeName: f.nodeName, network: f.clusterCidr, vni: f.vni, port: f.port, ifaceAddr: f.ifaceAddr ?? f.nodeIp, directRouting: f.directRouting,
        subnetFile: f.subnetFile, masquerade: f.ipMasq, reconcilePeriodMs: f.reconcilePeriod, netns: f.netns, iptablesMode: f.iptablesMode,
      },
      client,
      nodes,
      log.child({ component: 'overlay' }),
      registry,
    );
    // pods wait for the overlay to set the node up (subnet file written) before their CNI ADD
    agent.networkGate = () => (overlay.local ? null : 'the overlay has not set this node up yet (waiting for spec.podCIDR)');
    const iptables = createIptables({ mode: f.iptablesMode, ...(f.netns ? { netns: f.netns } : {}) });
    const proxyMetrics = createProxyMetrics();
    const engine = new SyncEngine({
      iptables,
      conntrack: createConntrack(f.netns ? { netns: f.netns } : {}),
      config: { nodeName: f.nodeName, clusterCIDRs: [f.clusterCidr], nodePortCIDRs: f.nodeportAddresses },
      log: log.child({ component: 'proxy' }),
      metrics: proxyMetrics,
      minSyncPeriodMs: f.proxyMinSyncPeriod,
      syncPeriodMs: f.proxySyncPeriod,
    });
    const hc = new HealthCheckServers(log.child({ component: 'proxy' }));
    engine.onHealthChecks = (t) => hc.sync(t);
    services.addHandlers({
      onAdd: (s) => engine.onServiceChange(undefined, s as ServiceLike),
      onUpdate: (a, b) => engine.onServiceChange(a as ServiceLike, b as ServiceLike),
      onDelete: (s) => engine.onServiceChange(s as ServiceLike, undefined),
    });
    slices.addHandlers({
      onAdd: (s) => engine.onSliceChange(s as EndpointSliceLike, false),
      onUpdate: (_a, b) => engine.onSliceChange(b as EndpointSliceLike, false),
      onDelete: (s) => engine.onSliceChange(s as EndpointSliceLike, true),
    });
    const status = await startStatusServer({
      listen: f.statusAddress,
      registry,
      routes: {
        '/proxy/metrics': (_req, res) => {
          void proxyMetrics.registry.metrics().then((t) => res.end(t));
        },
      },
      ready: () => (!agent.ready ? 'node agent starting' : !overlay.local ? 'overlay waiting for spec.podCIDR' : !engine.synced ? 'proxy rules not programmed yet' : null),
    });
    const all = [...informers, slices, nodes];
    onShutdown(log, async () => {
      for (const i of all) i.stop();
      await overlay.stop();
      await engine.stop();
      hc.close();
      await agent.stop();
      await status.close();
      client.close();
    });
    for (const i of all) i.start();
    await agent.start();
    void overlay.start().catch((err: Error) => {
      log.error('overlay failed to start', { error: err.message });
      process.exitCode = 1;
    });
    await Promise.all([services.synced(), slices.synced()]);
    engine.start();
    log.info('agent started', { node: f.nodeName, netns: f.netns ?? null });
    await new Promise<never>(() => {});
  },
});
