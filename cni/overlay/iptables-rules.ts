import { CHAIN_FORWARD, CHAIN_POSTROUTING } from './names.js';

export interface OverlayRuleOptions {
  /** Cluster pod CIDR. */
  network: string;
  /** This node's pod CIDR. */
  podCIDR: string;
  /** Masquerade pod traffic leaving the cluster network. */
  masquerade: boolean;
  /** Whether FORWARD / POSTROUTING already jump to our chains (so the jump is not added twice). */
  hasForwardJump: boolean;
  hasPostroutingJump: boolean;
}

/**
 * The `iptables-restore --noflush` payload of the overlay's own chains. Declaring a chain flushes
 * and refills it, so rewriting is idempotent; the jumps from the built-in chains are inserted
 * only when missing. Filter: accept forwarded pod traffic in both directions, ahead of any DROP
 * policy (Docker's FORWARD DROP, flannel #609). Nat: pod↔pod traffic returns untouched (pods
 * see each other's real addresses), multicast is left alone, everything else from pods leaving
 * the cluster network is masqueraded with a random source port.
 */
export function overlayRulesPayload(o: OverlayRuleOptions): string {
  const c = (text: string) => `-m comment --comment "sextant overlay: ${text}"`;
  const lines = ['*filter', `:${CHAIN_FORWARD} - [0:0]`];
  if (!o.hasForwardJump) lines.push(`-I FORWARD 1 ${c('pod network forwarding')} -j ${CHAIN_FORWARD}`);
  lines.push(
    `-A ${CHAIN_FORWARD} -s ${o.network} ${c('from pods')} -j ACCEPT`,
    `-A ${CHAIN_FORWARD} -d ${o.network} ${c('to pods')} -j ACCEPT`,
    'COMMIT',
    '*nat',
    `:${CHAIN_POSTROUTING} - [0:0]`,
  );
  if (!o.hasPostroutingJump) lines.push(`-A POSTROUTING ${c('pod network masquerade')} -j ${CHAIN_POSTROUTING}`);
  lines.push(
    `-A ${CHAIN_POSTROUTING} -s ${o.network} -d ${o.network} ${c('pod to pod: never masquerade')} -j RETURN`,
    `-A ${CHAIN_POSTROUTING} -s ${o.network} -d 224.0.0.0/4 ${c('multicast')} -j RETURN`,
  );
  if (o.masquerade) lines.push(`-A ${CHAIN_POSTROUTING} -s ${o.podCIDR} ! -d ${o.network} ${c('pods to outside')} -j MASQUERADE --random-fully`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Payload that removes the jumps and the chains (`sextant overlay --cleanup`). */
export function overlayCleanupPayload(forwardJumps: readonly string[], postroutingJumps: readonly string[]): string {
  const del = (rule: string) => rule.replace(/^-A /, '-D ');
  return [
    '*filter',
    `:${CHAIN_FORWARD} - [0:0]`,
    ...forwardJumps.map(del),
    `-X ${CHAIN_FORWARD}`,
    'COMMIT',
    '*nat',
    `:${CHAIN_POSTROUTING} - [0:0]`,
    ...postroutingJumps.map(del),
    `-X ${CHAIN_POSTROUTING}`,
    'COMMIT',
    '',
  ].join('\n');
}
