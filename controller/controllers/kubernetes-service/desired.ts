/**
 * The `default/kubernetes` Service and its endpoints: the first service address, port 443
 * (`https`) forwarding to the API server's advertised address and port, so pods reach the API
 * through the service proxy. The Service has no selector, so the EndpointSlice controller leaves
 * the slice (and Endpoints) this reconciler writes alone.
 */
import type { EndpointSlice, Endpoints, Service } from '../../api/index.js';

export interface ApiEndpoint {
  address: string;
  port: number;
}

export function kubernetesService(clusterIP: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }], sessionAffinity: 'None' },
  };
}

export function kubernetesEndpointSlice(ep: ApiEndpoint): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: ep.address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [ep.address], conditions: { ready: true } }],
    ports: [{ name: 'https', port: ep.port, protocol: 'TCP' }],
  };
}

export function kubernetesEndpoints(ep: ApiEndpoint): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: ep.address }], ports: [{ name: 'https', port: ep.port, protocol: 'TCP' }] }],
  };
}

/** Splits `HOST:PORT` / `[v6]:PORT`. */
export function parseAdvertised(hostPort: string): ApiEndpoint {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(hostPort) ?? /^([^:]+):(\d+)$/.exec(hostPort);
  if (!m) throw new Error(`controllers: advertised address ${JSON.stringify(hostPort)} is not HOST:PORT`);
  return { address: m[1]!, port: Number(m[2]) };
}
