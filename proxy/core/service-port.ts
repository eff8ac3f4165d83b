import { isIPv4 } from './ipv4.js';
import type { ServiceLike } from './k8s-types.js';

/** Protocols the proxy programs, lower-cased as iptables spells them. */
export type Protocol = 'tcp' | 'udp' | 'sctp';

/**
 * `namespace/name:port` (`namespace/name` when the port is unnamed), as kube-proxy prints a
 * ServicePortName: the key that ties a Service port to its EndpointSlice port, its chains and its
 * rule comments.
 */
export type ServicePortName = string;

export const servicePortName = (namespace: string, name: string, port: string): ServicePortName =>
  `${namespace}/${name}${port ? `:${port}` : ''}`;

/** Default ClientIP affinity timeout (3 hours), as in Kubernetes. */
export const DEFAULT_AFFINITY_SECONDS = 10_800;

/** Everything the rule builder needs about one port of one Service (IPv4 only). */
export interface ServicePortInfo {
  name: ServicePortName;
  /** `namespace/name` of the Service: the unit of partial sync. */
  service: string;
  portName: string;
  protocol: Protocol;
  clusterIPs: string[];
  port: number;
  /** 0 when the Service has no NodePort. */
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  /** 0 unless externalTrafficPolicy is Local on a NodePort/LoadBalancer Service. */
  healthCheckNodePort: number;
  /** 0 when sessionAffinity is not ClientIP. */
  affinitySeconds: number;
}

const PROTOCOLS: Record<string, Protocol> = { TCP: 'tcp', UDP: 'udp', SCTP: 'sctp' };

export const serviceKey = (namespace: string | undefined, name: string | undefined): string => `${namespace ?? ''}/${name ?? ''}`;

/**
 * Converts a Service into its ports. Headless and ExternalName Services, and Services without an
 * IPv4 cluster IP, yield none: the proxy has nothing to program for them.
 */
export function servicePortsFromService(svc: ServiceLike): Map<ServicePortName, ServicePortInfo> {
  const out = new Map<ServicePortName, ServicePortInfo>();
  const spec = svc.spec;
  if (!spec || spec.type === 'ExternalName') return out;
  const ns = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name ?? '';
  const clusterIPs = (spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : [spec.clusterIP ?? '']).filter(isIPv4);
  if (clusterIPs.length === 0) return out;
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const externalIPs = (spec.externalIPs ?? []).filter(isIPv4);
  const loadBalancerIPs = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(isIPv4);
  const externalPolicyLocal = spec.externalTrafficPolicy === 'Local' && (external || externalIPs.length > 0 || loadBalancerIPs.length > 0);
  const affinitySeconds =
    spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : 0;
  for (const p of spec.ports ?? []) {
    const protocol = PROTOCOLS[p.protocol ?? 'TCP'];
    if (!protocol) continue;
    const spn = servicePortName(ns, name, p.name ?? '');
    out.set(spn, {
      name: spn,
      service: `${ns}/${name}`,
      portName: p.name ?? '',
      protocol,
      clusterIPs,
      port: p.port,
      nodePort: external ? (p.nodePort ?? 0) : 0,
      externalIPs,
      loadBalancerIPs,
      externalPolicyLocal,
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      healthCheckNodePort: externalPolicyLocal && external ? (spec.healthCheckNodePort ?? 0) : 0,
      affinitySeconds,
    });
  }
  return out;
}

/** True when the port can be reached from outside the cluster (NodePort, external IP, LB IP). */
export const externallyAccessible = (s: ServicePortInfo): boolean =>
  s.nodePort > 0 || s.externalIPs.length > 0 || s.loadBalancerIPs.length > 0;
