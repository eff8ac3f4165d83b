import type { EndpointSliceLike, NodeLike, ServiceLike } from './core/index.js';
import { ProxyError } from './errors.js';

/** The informer shape agreed in the cross-team contract (controller/api `createInformer`). */
export interface InformerLike<T> {
  addHandlers(h: { onAdd?(obj: T): void; onUpdate?(oldObj: T, newObj: T): void; onDelete?(obj: T): void; onSynced?(): void }): void;
  start(): void;
  stop(): void;
  synced(): Promise<void>;
  get(namespace: string | undefined, name: string): T | undefined;
}

/** Informers the proxy needs: every Service, every EndpointSlice, and its own Node. */
export interface ProxySources {
  services: InformerLike<ServiceLike>;
  slices: InformerLike<EndpointSliceLike>;
  nodes: InformerLike<NodeLike>;
}

interface ApiModule {
  ApiClient?: { fromKubeconfig(path?: string): unknown };
  createInformer?: (client: unknown, kind: unknown, opts?: { fieldSelector?: string }) => InformerLike<unknown>;
  KINDS?: Record<string, unknown>;
}

/**
 * Builds the informers through `controller/api` (loaded lazily so the pure proxy code does not depend
 * on the client being present). Fails with PROXY_API_UNAVAILABLE when the client is missing.
 */
export async function openSources(kubeconfig: string | undefined, nodeName: string): Promise<ProxySources> {
  const api = (await import('../controller/api/index.js')) as unknown as ApiModule;
  const kinds = api.KINDS;
  if (!api.ApiClient || !api.createInformer || !kinds?.Service || !kinds.EndpointSlice || !kinds.Node) {
    throw new ProxyError('PROXY_API_UNAVAILABLE', 'controller/api does not provide ApiClient/createInformer/KINDS yet');
  }
  const client = api.ApiClient.fromKubeconfig(kubeconfig);
  return {
    services: api.createInformer(client, kinds.Service) as InformerLike<ServiceLike>,
    slices: api.createInformer(client, kinds.EndpointSlice) as InformerLike<EndpointSliceLike>,
    nodes: api.createInformer(client, kinds.Node, { fieldSelector: `metadata.name=${nodeName}` }) as InformerLike<NodeLike>,
  };
}
