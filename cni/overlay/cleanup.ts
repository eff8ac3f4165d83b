import type { Iptables } from '../../kernel/iptables.js';
import type { Netlink } from '../../kernel/netlink/types.js';
import { overlayCleanupPayload } from './iptables-rules.js';
import { CHAIN_FORWARD, CHAIN_POSTROUTING } from './names.js';
import { ownedRoutes } from './plan.js';

/**
 * Removes what the overlay made on a node: routes into the cluster CIDR through the device or
 * by direct routing (except the node's own), the device (its neighbour and FDB entries go with
 * it), and the SX-OVERLAY chains with their jumps.
 */
export async function cleanupOverlay(netlink: Netlink, iptables: Iptables, o: { device: string; network: string; ownPodCIDR?: string }): Promise<void> {
  const routes = ownedRoutes(await netlink.listRoutes(), o.network, o.ownPodCIDR ?? '0.0.0.0/32');
  for (const r of routes) await netlink.apply([{ op: 'route.del', route: r }]).catch(() => undefined);
  if (await netlink.getLink(o.device)) await netlink.apply([{ op: 'link.del', name: o.device }]);
  const fwd = ((await iptables.listChain('filter', 'FORWARD')) ?? []).filter((r) => r.includes(`-j ${CHAIN_FORWARD}`));
  const post = ((await iptables.listChain('nat', 'POSTROUTING')) ?? []).filter((r) => r.includes(`-j ${CHAIN_POSTROUTING}`));
  const exists = (await iptables.listChain('filter', CHAIN_FORWARD)) !== null || (await iptables.listChain('nat', CHAIN_POSTROUTING)) !== null;
  if (exists) await iptables.restore(overlayCleanupPayload(fwd, post));
}
