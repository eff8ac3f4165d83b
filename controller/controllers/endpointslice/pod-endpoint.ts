/**
 * How one Pod backs one Service: whether it counts, its address, conditions, hostname and the
 * ports its containers resolve the service's target ports to. Shared by the EndpointSlice and
 * the legacy Endpoints builders so both agree on every pod.
 */
import type { Endpoint, EndpointPort, Pod, Service } from '../../api/index.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export type AddressType = 'IPv4' | 'IPv6';

export function addressTypeOf(svc: Service): AddressType {
  const fam = svc.spec.ipFamilies?.[0];
  if (fam === 'IPv6') return 'IPv6';
  if (!fam && svc.spec.clusterIP?.includes(':')) return 'IPv6';
  return 'IPv4';
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The pod's address of the given family, from status.podIPs (or podIP). */
export function podAddress(pod: Pod, type: AddressType): string | undefined {
  const ips = pod.status?.podIPs?.map((x) => x.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  return ips.find((ip) => (type === 'IPv6' ? ip.includes(':') : !ip.includes(':')));
}

/** Pods in a terminal phase or without an address of the family do not back a service. */
export function podBacksService(pod: Pod, type: AddressType): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  return podAddress(pod, type) !== undefined;
}

/**
 * The endpoint ports of the pod for the service: numeric target ports as is, named ones looked
 * up among the container ports (same protocol). Undefined when a named port is not found, as
 * Kubernetes then leaves the pod out for that port.
 */
export function resolvePorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec.ports ?? []) {
    const protocol = sp.protocol ?? 'TCP';
    const target = sp.targetPort ?? sp.port;
    let port: number | undefined;
    if (typeof target === 'number') port = target;
    else if (/^\d+$/.test(target)) port = Number(target);
    else {
      for (const c of pod.spec.containers) {
        const cp = c.ports?.find((p) => p.name === target && (p.protocol ?? 'TCP') === protocol);
        if (cp) {
          port = cp.containerPort;
          break;
        }
      }
    }
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol };
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** The slice entry for the pod, or undefined when the pod does not back the service. */
export function endpointFor(svc: Service, pod: Pod, type: AddressType): Endpoint | undefined {
  const address = podAddress(pod, type);
  if (!address) return undefined;
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  const serving = svc.spec.publishNotReadyAddresses === true || isPodReady(pod);
  const ready = svc.spec.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: [address],
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  if (pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  if (pod.spec.hostname && pod.spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace) {
    ep.hostname = pod.spec.hostname;
  }
  return ep;
}

export const portsKey = (ports: readonly EndpointPort[]): string =>
  JSON.stringify([...ports].map((p) => [p.name ?? '', p.protocol ?? 'TCP', p.port ?? 0, p.appProtocol ?? '']).sort());

export const endpointKey = (ep: Endpoint): string => `${ep.targetRef?.namespace ?? ''}/${ep.targetRef?.name ?? ep.addresses[0] ?? ''}`;
