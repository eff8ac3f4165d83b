/**
 * Feeds the record index from list/watch informers (controller/api's `createInformer`): Services,
 * EndpointSlices and, for `pods verified`, Pods. The index is synced once every informer delivered
 * its first complete list; until then the kubernetes plugin answers SERVFAIL for misses.
 */
import type { RecordIndex } from './record-index.js';
import type { EndpointSliceLike, PodLike, ServiceLike } from './objects.js';

/** The part of controller/api's Informer contract this module uses. */
export interface InformerLike<T> {
  addHandlers(h: { onAdd?(obj: T): void; onUpdate?(oldObj: T, newObj: T): void; onDelete?(obj: T): void; onSynced?(): void }): void;
  start(): void;
  stop(): void;
  hasSynced(): boolean;
}

export interface IndexSources {
  services: InformerLike<ServiceLike>;
  slices: InformerLike<EndpointSliceLike>;
  pods?: InformerLike<PodLike>;
}

/** Wires informers to the index and starts them; returns whether all synced, and a stop. */
export function feedIndex(index: RecordIndex, src: IndexSources): { synced: () => boolean; stop: () => void } {
  src.services.addHandlers({
    onAdd: (s) => index.upsertService(s),
    onUpdate: (_o, s) => index.upsertService(s),
    onDelete: (s) => index.deleteService(s),
  });
  src.slices.addHandlers({
    onAdd: (s) => index.upsertSlice(s),
    onUpdate: (_o, s) => index.upsertSlice(s),
    onDelete: (s) => index.deleteSlice(s),
  });
  src.pods?.addHandlers({
    onAdd: (p) => index.upsertPod(p),
    onUpdate: (_o, p) => index.upsertPod(p),
    onDelete: (p) => index.deletePod(p),
  });
  const all = [src.services, src.slices, ...(src.pods ? [src.pods] : [])];
  for (const i of all) i.start();
  let done = false;
  return {
    synced: () => done || (done = all.every((i) => i.hasSynced())),
    stop: () => all.forEach((i) => i.stop()),
  };
}

/** What this module needs from controller/api (its client and informer factory). */
interface ApiModule {
  ApiClient?: { fromKubeconfig(path?: string): Promise<unknown> | unknown };
  createInformer?: (client: unknown, kind: unknown) => InformerLike<never>;
  KINDS: Record<string, unknown>;
}

/**
 * Connects to the API server in `kubeconfig` and feeds the index. Fails with a clear message while
 * controller/api does not yet provide the client (it is being built in parallel).
 */
export async function watchCluster(index: RecordIndex, kubeconfig: string | undefined, withPods: boolean) {
  const api = (await import('../../../controller/api/index.js')) as unknown as ApiModule;
  if (!api.ApiClient || !api.createInformer) throw new Error('kubernetes: controller/api has no ApiClient/createInformer yet; cannot watch the cluster');
  const client = await api.ApiClient.fromKubeconfig(kubeconfig);
  const make = <T>(kind: string) => api.createInformer!(client, api.KINDS[kind]) as unknown as InformerLike<T>;
  return feedIndex(index, {
    services: make<ServiceLike>('Service'),
    slices: make<EndpointSliceLike>('EndpointSlice'),
    ...(withPods ? { pods: make<PodLike>('Pod') } : {}),
  });
}
