/**
 * Deployment runner: ReplicaSets are indexed by their controlling Deployment's uid; a sync
 * plans with the pure core and performs one step (create the new ReplicaSet, scale, prune),
 * then writes status when it changed. The runner's own ReplicaSet writes overlay the cache so a
 * quick second pass never re-creates or re-scales from stale numbers.
 */
import type { Deployment, ReplicaSet } from '../../api/index.js';
import { KINDS, isApiError } from '../../api/index.js';
import { runController } from '../runtime/controller.js';
import type { ControllerContext, StartedController } from '../runtime/context.js';
import { keyOf, splitKey } from '../runtime/informers.js';
import { WriteCache } from '../runtime/write-cache.js';
import { DESIRED_REPLICAS_ANNOTATION, planDeployment, sameDeploymentStatus } from './reconcile.js';

const ownerUid = (rs: ReplicaSet) => rs.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'Deployment')?.uid;

export function startDeploymentController(ctx: ControllerContext): StartedController {
  const deployments = ctx.informers.for(KINDS.Deployment);
  const rsInf = ctx.informers.for(KINDS.ReplicaSet);
  const events = ctx.events('deployment-controller');
  const rsWrites = new WriteCache<ReplicaSet>();
  const dWrites = new WriteCache<Deployment>();
  const rsByOwner = new Map<string, Map<string, ReplicaSet>>();
  const keyByUid = new Map<string, string>();

  const runner = runController({
    name: 'deployment',
    logger: ctx.log,
    ready: () => deployments.hasSynced() && rsInf.hasSynced(),
    clock: ctx.clock,
    sync: async (key) => {
      const { namespace, name } = splitKey(key);
      const cached = deployments.get(namespace, name);
      const d = cached && dWrites.view(cached);
      if (!d || d.metadata.deletionTimestamp) return;
      const owned = rsWrites.merge([...(rsByOwner.get(d.metadata.uid ?? '')?.values() ?? [])], (rs) => ownerUid(rs) === d.metadata.uid);
      const plan = planDeployment(d, owned, ctx.clock.now());
      const target = { ...d, kind: 'Deployment', apiVersion: 'apps/v1' };
      if (plan.createReplicaSet) {
        try {
          rsWrites.wrote(await ctx.client.create(KINDS.ReplicaSet, plan.createReplicaSet));
        } catch (err) {
          if (!isApiError(err, 'AlreadyExists')) throw err;
          // Same name, different template: a hash collision; the next pass uses another hash.
          const existing = await ctx.client.get(KINDS.ReplicaSet, namespace, plan.createReplicaSet.metadata.name ?? '');
          if (ownerUid(existing) !== d.metadata.uid || JSON.stringify(existing.spec.template) !== JSON.stringify(plan.createReplicaSet.spec.template)) {
            dWrites.wrote(await ctx.client.updateStatus(KINDS.Deployment, { ...d, status: { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 } }));
          } else rsWrites.wrote(existing);
          return { requeueAfterMs: 0 };
        }
      }
      for (const s of plan.scale) {
        rsWrites.wrote(
          await ctx.client.patch<ReplicaSet>(
            KINDS.ReplicaSet,
            s.rs.metadata.namespace,
            s.rs.metadata.name ?? '',
            { metadata: { annotations: { [DESIRED_REPLICAS_ANNOTATION]: String(d.spec.replicas ?? 1) } }, spec: { replicas: s.replicas } },
            'merge',
          ),
        );
      }
      for (const rs of plan.deleteReplicaSets) {
        await ctx.client.delete(KINDS.ReplicaSet, rs.metadata.namespace, rs.metadata.name ?? '').catch((err: unknown) => {
          if (!isApiError(err, 'NotFound')) throw err;
        });
        rsWrites.deleted(rs);
      }
      for (const e of plan.events) events.normal(target, e.reason, e.message);
      if (!sameDeploymentStatus(d.status, plan.status)) {
        try {
          dWrites.wrote(await ctx.client.updateStatus(KINDS.Deployment, { ...d, status: plan.status }));
        } catch (err) {
          if (!isApiError(err, 'NotFound')) throw err;
        }
      }
      // A rollout in progress also advances when pods become available: the RS events requeue it.
    },
  });
  const trackRs = (rs: ReplicaSet, gone: boolean) => {
    rsWrites.observed(rs, gone);
    const uid = ownerUid(rs);
    if (!uid) return;
    let m = rsByOwner.get(uid);
    if (!m) rsByOwner.set(uid, (m = new Map()));
    if (gone) m.delete(keyOf(rs));
    else m.set(keyOf(rs), rs);
    const k = keyByUid.get(uid);
    if (k) runner.queue.add(k);
  };
  rsInf.addHandlers({
    onAdd: (rs) => trackRs(rs, false),
    onUpdate: (o, rs) => {
      if (ownerUid(o) !== ownerUid(rs)) trackRs(o, true);
      trackRs(rs, false);
    },
    onDelete: (rs) => trackRs(rs, true),
  });
  deployments.addHandlers({
    onAdd: (d) => {
      keyByUid.set(d.metadata.uid ?? '', keyOf(d));
      runner.queue.add(keyOf(d));
    },
    onUpdate: (_o, d) => {
      dWrites.observed(d);
      keyByUid.set(d.metadata.uid ?? '', keyOf(d));
      runner.queue.add(keyOf(d));
    },
    onDelete: (d) => {
      dWrites.observed(d, true);
      keyByUid.delete(d.metadata.uid ?? '');
    },
  });
  return { name: runner.name, idle: () => runner.idle(), stop: () => runner.stop() };
}
