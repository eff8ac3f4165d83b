/**
 * The scheduler's pure core: which Ready, schedulable Nodes a Pod fits (nodeSelector,
 * `spec.unschedulable`, NoSchedule/NoExecute taints against tolerations) and which of them to
 * pick — the one with fewest pods of the same owner (spreading replicas), then fewest pods.
 * When nothing fits, the reason summary reads like kube-scheduler's FailedScheduling message.
 */
import type { Node, Pod, Taint, Toleration } from '../../api/index.js';

export type ScheduleResult = { node: string } | { node?: undefined; message: string };

export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

export function tolerates(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** Why the node cannot take the pod, or undefined when it fits. */
export function unfitReason(pod: Pod, node: Node): string | undefined {
  const spec = node.spec ?? {};
  const taints = spec.taints ?? [];
  if (!isNodeReady(node)) return "node(s) were not ready";
  if (spec.unschedulable && !tolerates(pod.spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })) {
    return 'node(s) were unschedulable';
  }
  for (const sel of Object.entries(pod.spec.nodeSelector ?? {})) {
    if (node.metadata.labels?.[sel[0]] !== sel[1]) return "node(s) didn't match Pod's node affinity/selector";
  }
  for (const t of taints) {
    if (t.effect !== 'NoSchedule' && t.effect !== 'NoExecute') continue;
    if (!tolerates(pod.spec.tolerations, t)) return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
  }
  return undefined;
}

export const controllerUid = (pod: Pod) => pod.metadata.ownerReferences?.find((o) => o.controller)?.uid;

/** How many pods sit on a node, in total and per controlling owner (uid). */
export interface PlacementCounts {
  total(node: string): number;
  owned(node: string, ownerUid: string): number;
}

/** Counts from a list of bound pods (tests, small clusters; the runner keeps an index). */
export function countsFromPods(bound: readonly Pod[]): PlacementCounts {
  const total = new Map<string, number>();
  const same = new Map<string, number>();
  for (const p of bound) {
    const n = p.spec.nodeName;
    if (!n || p.metadata.deletionTimestamp) continue;
    total.set(n, (total.get(n) ?? 0) + 1);
    const o = controllerUid(p);
    if (o) same.set(`${n}\0${o}`, (same.get(`${n}\0${o}`) ?? 0) + 1);
  }
  return { total: (n) => total.get(n) ?? 0, owned: (n, o) => same.get(`${n}\0${o}`) ?? 0 };
}

/**
 * Picks a node for `pod`. `counts` covers the pods already placed, including earlier decisions
 * of this scheduler the cache has not seen yet.
 */
export function schedulePod(pod: Pod, nodes: readonly Node[], counts: PlacementCounts): ScheduleResult {
  const reasons = new Map<string, number>();
  const fit: Node[] = [];
  for (const n of nodes) {
    const r = unfitReason(pod, n);
    if (r) reasons.set(r, (reasons.get(r) ?? 0) + 1);
    else fit.push(n);
  }
  if (fit.length === 0) {
    const parts = [...reasons.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([r, c]) => `${c} ${r}`);
    const msg = `0/${nodes.length} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.`;
    return { message: msg };
  }
  const owner = controllerUid(pod);
  const same = (n: string) => (owner ? counts.owned(n, owner) : 0);
  fit.sort((a, b) => {
    const an = a.metadata.name ?? '';
    const bn = b.metadata.name ?? '';
    return same(an) - same(bn) || counts.total(an) - counts.total(bn) || an.localeCompare(bn);
  });
  return { node: fit[0]!.metadata.name ?? '' };
}
