import type { EndpointInfo } from './endpoint.js';
import { EndpointSliceChangeTracker } from './endpoint-change-tracker.js';
import type { EndpointSliceLike, ServiceLike } from './k8s-types.js';
import type { RuleBuilderConfig } from './rule-builder.js';
import { ServiceChangeTracker } from './service-change-tracker.js';
import type { ServicePortInfo } from './service-port.js';
import { slice, svc } from './test-fixtures.js';

/**
 * One node's worth of Services covering every data-plane case of the proxy, shared by the golden
 * payload test, the packet-trace tables and the kernel tests. node-a owns 10.244.1.0/24, node-b
 * 10.244.2.0/24; node-a's address is 192.168.50.2.
 */
export const NODE_IP = '192.168.50.2';
export const CONFIG: RuleBuilderConfig = { nodeName: 'node-a', clusterCIDRs: ['10.244.0.0/16'], nodePortCIDRs: [] };

export const SERVICES: ServiceLike[] = [
  svc('ns1', 'web', { clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
  svc('ns1', 'dns', { clusterIP: '10.96.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
  svc('ns1', 'sctp', { clusterIP: '10.96.0.60', ports: [{ port: 9999, protocol: 'SCTP' }] }),
  svc('ns1', 'np-cluster', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 80, nodePort: 30080 }] }),
  svc('ns1', 'np-local', { type: 'NodePort', clusterIP: '10.96.0.21', externalTrafficPolicy: 'Local', healthCheckNodePort: 32081, ports: [{ port: 80, nodePort: 30081 }] }),
  svc('ns1', 'np-local-none', { type: 'NodePort', clusterIP: '10.96.0.22', externalTrafficPolicy: 'Local', healthCheckNodePort: 32082, ports: [{ port: 80, nodePort: 30082 }] }),
  svc('ns1', 'itp-local', { clusterIP: '10.96.0.23', internalTrafficPolicy: 'Local', ports: [{ port: 80 }] }),
  svc('ns1', 'ext', { type: 'LoadBalancer', clusterIP: '10.96.0.24', externalIPs: ['192.0.2.24'], ports: [{ port: 80, nodePort: 30084 }] }, ['198.51.100.24']),
  svc('ns1', 'affinity', { clusterIP: '10.96.0.25', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, ports: [{ port: 80 }] }),
  svc('ns1', 'empty', { type: 'NodePort', clusterIP: '10.96.0.26', ports: [{ port: 80, nodePort: 30086 }] }),
  svc('ns1', 'draining', { clusterIP: '10.96.0.27', ports: [{ port: 80 }] }),
  svc('ns1', 'mixed', { clusterIP: '10.96.0.28', ports: [{ port: 80 }] }),
  svc('ns1', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
];

export const SLICES: EndpointSliceLike[] = [
  slice('ns1', 'web', 'web-a', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2' }, { ip: '10.244.1.3' }, { ip: '10.244.2.2', node: 'node-b' }]),
  slice('ns1', 'dns', 'dns-a', [{ name: 'dns', port: 5353, protocol: 'UDP' }], [{ ip: '10.244.1.53' }]),
  slice('ns1', 'sctp', 'sctp-a', [{ port: 9999, protocol: 'SCTP' }], [{ ip: '10.244.2.60', node: 'node-b' }]),
  slice('ns1', 'np-cluster', 'npc-a', [{ port: 8080 }], [{ ip: '10.244.1.4' }, { ip: '10.244.2.4', node: 'node-b' }]),
  slice('ns1', 'np-local', 'npl-a', [{ port: 8080 }], [{ ip: '10.244.1.5' }, { ip: '10.244.2.5', node: 'node-b' }]),
  slice('ns1', 'np-local-none', 'npn-a', [{ port: 8080 }], [{ ip: '10.244.2.6', node: 'node-b' }]),
  slice('ns1', 'itp-local', 'itp-a', [{ port: 8080 }], [{ ip: '10.244.2.23', node: 'node-b' }]),
  slice('ns1', 'ext', 'ext-a', [{ port: 8080 }], [{ ip: '10.244.1.6' }]),
  slice('ns1', 'affinity', 'aff-a', [{ port: 8080 }], [{ ip: '10.244.1.7' }, { ip: '10.244.1.8' }]),
  slice('ns1', 'empty', 'empty-a', [{ port: 8080 }], []),
  slice('ns1', 'draining', 'dr-a', [{ port: 8080 }], [
    { ip: '10.244.1.9', ready: false, serving: true, terminating: true },
    { ip: '10.244.1.10', ready: false, serving: false, terminating: true },
  ]),
  slice('ns1', 'mixed', 'mx-a', [{ port: 8080 }], [{ ip: '10.244.1.11' }, { ip: '10.244.1.12', ready: false, serving: true, terminating: true }]),
];

/** Runs the scenario through the change trackers into the maps the builder reads. */
export function scenarioState(services = SERVICES, slices = SLICES) {
  const st = new ServiceChangeTracker();
  const et = new EndpointSliceChangeTracker();
  for (const s of services) st.update(undefined, s);
  for (const s of slices) et.update(s, false);
  const serviceMap = new Map<string, ServicePortInfo>();
  const endpointMap = new Map<string, EndpointInfo[]>();
  const changed = st.apply(serviceMap).changed;
  for (const c of et.apply(endpointMap).changed) changed.add(c);
  return { st, et, services: serviceMap, endpoints: endpointMap, changed };
}
