/**
 * The legacy core/v1 Endpoints object of a service (what `kubectl get ep` shows), derived from
 * the same per-pod decisions as the slices. Terminating pods are left out unless the service
 * publishes not-ready addresses; not-ready ones go to `notReadyAddresses`.
 */
import type { Endpoints, Pod, Service } from '../../api/index.js';
import { addressTypeOf, endpointFor, podBacksService, portsKey, resolvePorts } from './pod-endpoint.js';

type Subset = NonNullable<Endpoints['subsets']>[number];
type Address = NonNullable<Subset['addresses']>[number];

export function desiredEndpoints(svc: Service, pods: readonly Pod[]): Endpoints {
  const type = addressTypeOf(svc);
  const subsets = new Map<string, Subset>();
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace || !podBacksService(pod, type)) continue;
    const ep = endpointFor(svc, pod, type);
    if (!ep) continue;
    if (ep.conditions?.terminating && !svc.spec.publishNotReadyAddresses) continue;
    const ports = resolvePorts(svc, pod);
    if ((svc.spec.ports?.length ?? 0) > 0 && ports.length === 0) continue;
    const key = portsKey(ports);
    let s = subsets.get(key);
    if (!s) {
      s = { ports: ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port ?? 0, protocol: p.protocol ?? 'TCP', ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })) };
      if (s.ports!.length === 0) delete s.ports;
      subsets.set(key, s);
    }
    const addr: Address = { ip: ep.addresses[0]! };
    if (ep.hostname) addr.hostname = ep.hostname;
    if (ep.nodeName) addr.nodeName = ep.nodeName;
    if (ep.targetRef) addr.targetRef = ep.targetRef;
    if (ep.conditions?.ready) (s.addresses ??= []).push(addr);
    else (s.notReadyAddresses ??= []).push(addr);
  }
  const byIp = (a: Address, b: Address) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
  const out = [...subsets.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, s]) => ({ ...s, ...(s.addresses ? { addresses: s.addresses.sort(byIp) } : {}), ...(s.notReadyAddresses ? { notReadyAddresses: s.notReadyAddresses.sort(byIp) } : {}) }));
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (svc.spec.clusterIP === 'None') labels['service.kubernetes.io/headless'] = '';
  const ep: Endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: svc.metadata.name, namespace: svc.metadata.namespace, labels },
  };
  if (out.length > 0) ep.subsets = out;
  return ep;
}

/** Whether the stored Endpoints already says what `want` says (labels and subsets). */
export function endpointsEqual(have: Endpoints, want: Endpoints): boolean {
  return (
    JSON.stringify(have.subsets ?? []) === JSON.stringify(want.subsets ?? []) &&
    JSON.stringify(Object.entries(have.metadata.labels ?? {}).sort()) === JSON.stringify(Object.entries(want.metadata.labels ?? {}).sort())
  );
}
