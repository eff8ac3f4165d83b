/**
 * The Deployment controller's pure core, after Kubernetes' rolling-update algorithm: find or
 * create the ReplicaSet of the current template (named `<deployment>-<pod-template-hash>`),
 * scale it up within `replicas + maxSurge`, scale old ones down while at least
 * `replicas - maxUnavailable` pods stay available (or, for Recreate, old ones to zero first),
 * prune old empty ReplicaSets beyond `revisionHistoryLimit`, and compute the status and the
 * Available/Progressing conditions `kubectl rollout status` reads. One step per pass: every
 * scale change is written, observed through the informer, and the next pass continues.
 */
import type { Condition, Deployment, ReplicaSet } from '../../api/index.js';
import { canonicalJson, POD_TEMPLATE_HASH, podTemplateHash, templateWithoutHash } from './hash.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';

export interface DeploymentPlan {
  /** A new ReplicaSet to create (its template carries the hash label). */
  createReplicaSet?: ReplicaSet;
  /** ReplicaSets whose spec.replicas (or annotations) change. */
  scale: { rs: ReplicaSet; replicas: number }[];
  deleteReplicaSets: ReplicaSet[];
  status: NonNullable<Deployment['status']>;
  /** Events to record on the deployment (ScalingReplicaSet). */
  events: { reason: string; message: string }[];
}

/** Resolves an int-or-percent against `total` (surge rounds up, unavailability down). */
export function resolveIntOrPercent(v: number | string | undefined, total: number, dflt: string, roundUp: boolean): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const m = /^(\d+)%$/.exec(x);
  if (!m) return Number.isFinite(Number(x)) ? Number(x) : 0;
  const f = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(f) : Math.floor(f);
}

export function surgeAndUnavailable(d: Deployment): { maxSurge: number; maxUnavailable: number } {
  const replicas = d.spec.replicas ?? 1;
  if (d.spec.strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: replicas };
  const ru = d.spec.strategy?.rollingUpdate;
  const maxSurge = resolveIntOrPercent(ru?.maxSurge, replicas, '25%', true);
  let maxUnavailable = resolveIntOrPercent(ru?.maxUnavailable, replicas, '25%', false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas) };
}

const revisionOf = (rs: ReplicaSet) => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0);
const specReplicas = (rs: ReplicaSet) => rs.spec.replicas ?? 0;

/** Whether the ReplicaSet runs the deployment's current template. */
export function isCurrentTemplate(d: Deployment, rs: ReplicaSet): boolean {
  return canonicalJson(templateWithoutHash(rs.spec.template)) === canonicalJson(templateWithoutHash(d.spec.template));
}

export function newReplicaSetFor(d: Deployment, hash: string, replicas: number, revision: number): ReplicaSet {
  const template = structuredClone(d.spec.template);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash } };
  const selector = structuredClone(d.spec.selector);
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: { ...(d.spec.template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash },
      annotations: { [REVISION_ANNOTATION]: String(revision), [DESIRED_REPLICAS_ANNOTATION]: String(d.spec.replicas ?? 1) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name ?? '', uid: d.metadata.uid ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { replicas, selector, template, ...(d.spec.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}) },
  };
}

function condition(type: string, status: string, reason: string, message: string, nowIso: string, prev?: Condition): Condition {
  const same = prev && prev.status === status;
  return {
    type,
    status,
    lastUpdateTime: prev && same && prev.reason === reason ? (prev.lastUpdateTime ?? nowIso) : nowIso,
    lastTransitionTime: same ? (prev.lastTransitionTime ?? nowIso) : nowIso,
    reason,
    message,
  };
}

