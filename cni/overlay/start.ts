import type { Registry } from 'prom-client';
import { KINDS, type ApiClient, type Informer, type Node } from '../../controller/api/index.js';
import type { Logger } from '../../daemon/logger.js';
import { createIptables } from '../../kernel/iptables.js';
import { openIpNetlink } from '../../kernel/netlink/ip-command.js';
import { readVxlanAttributes } from '../../kernel/netlink/vxlan-info.js';
import { realSysctl } from '../../kernel/sysctl.js';
import { createOverlayMetrics } from './metrics.js';
import { Overlay, type OverlayConfig } from './overlay.js';

export interface OverlayRuntimeOptions extends Omit<OverlayConfig, 'netnsPath'> {
  /** Name of the node's network namespace (`ip netns` name); undefined: the caller's own. */
  netns: string | undefined;
  iptablesMode: 'nft' | 'legacy';
}

/**
 * Wires the overlay engine to the real kernel (iproute2 in the node namespace, iptables-restore,
 * sysctl) and to the API (a shared Node informer, merge patches). Used by `sextant overlay` and
 * by `sextant agent`, which passes the Node informer it already runs.
 */
export function createOverlay(o: OverlayRuntimeOptions, client: ApiClient, nodes: Informer<Node>, log: Logger, registry: Registry): Overlay {
  const netnsPath = o.netns ? `/run/netns/${o.netns}` : undefined;
  const metrics = createOverlayMetrics(registry);
  return new Overlay(
    { ...o, ...(netnsPath ? { netnsPath } : {}) },
    {
      netlink: openIpNetlink(netnsPath),
      readVxlan: (name) => readVxlanAttributes(netnsPath, name),
      iptables: createIptables({ mode: o.iptablesMode, ...(o.netns ? { netns: o.netns } : {}) }),
      sysctl: realSysctl,
      nodes,
      patchNode: (name, patch) => client.patch(KINDS.Node, undefined, name, patch, 'merge'),
      log,
      onSync: (r) => metrics.onSync(r),
    },
  );
}
