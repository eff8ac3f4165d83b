/** A small cluster used by the kubernetes and external plugin tests. */
import type { EndpointSliceLike, ServiceLike } from './objects.js';
import { RecordIndex } from './record-index.js';

const svc = (ns: string, name: string, spec: ServiceLike['spec'], status?: ServiceLike['status']): ServiceLike => ({ metadata: { namespace: ns, name }, spec, ...(status ? { status } : {}) });
const slice = (ns: string, svcName: string, name: string, addressType: string, endpoints: EndpointSliceLike['endpoints'], ports: EndpointSliceLike['ports']): EndpointSliceLike => ({
  metadata: { namespace: ns, name, labels: { 'kubernetes.io/service-name': svcName } }, addressType, endpoints, ports,
});

export const fixtureServices: ServiceLike[] = [
  svc('default', 'kubernetes', { type: 'ClusterIP', clusterIP: '10.96.0.1', ports: [{ name: 'https', protocol: 'TCP', port: 443 }] }),
  svc('ns1', 'web', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { port: 8080 }] }),
  svc('ns1', 'dual', { type: 'ClusterIP', clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11', 'fd00:10:96::11'], ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] }),
  svc('ns1', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] }),
  svc('ns1', 'pnr', { clusterIP: 'None', publishNotReadyAddresses: true }),
  svc('ns1', 'empty', { clusterIP: 'None' }),
  svc('ns1', 'ext', { type: 'ExternalName', externalName: 'example.com' }),
  svc('ns2', 'v6', { clusterIP: 'None' }),
  svc('ns2', 'lb', { type: 'LoadBalancer', clusterIP: '10.96.0.20', externalIPs: ['192.0.2.7'], ports: [{ name: 'http', port: 80 }] }, { loadBalancer: { ingress: [{ ip: '198.51.100.9' }] } }),
];

export const fixtureSlices: EndpointSliceLike[] = [
  slice('ns1', 'db', 'db-abc', 'IPv4', [
    { addresses: ['10.244.1.5'], conditions: { ready: true }, hostname: 'db-0' },
    { addresses: ['10.244.2.6'], conditions: { ready: true } },
    { addresses: ['10.244.3.7'], conditions: { ready: false }, hostname: 'db-2' },
  ], [{ name: 'pg', protocol: 'TCP', port: 5432 }]),
  slice('ns1', 'pnr', 'pnr-1', 'IPv4', [{ addresses: ['10.244.1.9'], conditions: { ready: false } }], []),
  slice('ns1', 'empty', 'empty-1', 'IPv4', [{ addresses: ['10.244.1.10'], conditions: { ready: false } }], []),
  slice('ns2', 'v6', 'v6-1', 'IPv6', [{ addresses: ['fd00:244::5'], conditions: { ready: true } }], null),
];

/** A record index of zone cluster.local (TTL 5) holding the fixture Services and their slices. */
export function fixtureIndex(): RecordIndex {
  const index = new RecordIndex({ zone: 'cluster.local', ttl: 5 });
  for (const s of fixtureServices) index.upsertService(s);
  for (const s of fixtureSlices) index.upsertSlice(s);
  return index;
}