/** `owned`: the ReplicaSets this deployment controls (by controller ownerReference). */
export function planDeployment(d: Deployment, owned: readonly ReplicaSet[], now: number): DeploymentPlan {
  const nowIso = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const replicas = d.spec.replicas ?? 1;
  const { maxSurge, maxUnavailable } = surgeAndUnavailable(d);
  const plan: DeploymentPlan = { scale: [], deleteReplicaSets: [], status: {}, events: [] };
  const hash = podTemplateHash(d.spec.template, d.status?.collisionCount ?? 0);
  let newRS = owned.find((rs) => rs.metadata.labels?.[POD_TEMPLATE_HASH] === hash && isCurrentTemplate(d, rs)) ?? owned.find((rs) => isCurrentTemplate(d, rs));
  const olds = owned.filter((rs) => rs !== newRS).sort((a, b) => revisionOf(a) - revisionOf(b));
  const maxRevision = Math.max(0, ...owned.map(revisionOf));
  const scaleTo = new Map<ReplicaSet, number>();
  const scale = (rs: ReplicaSet, n: number) => {
    if (n === specReplicas(rs)) return;
    scaleTo.set(rs, n);
    plan.events.push({
      reason: 'ScalingReplicaSet',
      message: `Scaled ${n > specReplicas(rs) ? 'up' : 'down'} replica set ${rs.metadata.name} from ${specReplicas(rs)} to ${n}`,
    });
  };
  const recreate = d.spec.strategy?.type === 'Recreate';
  const paused = d.spec.paused === true;

  if (!paused) {
    const oldActive = olds.reduce((s, rs) => s + specReplicas(rs), 0);
    const oldRunning = olds.reduce((s, rs) => s + (rs.status?.replicas ?? 0), 0);
    if (!newRS) {
      let initial: number;
      if (recreate) initial = oldActive === 0 && oldRunning === 0 ? replicas : 0;
      else initial = Math.max(0, Math.min(replicas, replicas + maxSurge - oldActive));
      newRS = newReplicaSetFor(d, hash, initial, maxRevision + 1);
      plan.createReplicaSet = newRS;
      plan.events.push({ reason: 'ScalingReplicaSet', message: `Scaled up replica set ${newRS.metadata.name} from 0 to ${initial}` });
    }
    if (recreate) {
      for (const rs of olds) if (specReplicas(rs) > 0) scale(rs, 0);
      if (oldActive === 0 && oldRunning === 0 && !plan.createReplicaSet) scale(newRS, replicas);
    } else if (!plan.createReplicaSet) {
      const cur = specReplicas(newRS);
      const total = owned.reduce((s, rs) => s + specReplicas(rs), 0);
      if (cur > replicas) scale(newRS, replicas);
      else if (cur < replicas) {
        const room = replicas + maxSurge - total;
        if (room > 0) scale(newRS, cur + Math.min(room, replicas - cur));
      }
      if (scaleTo.size === 0 && oldActive > 0) {
        // Scale old ReplicaSets down while keeping minAvailable pods available.
        const minAvailable = replicas - maxUnavailable;
        const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
        let maxScaledDown = total - minAvailable - Math.max(0, newUnavailable);
        // First the old pods that are not available anyway.
        for (const rs of olds) {
          if (maxScaledDown <= 0) break;
          const unhealthy = specReplicas(rs) - (rs.status?.availableReplicas ?? 0);
          if (unhealthy <= 0) continue;
          const n = Math.min(unhealthy, maxScaledDown);
          scale(rs, specReplicas(rs) - n);
          maxScaledDown -= n;
        }
        const available = owned.reduce((s, rs) => s + (rs.status?.availableReplicas ?? 0), 0);
        let budget = Math.min(available - minAvailable, maxScaledDown);
        for (const rs of olds) {
          if (budget <= 0) break;
          const current = scaleTo.get(rs) ?? specReplicas(rs);
          const n = Math.min(current, budget);
          if (n > 0) scale(rs, current - n);
          budget -= n;
        }
      }
    }
    // Old, empty ReplicaSets beyond the history limit are removed, oldest first.
    const limit = d.spec.revisionHistoryLimit ?? 10;
    const empty = olds.filter((rs) => (scaleTo.get(rs) ?? specReplicas(rs)) === 0 && (rs.status?.replicas ?? 0) === 0);
    if (empty.length > limit) plan.deleteReplicaSets.push(...empty.slice(0, empty.length - limit));
  }
  for (const [rs, n] of scaleTo) if (rs !== plan.createReplicaSet) plan.scale.push({ rs, replicas: n });
  if (plan.createReplicaSet && scaleTo.has(plan.createReplicaSet)) plan.createReplicaSet.spec.replicas = scaleTo.get(plan.createReplicaSet)!;

  // Status from what the ReplicaSets report.
  const all = owned;
  const sum = (f: (rs: ReplicaSet) => number) => all.reduce((s, rs) => s + f(rs), 0);
  const updated = newRS && !plan.createReplicaSet ? (newRS.status?.replicas ?? 0) : 0;
  const available = sum((rs) => rs.status?.availableReplicas ?? 0);
  const total = sum((rs) => rs.status?.replicas ?? 0);
  const status: NonNullable<Deployment['status']> = {
    observedGeneration: d.metadata.generation ?? 0,
    replicas: total,
    updatedReplicas: updated,
    readyReplicas: sum((rs) => rs.status?.readyReplicas ?? 0),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicas - available),
  };
  if (d.status?.collisionCount) status.collisionCount = d.status.collisionCount;
  const prev = (t: string) => d.status?.conditions?.find((c) => c.type === t);
  const availableOk = available >= replicas - maxUnavailable;
  const conds: Condition[] = [
    availableOk
      ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', nowIso, prev('Available'))
      : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', nowIso, prev('Available')),
  ];
  const rsName = newRS?.metadata.name ?? '';
  const complete = !plan.createReplicaSet && updated === replicas && total === replicas && available >= replicas && (newRS?.status?.observedGeneration ?? 0) >= (newRS?.metadata.generation ?? 0);
  if (paused) conds.push(condition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', nowIso, prev('Progressing')));
  else if (complete) conds.push(condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, nowIso, prev('Progressing')));
  else if (plan.createReplicaSet) conds.push(condition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`, nowIso, prev('Progressing')));
  else conds.push(condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, nowIso, prev('Progressing')));
  status.conditions = conds;
  plan.status = status;
  return plan;
}

/** Whether two deployment statuses differ in anything but condition timestamps. */
export function sameDeploymentStatus(a: Deployment['status'], b: Deployment['status']): boolean {
  const strip = (s: Deployment['status']) =>
    canonicalJson({ ...(s ?? {}), conditions: (s?.conditions ?? []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })) });
  return strip(a) === strip(b);
}
