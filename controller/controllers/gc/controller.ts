/**
 * Garbage collector: deletes objects whose owners (by ownerReference uid) are all gone
 * (background propagation), deletes the dependents of an owner marked with the
 * `foregroundDeletion` finalizer and then removes the finalizer, and for the `orphan` finalizer
 * removes the owner's references from its dependents instead. Absence in the cache is checked
 * against the live API before anything is deleted, as Kubernetes' collector does.
 */
import type { KindInfo, OwnerReference } from '../../api/index.js';
import { KINDS, isApiError } from '../../api/index.js';
import { runController } from '../runtime/controller.js';
import type { ControllerContext, StartedController } from '../runtime/context.js';
import { keyOf, splitKey, type Informer } from '../runtime/informers.js';

type Meta = { metadata: { name?: string; namespace?: string; uid?: string; ownerReferences?: OwnerReference[]; finalizers?: string[]; deletionTimestamp?: string } };

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';

/** Kinds that own others, and kinds that are owned, in this control plane. */
const OWNER_KINDS: Record<string, KindInfo<Meta>> = {
  Deployment: KINDS.Deployment as KindInfo<Meta>,
  ReplicaSet: KINDS.ReplicaSet as KindInfo<Meta>,
  Service: KINDS.Service as KindInfo<Meta>,
};
const DEPENDENT_KINDS: Record<string, KindInfo<Meta>> = {
  ReplicaSet: KINDS.ReplicaSet as KindInfo<Meta>,
  Pod: KINDS.Pod as KindInfo<Meta>,
  EndpointSlice: KINDS.EndpointSlice as KindInfo<Meta>,
};

