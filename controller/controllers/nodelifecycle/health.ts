/**
 * Node lifecycle's pure core: when a node was last heard from (its Lease in kube-node-lease,
 * its Ready condition's heartbeat, or when this controller first saw it) and whether that is
 * older than the grace period, in which case its Ready condition becomes Unknown.
 */
import type { Condition, Lease, Node } from '../../api/index.js';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

export function lastHeardFrom(node: Node, lease: Lease | undefined, firstSeen: number): number {
  const times = [firstSeen];
  const renew = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : NaN;
  if (Number.isFinite(renew)) times.push(renew);
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const hb = ready?.lastHeartbeatTime ? Date.parse(ready.lastHeartbeatTime) : NaN;
  if (Number.isFinite(hb)) times.push(hb);
  return Math.max(...times);
}

export interface NodeHealth {
  /** The node's Ready condition should be set to Unknown now. */
  markUnknown: boolean;
  /** When to look again (ms from now) if it is still healthy. */
  recheckInMs?: number;
}

export function nodeHealth(node: Node, lease: Lease | undefined, firstSeen: number, now: number, graceMs: number): NodeHealth {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const last = lastHeardFrom(node, lease, firstSeen);
  const deadline = last + graceMs;
  if (now < deadline) return { markUnknown: false, recheckInMs: deadline - now };
  return { markUnknown: ready?.status !== 'Unknown' };
}

/** The node's conditions with Ready (and the others kubelet reports) set to Unknown. */
export function unknownConditions(node: Node, nowIso: string): Condition[] {
  const conds = node.status?.conditions ?? [];
  const out = conds.map((c) =>
    c.status === 'Unknown'
      ? c
      : { ...c, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: nowIso },
  );
  if (!out.some((c) => c.type === 'Ready')) {
    out.push({ type: 'Ready', status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastTransitionTime: nowIso, lastHeartbeatTime: nowIso });
  }
  return out;
}
