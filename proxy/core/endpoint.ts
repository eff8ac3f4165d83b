import { isIPv4, parseIPv4 } from './ipv4.js';
import { SERVICE_NAME_LABEL, type EndpointSliceLike } from './k8s-types.js';
import { servicePortName, type Protocol, type ServicePortName } from './service-port.js';

/** One backend of one service port, with the EndpointSlice conditions that decide its use. */
export interface EndpointInfo {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName: string;
  zone: string;
}

export const endpointString = (e: { ip: string; port: number }): string => `${e.ip}:${e.port}`;

/**
 * Merges the IPv4 EndpointSlices of one Service into endpoints per service port. An address that
 * appears in several slices is kept once, preferring a ready copy. Sorted by address for stable
 * rule output.
 */
export function endpointsFromSlices(slices: Iterable<EndpointSliceLike>): Map<ServicePortName, EndpointInfo[]> {
  const byPort = new Map<ServicePortName, Map<string, EndpointInfo>>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const ns = slice.metadata.namespace ?? 'default';
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    for (const p of slice.ports ?? []) {
      if (p.port === undefined) continue;
      const spn = servicePortName(ns, svc, p.name ?? '') + '\0' + (p.protocol ?? 'TCP').toLowerCase();
      let eps = byPort.get(spn);
      if (!eps) byPort.set(spn, (eps = new Map()));
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses[0];
        if (!ip || !isIPv4(ip)) continue;
        const ready = ep.conditions?.ready ?? true;
        const info: EndpointInfo = {
          ip,
          port: p.port,
          ready,
          serving: ep.conditions?.serving ?? ready,
          terminating: ep.conditions?.terminating ?? false,
          nodeName: ep.nodeName ?? '',
          zone: ep.zone ?? '',
        };
        const key = endpointString(info);
        const prev = eps.get(key);
        if (!prev || (!prev.ready && info.ready)) eps.set(key, info);
      }
    }
  }
  const out = new Map<ServicePortName, EndpointInfo[]>();
  for (const [key, eps] of byPort) {
    out.set(key, [...eps.values()].sort(compareEndpoints));
  }
  return out;
}

/** Key used in endpoint maps: the service port name plus the protocol, NUL-separated. */
export const endpointsKey = (spn: ServicePortName, protocol: Protocol): string => `${spn}\0${protocol}`;

function compareEndpoints(a: EndpointInfo, b: EndpointInfo): number {
  return (parseIPv4(a.ip) ?? 0) - (parseIPv4(b.ip) ?? 0) || a.port - b.port;
}

/**
 * Which endpoints traffic may use: the ready ones; when none is ready, the serving-but-terminating
 * ones (so connections keep flowing while a rollout drains the last pods).
 */
export function usableEndpoints(eps: readonly EndpointInfo[]): EndpointInfo[] {
  const ready = eps.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return eps.filter((e) => e.serving && e.terminating);
}

/** Endpoints for cluster-wide policy and for node-local policy on `nodeName`. */
export function categorizeEndpoints(eps: readonly EndpointInfo[], nodeName: string): { cluster: EndpointInfo[]; local: EndpointInfo[] } {
  return { cluster: usableEndpoints(eps), local: usableEndpoints(eps.filter((e) => e.nodeName === nodeName)) };
}
