/**
 * The EndpointSlice (and legacy Endpoints) controller's runner: Service, Pod and EndpointSlice
 * informers feed a queue of service keys; a sync reads the caches (overlaid with its own recent
 * writes), asks the pure core for the minimal actions and performs them through the API.
 */
import type { EndpointSlice, Endpoints, Pod, Service } from '../../api/index.js';
import { KINDS, isApiError } from '../../api/index.js';
import { runController, type SyncResult } from '../runtime/controller.js';
import type { ControllerContext, StartedController } from '../runtime/context.js';
import { keyOf, splitKey } from '../runtime/informers.js';
import { LabelIndex } from '../runtime/label-index.js';
import { WriteCache } from '../runtime/write-cache.js';
import { desiredEndpoints, endpointsEqual } from './endpoints.js';
import { isPodReady, MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from './pod-endpoint.js';
import { isManagedSliceOf, reconcileSlices } from './reconcile.js';

/**
 * Services synced at once. Each sync waits for its slice writes, so this bounds the controller's
 * share of a busy server: below the number of concurrent writers it competes with (the endpoints
 * bench runs 32 status writers), service keys wait in the queue. Bench endpoints p99: 16 workers
 * 7.2 s vs 64 workers 1.3 s at the same load (16-20); 8 workers 9.2 s vs 32 workers 0.65 s (load
 * 7-11). Since the controllers run in a worker thread a write's answer takes one more turn of the
 * server's event loop, and 64 queued again: three pairs, 64 vs 256 workers, p50 88-104 vs 43-58 ms,
 * p99 194-264 vs 149-175 ms at the same 1,900-2,100 transitions/s (128: p50 56-89, p99 149-230).
 * Idle workers cost nothing.
 */
export const DEFAULT_ENDPOINTSLICE_WORKERS = 256;

export interface EndpointSliceControllerOptions {
  workers?: number;
  maxEndpointsPerSlice?: number;
  /** Also maintain core/v1 Endpoints (default true). */
  legacyEndpoints?: boolean;
  /** Changes to one service's Endpoints within this period are written once (default 500 ms). */
  endpointsBatchMs?: number;
}

const sameLabels = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a![k] === b?.[k]);
};
const sameIps = (a: Pod, b: Pod): boolean => {
  const x = a.status?.podIPs;
  const y = b.status?.podIPs;
  if (!x || !y) return x === y && a.status?.podIP === b.status?.podIP;
  return x.length === y.length && x.every((ip, i) => ip.ip === y[i]!.ip);
};

/** Whether the fields of a pod the endpoints depend on are unchanged (status churn is ignored). */
const sameForEndpoints = (o: Pod, p: Pod): boolean =>
  o.metadata.deletionTimestamp === p.metadata.deletionTimestamp &&
  o.status?.phase === p.status?.phase &&
  o.spec.nodeName === p.spec.nodeName &&
  o.spec.hostname === p.spec.hostname &&
  o.spec.subdomain === p.spec.subdomain &&
  isPodReady(o) === isPodReady(p) &&
  sameIps(o, p) &&
  sameLabels(o.metadata.labels, p.metadata.labels);

