/**
 * Feeds the record index from list/watch informers (controller/api's `createInformer`): Services,
 * EndpointSlices and, for `pods verified`, Pods. The index is synced once every informer delivered
 * its first complete list; until then the kubernetes plugin answers SERVFAIL for misses.
 */
import { z } from 'zod';
import type { KindInfo } from '../../../controller/api/kinds.js';
import type { RecordIndex } from './record-index.js';

/** What the informers feed: the record index, or (in `--workers N`) a fan-out to the workers' indexes. */
export type IndexSink = Pick<RecordIndex, 'upsertService' | 'deleteService' | 'upsertSlice' | 'deleteSlice' | 'upsertPod' | 'deletePod'>;
import { slimPod, slimService, slimSlice, type EndpointSliceLike, type PodLike, type ServiceLike } from './objects.js';

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
export function feedIndex(index: IndexSink, src: IndexSources): { synced: () => boolean; stop: () => void } {
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

/**
 * The three kinds DNS lists and watches, described for controller/api's client and informer. Not
 * taken from `KINDS`: importing it builds the zod schema of every kind the API serves (about 9 MB
 * of heap), which the DNS server never uses — it reads a handful of fields and validates nothing
 * else, so `schema` here accepts anything.
 */
function watchKind<T>(group: string, kind: string, resource: string): KindInfo<T> {
  return {
    group, version: 'v1', apiVersion: group === '' ? 'v1' : `${group}/v1`, kind, resource, singular: kind.toLowerCase(),
    listKind: `${kind}List`, namespaced: true, shortNames: [], categories: [], subresources: [], verbs: ['list', 'watch'],
    schema: z.unknown() as z.ZodType<T>,
  };
}

/** Connects to the API server in `kubeconfig` (default $KUBECONFIG, ~/.kube/config) and feeds the index. */
export async function watchCluster(index: IndexSink, kubeconfig: string | undefined, withPods: boolean) {
  const [{ ApiClient }, { createInformer }] = await Promise.all([import('../../../controller/api/client.js'), import('../../../controller/api/informer.js')]);
  const client = ApiClient.fromKubeconfig(kubeconfig);
  return feedIndex(index, {
    services: createInformer<ServiceLike>(client, watchKind('', 'Service', 'services'), { transform: slimService }),
    slices: createInformer<EndpointSliceLike>(client, watchKind('discovery.k8s.io', 'EndpointSlice', 'endpointslices'), { transform: slimSlice }),
    ...(withPods ? { pods: createInformer<PodLike>(client, watchKind('', 'Pod', 'pods'), { transform: slimPod }) } : {}),
  });
}