export function startGarbageCollector(ctx: ControllerContext): StartedController {
  const informers: Record<string, Informer<Meta>> = {};
  for (const [k, kind] of Object.entries({ ...OWNER_KINDS, ...DEPENDENT_KINDS })) informers[k] = ctx.informers.for(kind);
  const liveUids = new Map<string, string>(); // uid → "Kind|key"
  const dependents = new Map<string, Set<string>>(); // owner uid → "Kind|key"
  let synced = false;

  const lookup = (item: string): { kind: string; obj: Meta | undefined; ns: string | undefined; name: string } => {
    const bar = item.indexOf('|');
    const kind = item.slice(0, bar);
    const { namespace, name } = splitKey(item.slice(bar + 1));
    return { kind, obj: informers[kind]?.get(namespace, name), ns: namespace, name };
  };

  /** Whether the owner exists (same uid), asking the API when the cache does not know it. */
  const ownerExists = async (ref: OwnerReference, namespace: string | undefined): Promise<Meta | undefined> => {
    const known = liveUids.get(ref.uid);
    if (known) return lookup(known).obj;
    const kind = OWNER_KINDS[ref.kind];
    if (!kind) return { metadata: { uid: ref.uid } }; // an owner kind we do not serve: leave alone
    try {
      const o = await ctx.client.get(kind, kind.namespaced ? namespace : undefined, ref.name);
      return o.metadata.uid === ref.uid ? o : undefined;
    } catch (err) {
      if (isApiError(err, 'NotFound')) return undefined;
      throw err;
    }
  };

  const syncDependent = async (item: string) => {
    const { kind, obj, ns, name } = lookup(item);
    if (!obj || obj.metadata.deletionTimestamp) return;
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const gone: OwnerReference[] = [];
    let deletingForeground = false;
    for (const ref of refs) {
      const owner = await ownerExists(ref, ns);
      if (!owner) gone.push(ref);
      else if (owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes(FOREGROUND)) deletingForeground = true;
    }
    const k = DEPENDENT_KINDS[kind]!;
    if (gone.length === refs.length || deletingForeground) {
      await ctx.client
        .delete(k, ns, name, { propagationPolicy: deletingForeground ? 'Foreground' : 'Background', preconditions: { uid: obj.metadata.uid ?? '' } })
        .catch((err: unknown) => {
          if (!isApiError(err, 'NotFound') && !isApiError(err, 'Conflict')) throw err;
        });
    } else if (gone.length > 0) {
      const keep = refs.filter((r) => !gone.includes(r));
      await ctx.client.patch(k, ns, name, { metadata: { ownerReferences: keep } }, 'merge');
    }
  };

  const syncOwner = async (item: string) => {
    const { kind, obj, ns, name } = lookup(item);
    if (!obj || !obj.metadata.deletionTimestamp) return;
    const fins = obj.metadata.finalizers ?? [];
    const uid = obj.metadata.uid ?? '';
    const deps = [...(dependents.get(uid) ?? [])].map(lookup).filter((d) => d.obj);
    if (fins.includes(ORPHAN)) {
      for (const d of deps) {
        const keep = (d.obj!.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        await ctx.client.patch(DEPENDENT_KINDS[d.kind]!, d.ns, d.name, { metadata: { ownerReferences: keep } }, 'merge').catch((err: unknown) => {
          if (!isApiError(err, 'NotFound')) throw err;
        });
      }
    } else if (fins.includes(FOREGROUND)) {
      for (const d of deps) {
        if (d.obj!.metadata.deletionTimestamp) continue;
        await ctx.client.delete(DEPENDENT_KINDS[d.kind]!, d.ns, d.name, { propagationPolicy: 'Foreground' }).catch((err: unknown) => {
          if (!isApiError(err, 'NotFound')) throw err;
        });
      }
      if (deps.length > 0) return { requeueAfterMs: 500 };
    } else return;
    const rest = fins.filter((f) => f !== ORPHAN && f !== FOREGROUND);
    await ctx.client.patch(OWNER_KINDS[kind]!, ns, name, { metadata: { finalizers: rest.length ? rest : null } }, 'merge').catch((err: unknown) => {
      if (!isApiError(err, 'NotFound')) throw err;
    });
  };

  const runner = runController({
    name: 'garbage-collector',
    logger: ctx.log,
    clock: ctx.clock,
    workers: 2,
    sync: async (key) => {
      if (!synced) return { requeueAfterMs: 200 };
      if (key.startsWith('owner:')) return syncOwner(key.slice(6));
      await syncDependent(key);
    },
  });
  const depItem = (kind: string, o: Meta) => `${kind}|${keyOf(o)}`;
  for (const [kind, inf] of Object.entries(informers)) {
    const isOwner = kind in OWNER_KINDS;
    const isDep = kind in DEPENDENT_KINDS;
    const seen = (o: Meta, gone: boolean) => {
      const item = depItem(kind, o);
      if (isOwner && o.metadata.uid) {
        if (gone) {
          liveUids.delete(o.metadata.uid);
          for (const d of dependents.get(o.metadata.uid) ?? []) runner.queue.add(d);
        } else {
          liveUids.set(o.metadata.uid, item);
          if (o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).some((f) => f === FOREGROUND || f === ORPHAN)) runner.queue.add(`owner:${item}`);
        }
      }
      if (isDep) {
        for (const r of o.metadata.ownerReferences ?? []) {
          let s = dependents.get(r.uid);
          if (!s) dependents.set(r.uid, (s = new Set()));
          if (gone) s.delete(item);
          else s.add(item);
          if (s.size === 0) dependents.delete(r.uid);
          if (!gone && synced && !liveUids.has(r.uid)) runner.queue.add(item);
          // A dependent leaving lets a foreground owner finish.
          const ownerItem = liveUids.get(r.uid);
          if (gone && ownerItem) runner.queue.add(`owner:${ownerItem}`);
        }
      }
    };
    inf.addHandlers({
      onAdd: (o) => seen(o, false),
      onUpdate: (old, o) => {
        if (isDep) for (const r of old.metadata.ownerReferences ?? []) dependents.get(r.uid)?.delete(depItem(kind, old));
        seen(o, false);
      },
      onDelete: (o) => seen(o, true),
    });
  }
  // After every informer listed, check every dependent once (owners deleted while we were down).
  void Promise.all(Object.values(informers).map((i) => i.synced())).then(() => {
    synced = true;
    for (const [kind, inf] of Object.entries(informers)) {
      if (!(kind in DEPENDENT_KINDS)) continue;
      for (const o of inf.list()) if ((o.metadata.ownerReferences ?? []).some((r) => !liveUids.has(r.uid))) runner.queue.add(depItem(kind, o));
    }
    for (const [kind, inf] of Object.entries(informers)) {
      if (!(kind in OWNER_KINDS)) continue;
      for (const o of inf.list()) if (o.metadata.deletionTimestamp) runner.queue.add(`owner:${depItem(kind, o)}`);
    }
  });
  return { name: runner.name, idle: () => runner.idle(), stop: () => runner.stop() };
}
