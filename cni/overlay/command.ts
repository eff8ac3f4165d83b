import { Registry } from 'prom-client';
import { defineCommand } from '../../daemon/command.js';
import { createLogger } from '../../daemon/logger.js';
import { onShutdown } from '../../daemon/shutdown.js';
import { startStatusServer } from '../../daemon/status-server.js';
import { ApiClient, createInformer, KINDS, type Node } from '../../controller/api/index.js';
import { createIptables } from '../../kernel/iptables.js';
import { openIpNetlink } from '../../kernel/netlink/ip-command.js';
import { cleanupOverlay } from './cleanup.js';
import { overlayCommandFlags } from './flags.js';
import { vxlanDeviceName } from './names.js';
import { createOverlay } from './start.js';

export default defineCommand({
  name: 'overlay',
  usage: 'sextant overlay --kubeconfig FILE --node-name NODE [--iface-addr IP] [--netns NAME] [flags]',
  summary: "Connect pod subnets across nodes over VXLAN (flannel's vxlan backend): device, per-peer neighbour/FDB/route entries, forwarding and masquerade rules, the node subnet file.",
  flags: overlayCommandFlags,
  async run(f) {
    const log = createLogger('overlay');
    if (f.cleanup) {
      const netnsPath = f.netns ? `/run/netns/${f.netns}` : undefined;
      await cleanupOverlay(openIpNetlink(netnsPath), createIptables({ mode: f.iptablesMode, ...(f.netns ? { netns: f.netns } : {}) }), {
        device: vxlanDeviceName(f.vni),
        network: f.clusterCidr,
      });
      log.info('removed the overlay device, routes and chains');
      return 0;
    }
    const registry = new Registry();
    const client = ApiClient.fromKubeconfig(f.kubeconfig);
    const nodes = createInformer<Node>(client, KINDS.Node, { onError: (err) => log.warn('node watch', { error: err.message }) });
    const overlay = createOverlay(
      {
        nodeName: f.nodeName, network: f.clusterCidr, vni: f.vni, port: f.port, ...(f.ifaceAddr ? { ifaceAddr: f.ifaceAddr } : {}),
        directRouting: f.directRouting, subnetFile: f.subnetFile, masquerade: f.ipMasq, reconcilePeriodMs: f.reconcilePeriod,
        netns: f.netns, iptablesMode: f.iptablesMode,
      },
      client,
      nodes,
      log,
      registry,
    );
    const status = await startStatusServer({
      listen: f.statusAddress,
      registry,
      ready: () => (overlay.local && overlay.lastSyncOk ? null : overlay.local ? 'last sync failed' : 'waiting for spec.podCIDR'),
    });
    onShutdown(log, async () => {
      await overlay.stop();
      nodes.stop();
      await status.close();
      client.close();
    });
    nodes.start();
    await overlay.start();
    await new Promise<never>(() => {});
  },
});