export function startEndpointSliceController(ctx: ControllerContext, opts: EndpointSliceControllerOptions = {}): StartedController {
  const services = ctx.informers.for(KINDS.Service);
  const pods = ctx.informers.for(KINDS.Pod);
  const slices = ctx.informers.for(KINDS.EndpointSlice);
  const endpoints = opts.legacyEndpoints === false ? undefined : ctx.informers.for(KINDS.Endpoints);
  const podIndex = new LabelIndex<Pod>();
  const slicesByService = new Map<string, Map<string, EndpointSlice>>();
  const sliceService = (s: EndpointSlice) => {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    return svc ? `${s.metadata.namespace}/${svc}` : undefined;
  };
  const sliceWrites = new WriteCache<EndpointSlice>(sliceService);
  const epWrites = new WriteCache<Endpoints>();

  const sync = async (key: string): Promise<SyncResult | void> => {
    const { namespace, name } = splitKey(key);
    const svc = services.get(namespace, name);
    const mine = sliceWrites.mergeGroup(slicesByService.get(key)?.values() ?? [], key);
    if (!svc) {
      for (const s of mine) if (s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) await del(s);
      return;
    }
    if (!svc.spec.selector || Object.keys(svc.spec.selector).length === 0 || svc.spec.type === 'ExternalName') return;
    const selected = podIndex.selectedBy(namespace ?? '', svc.spec.selector);
    const actions = reconcileSlices(svc, selected, mine.filter((s) => isManagedSliceOf(s, svc)), opts.maxEndpointsPerSlice ? { maxEndpointsPerSlice: opts.maxEndpointsPerSlice } : {});
    await Promise.all([
      ...actions.create.map(async (s) => sliceWrites.wrote(await ctx.client.create(KINDS.EndpointSlice, s))),
      ...actions.update.map(async (s) => sliceWrites.wrote(await ctx.client.update(KINDS.EndpointSlice, s))),
      ...actions.delete.map(del),
    ]);
  };

  /** Legacy Endpoints on their own queue, so slice latency never waits behind them. */
  const syncEndpoints = async (key: string): Promise<void> => {
    if (!endpoints) return;
    const { namespace, name } = splitKey(key);
    const svc = services.get(namespace, name);
    if (!svc) {
      const ep = endpoints.get(namespace, name);
      if (ep && epWrites.view(ep)) {
        await ctx.client.delete(KINDS.Endpoints, namespace, name).catch((err: unknown) => {
          if (!isApiError(err, 'NotFound')) throw err;
        });
        epWrites.deleted(ep);
      }
      return;
    }
    if (!svc.spec.selector || Object.keys(svc.spec.selector).length === 0 || svc.spec.type === 'ExternalName') return;
    const want = desiredEndpoints(svc, podIndex.selectedBy(namespace ?? '', svc.spec.selector));
    const cached = endpoints.get(namespace, name);
    const have = cached ? epWrites.view(cached) : epWrites.pending(key);
    if (!have) epWrites.wrote(await ctx.client.create(KINDS.Endpoints, want));
    else if (!endpointsEqual(have, want)) {
      want.metadata = { ...have.metadata, labels: want.metadata.labels };
      epWrites.wrote(await ctx.client.update(KINDS.Endpoints, want));
    }
  };
  const del = async (s: EndpointSlice) => {
    try {
      await ctx.client.delete(KINDS.EndpointSlice, s.metadata.namespace, s.metadata.name ?? '');
    } catch (err) {
      if (!isApiError(err, 'NotFound')) throw err;
    }
    sliceWrites.deleted(s);
  };

  const runner = runController({
    name: 'endpointslice',
    sync,
    workers: opts.workers ?? DEFAULT_ENDPOINTSLICE_WORKERS,
    logger: ctx.log,
    clock: ctx.clock,
    ready: () => services.hasSynced() && pods.hasSynced() && slices.hasSynced(),
  });
  const epRunner = endpoints
    ? runController({
        name: 'endpoints',
        sync: syncEndpoints,
        workers: 2,
        logger: ctx.log,
        clock: ctx.clock,
        ready: () => services.hasSynced() && pods.hasSynced() && endpoints.hasSynced(),
      })
    : undefined;
  const enqueue = (key: string) => {
    runner.queue.add(key);
    // Legacy Endpoints are batched: changes within the period become one write.
    epRunner?.queue.addAfter(key, opts.endpointsBatchMs ?? 500);
  };
  // Services by one pair of their selector: a pod event looks up only services that could match.
  const svcBySelectorPair = new Map<string, Map<string, Service>>();
  const pairOf = (ns: string, k: string, v: string) => `${ns}\0${k}=${v}`;
  const enqueueForPodIndexed = (p: Pod) => {
    const ns = p.metadata.namespace ?? '';
    for (const [k, v] of Object.entries(p.metadata.labels ?? {})) {
      for (const s of svcBySelectorPair.get(pairOf(ns, k, v))?.values() ?? []) {
        const sel = Object.entries(s.spec.selector ?? {});
        if (sel.every(([sk, sv]) => p.metadata.labels?.[sk] === sv)) enqueue(keyOf(s));
      }
    }
  };
  const indexedBy = new Map<string, string>();
  const trackSvc = (s: Service, gone = false) => {
    const key = keyOf(s);
    const old = indexedBy.get(key);
    if (old) svcBySelectorPair.get(old)?.delete(key);
    indexedBy.delete(key);
    const first = Object.entries(s.spec.selector ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))[0];
    if (gone || !first) return;
    const pair = pairOf(s.metadata.namespace ?? '', first[0], first[1]);
    let m = svcBySelectorPair.get(pair);
    if (!m) svcBySelectorPair.set(pair, (m = new Map()));
    m.set(key, s);
    indexedBy.set(key, pair);
  };
  services.addHandlers({
    onAdd: (s) => {
      trackSvc(s);
      enqueue(keyOf(s));
    },
    onUpdate: (_o, s) => {
      trackSvc(s);
      enqueue(keyOf(s));
    },
    onDelete: (s) => {
      trackSvc(s, true);
      enqueue(keyOf(s));
    },
  });
  pods.addHandlers({
    onAdd: (p) => {
      podIndex.upsert(p);
      enqueueForPodIndexed(p);
    },
    onUpdate: (o, p) => {
      podIndex.upsert(p);
      if (sameForEndpoints(o, p)) return;
      if (!sameLabels(o.metadata.labels, p.metadata.labels)) enqueueForPodIndexed(o);
      enqueueForPodIndexed(p);
    },
    onDelete: (p) => {
      podIndex.remove(p);
      enqueueForPodIndexed(p);
    },
  });
  const trackSlice = (s: EndpointSlice, gone: boolean) => {
    const k = sliceService(s);
    if (!k) return;
    let m = slicesByService.get(k);
    if (!m) slicesByService.set(k, (m = new Map()));
    if (gone) m.delete(s.metadata.name ?? '');
    else m.set(s.metadata.name ?? '', s);
    const ours = sliceWrites.isOwn(s, gone);
    sliceWrites.observed(s, gone);
    // Someone else changed (or deleted) a slice we manage: put it right.
    if (!ours && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY) runner.queue.add(k);
  };
  slices.addHandlers({
    onAdd: (s) => trackSlice(s, false),
    onUpdate: (o, s) => {
      const ok = sliceService(o);
      if (ok && ok !== sliceService(s)) slicesByService.get(ok)?.delete(o.metadata.name ?? '');
      trackSlice(s, false);
    },
    onDelete: (s) => trackSlice(s, true),
  });
  endpoints?.addHandlers({
    onAdd: (e) => epWrites.observed(e),
    onUpdate: (_o, e) => epWrites.observed(e),
    onDelete: (e) => {
      const ours = epWrites.isOwn(e, true);
      epWrites.observed(e, true);
      if (!ours) epRunner?.queue.add(keyOf(e));
    },
  });
  return {
    name: runner.name,
    idle: async () => {
      await runner.idle();
      await epRunner?.idle();
    },
    stop: async () => {
      await runner.stop();
      await epRunner?.stop();
    },
  };
}
