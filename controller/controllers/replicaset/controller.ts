/**
 * ReplicaSet runner: pods are indexed by their controlling owner's uid; a sync plans with the
 * pure core, creates pods in doubling batches (1, 2, 4, ...) so a broken template fails fast,
 * deletes surplus pods, and writes status only when it changed. Expectations keep a ReplicaSet
 * from acting again before its previous creates and deletes show up in the Pod cache.
 */
import type { Pod, ReplicaSet } from '../../api/index.js';
import { KINDS, isApiError } from '../../api/index.js';
import { runController, type SyncResult } from '../runtime/controller.js';
import type { ControllerContext, StartedController } from '../runtime/context.js';
import { Expectations } from '../runtime/expectations.js';
import { keyOf, splitKey } from '../runtime/informers.js';
import { WriteCache } from '../runtime/write-cache.js';
import { isPodAvailable, planReplicaSet, podFromTemplate, sameReplicaSetStatus } from './reconcile.js';

const ownerUid = (p: Pod) => p.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'ReplicaSet')?.uid;

export function startReplicaSetController(ctx: ControllerContext, opts: { workers?: number } = {}): StartedController {
  const rsInf = ctx.informers.for(KINDS.ReplicaSet);
  const pods = ctx.informers.for(KINDS.Pod);
  const events = ctx.events('replicaset-controller');
  const expectations = new Expectations(ctx.clock);
  const byOwner = new Map<string, Map<string, Pod>>();
  const rsKeyByUid = new Map<string, string>();
  const statusWrites = new WriteCache<ReplicaSet>();

  const sync = async (key: string): Promise<SyncResult | void> => {
    const { namespace, name } = splitKey(key);
    const cached = rsInf.get(namespace, name);
    const rs = cached && statusWrites.view(cached);
    if (!rs) {
      expectations.forget(key);
      return;
    }
    const owned = [...(byOwner.get(rs.metadata.uid ?? '')?.values() ?? [])];
    const now = ctx.clock.now();
    const plan = planReplicaSet(rs, owned, now);
    const target = { ...rs, kind: 'ReplicaSet', apiVersion: 'apps/v1' };
    if (!rs.metadata.deletionTimestamp && expectations.satisfied(key)) {
      if (plan.create > 0) {
        expectations.expect(key, plan.create);
        let left = plan.create;
        for (let batch = 1; left > 0; batch *= 2) {
          const n = Math.min(batch, left);
          left -= n;
          const results = await Promise.allSettled(
            Array.from({ length: n }, () => ctx.client.create(KINDS.Pod, podFromTemplate(rs))),
          );
          let failed: Error | undefined;
          for (const r of results) {
            if (r.status === 'fulfilled') events.normal(target, 'SuccessfulCreate', `Created pod: ${r.value.metadata.name}`);
            else {
              expectations.creationObserved(key);
              failed = r.reason as Error;
            }
          }
          if (failed) {
            for (let i = 0; i < left; i++) expectations.creationObserved(key);
            events.warning(target, 'FailedCreate', `Error creating: ${failed.message}`);
            throw failed;
          }
        }
      } else if (plan.delete.length > 0) {
        expectations.expect(key, 0, plan.delete.map((p) => p.metadata.uid ?? ''));
        await Promise.all(
          plan.delete.map(async (p) => {
            try {
              await ctx.client.delete(KINDS.Pod, p.metadata.namespace, p.metadata.name ?? '');
              events.normal(target, 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
            } catch (err) {
              expectations.deletionObserved(key, p.metadata.uid ?? '');
              if (!isApiError(err, 'NotFound')) throw err;
            }
          }),
        );
      }
    }
    if (!sameReplicaSetStatus(rs.status, plan.status)) {
      try {
        statusWrites.wrote(await ctx.client.updateStatus(KINDS.ReplicaSet, { ...rs, status: { ...rs.status, ...plan.status } }));
      } catch (err) {
        if (!isApiError(err, 'NotFound')) throw err;
      }
    }
    // Pods ready but not yet available for minReadySeconds: look again when they will be.
    const min = rs.spec.minReadySeconds ?? 0;
    if (min > 0 && owned.some((p) => isPodAvailable(p, 0, now) && !isPodAvailable(p, min, now))) return { requeueAfterMs: 1000 };
  };

  const runner = runController({ name: 'replicaset', sync, workers: opts.workers ?? 2, logger: ctx.log, clock: ctx.clock, ready: () => rsInf.hasSynced() && pods.hasSynced() });
  const track = (p: Pod, gone: boolean) => {
    const uid = ownerUid(p);
    if (!uid) return;
    let m = byOwner.get(uid);
    if (!m) byOwner.set(uid, (m = new Map()));
    if (gone) m.delete(keyOf(p));
    else m.set(keyOf(p), p);
    const rsKey = rsKeyByUid.get(uid);
    if (rsKey) runner.queue.add(rsKey);
    return rsKey;
  };
  pods.addHandlers({
    onAdd: (p) => {
      const k = track(p, false);
      if (k) expectations.creationObserved(k);
    },
    onUpdate: (o, p) => {
      if (ownerUid(o) !== ownerUid(p)) track(o, true);
      const k = track(p, false);
      if (k && p.metadata.deletionTimestamp) expectations.deletionObserved(k, p.metadata.uid ?? '');
    },
    onDelete: (p) => {
      const k = track(p, true);
      if (k) expectations.deletionObserved(k, p.metadata.uid ?? '');
    },
  });
  rsInf.addHandlers({
    onAdd: (rs) => {
      rsKeyByUid.set(rs.metadata.uid ?? '', keyOf(rs));
      runner.queue.add(keyOf(rs));
    },
    onUpdate: (_o, rs) => {
      statusWrites.observed(rs);
      rsKeyByUid.set(rs.metadata.uid ?? '', keyOf(rs));
      runner.queue.add(keyOf(rs));
    },
    onDelete: (rs) => {
      statusWrites.observed(rs, true);
      rsKeyByUid.delete(rs.metadata.uid ?? '');
      runner.queue.add(keyOf(rs));
    },
  });
  return { name: runner.name, idle: () => runner.idle(), stop: () => runner.stop() };
}
