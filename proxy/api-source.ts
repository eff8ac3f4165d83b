import { ApiClient, KINDS, createInformer, type EndpointSlice, type Informer, type Node, type Service } from '../controller/api/index.js';
import { ProxyError } from './errors.js';

/** Informers the proxy needs: every Service, every EndpointSlice, and its own Node. */
export interface ProxySources {
  services: Informer<Service>;
  slices: Informer<EndpointSlice>;
  nodes: Informer<Node>;
}

/**
 * Builds the list/watch informers through `controller/api`, so the proxy works against Sextant's
 * server and a real kube-apiserver alike. Informer failures are logged through `onError`; the
 * informers keep retrying on their own.
 */
export function openSources(kubeconfig: string | undefined, nodeName: string, onError: (kind: string, err: Error) => void): ProxySources {
  let client: ApiClient;
  try {
    client = ApiClient.fromKubeconfig(kubeconfig);
  } catch (err) {
    throw new ProxyError('PROXY_API_UNAVAILABLE', `cannot load kubeconfig: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return {
    services: createInformer(client, KINDS.Service, { onError: (e) => onError('Service', e) }),
    slices: createInformer(client, KINDS.EndpointSlice, { onError: (e) => onError('EndpointSlice', e) }),
    nodes: createInformer(client, KINDS.Node, { fieldSelector: `metadata.name=${nodeName}`, onError: (e) => onError('Node', e) }),
  };
}
