/**
 * The ReplicaSet controller's pure core: how many Pods to create or which to delete so the
 * active pods owned by the ReplicaSet match `spec.replicas`, and the status to report. Deletion
 * prefers pods that are unscheduled, then pending, then not ready, then the newest, as
 * Kubernetes' ranking does, so a scale-down removes the least useful pods first.
 */
import type { Pod, ReplicaSet } from '../../api/index.js';
import { isPodReady } from '../endpointslice/pod-endpoint.js';

export interface ReplicaSetPlan {
  create: number;
  delete: Pod[];
  status: NonNullable<ReplicaSet['status']>;
}

/** Pods counted against replicas: not terminal, not being deleted. */
export function isActivePod(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** Whether a pod owned by `rs` (controller reference by uid). */
export function ownedBy(pod: { metadata: { ownerReferences?: { uid: string; controller?: boolean }[] } }, uid: string | undefined): boolean {
  return uid !== undefined && (pod.metadata.ownerReferences ?? []).some((o) => o.controller && o.uid === uid);
}

/** Available: ready for at least minReadySeconds (by the Ready condition's transition time). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const c = pod.status?.conditions?.find((x) => x.type === 'Ready');
  const since = c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

const rank = (p: Pod): number[] => [
  p.spec.nodeName ? 1 : 0,
  p.status?.phase === 'Pending' ? 0 : p.status?.phase === 'Unknown' ? 1 : 2,
  isPodReady(p) ? 1 : 0,
];

/** Sorts pods so the first ones are the best to delete. */
export function deletionOrder(pods: readonly Pod[]): Pod[] {
  return [...pods].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? 1 : -1;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? 1 : -1;
  });
}

/** `pods`: the pods in the namespace owned by this ReplicaSet (any state). */
export function planReplicaSet(rs: ReplicaSet, pods: readonly Pod[], now: number, burst = 500): ReplicaSetPlan {
  const want = rs.spec.replicas ?? 1;
  const active = pods.filter(isActivePod);
  const diff = active.length - want;
  const min = rs.spec.minReadySeconds ?? 0;
  const ready = active.filter(isPodReady).length;
  const available = active.filter((p) => isPodAvailable(p, min, now)).length;
  const templateLabels = rs.spec.template?.metadata?.labels ?? {};
  const fully = active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length;
  const status: NonNullable<ReplicaSet['status']> = {
    replicas: active.length,
    fullyLabeledReplicas: fully,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata.generation ?? 0,
  };
  const terminating = pods.filter((p) => p.metadata.deletionTimestamp).length;
  if (terminating > 0) status.terminatingReplicas = terminating;
  return {
    create: diff < 0 ? Math.min(-diff, burst) : 0,
    delete: diff > 0 ? deletionOrder(active).slice(0, Math.min(diff, burst)) : [],
    status,
  };
}

/** The Pod a ReplicaSet creates from its template. */
export function podFromTemplate(rs: ReplicaSet): Pod {
  const t = rs.spec.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name}-`,
      namespace: rs.metadata.namespace,
      labels: { ...(t?.metadata?.labels ?? {}) },
      ...(t?.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.metadata.name ?? '', uid: rs.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: structuredClone(t?.spec ?? { containers: [] }),
  };
}

/** Whether the stored status already says this (no write needed). */
export function sameReplicaSetStatus(a: ReplicaSet['status'], b: ReplicaSet['status']): boolean {
  const keys = ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration', 'terminatingReplicas'] as const;
  return keys.every((k) => (a?.[k] ?? 0) === (b?.[k] ?? 0));
}
