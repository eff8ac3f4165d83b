import type { EndpointSliceLike, ServiceLike } from './k8s-types.js';

/** Builders for Services and EndpointSlices used by the core's table-driven tests. */
export function svc(ns: string, name: string, spec: NonNullable<ServiceLike['spec']>, lbIPs: string[] = []): ServiceLike {
  return {
    metadata: { namespace: ns, name },
    spec: { type: 'ClusterIP', ...spec },
    ...(lbIPs.length ? { status: { loadBalancer: { ingress: lbIPs.map((ip) => ({ ip })) } } } : {}),
  };
}

export interface EpSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function slice(ns: string, service: string, name: string, ports: { name?: string; port: number; protocol?: string }[], eps: EpSpec[]): EndpointSliceLike {
  return {
    metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      nodeName: e.node ?? 'node-a',
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
    })),
  };
}
