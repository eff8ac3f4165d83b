/**
 * The EndpointSlice controller's pure core: from a Service, the Pods it selects and the slices
 * this controller already manages for it, the minimal list of creates, updates and deletes.
 * Endpoints stay in the slice that holds them, new ones fill slices with room before a new slice
 * is made, a slice whose content is unchanged is never written, and a service without endpoints
 * keeps one empty placeholder slice, as Kubernetes does.
 */
import type { Endpoint, EndpointPort, EndpointSlice, OwnerReference, Pod, Service } from '../../api/index.js';
import { jsonEqual } from '../../api/json-equal.js';
import {
  addressTypeOf,
  endpointFor,
  endpointKey,
  HEADLESS_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  MAX_ENDPOINTS_PER_SLICE,
  podBacksService,
  portsKey,
  resolvePorts,
  SERVICE_NAME_LABEL,
} from './pod-endpoint.js';

export interface SliceActions {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

export interface ReconcileOptions {
  maxEndpointsPerSlice?: number;
}

/** Whether the slice is one this controller manages for the service. */
export function isManagedSliceOf(slice: EndpointSlice, svc: Service): boolean {
  const l = slice.metadata.labels ?? {};
  return l[SERVICE_NAME_LABEL] === svc.metadata.name && l[MANAGED_BY_LABEL] === MANAGED_BY;
}

export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  labels[SERVICE_NAME_LABEL] = svc.metadata.name ?? '';
  labels[MANAGED_BY_LABEL] = MANAGED_BY;
  if (svc.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export function serviceOwnerRef(svc: Service): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name ?? '', uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

const sortEndpoints = (eps: Endpoint[]): Endpoint[] => {
  const keyed = eps.map((ep) => ({ ep, key: endpointKey(ep) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < eps.length; i++) eps[i] = keyed[i]!.ep;
  return eps;
};
const isSorted = (eps: readonly Endpoint[]): boolean => {
  for (let i = 1; i < eps.length; i++) if (endpointKey(eps[i - 1]!) > endpointKey(eps[i]!)) return false;
  return true;
};

/** Whether some port of the service targets a container port by name (resolved per pod). */
function hasNamedTargetPort(svc: Service): boolean {
  return (svc.spec.ports ?? []).some((sp) => typeof sp.targetPort === 'string' && !/^\d+$/.test(sp.targetPort));
}

const keyedPorts = (ports: EndpointPort[]): { ports: EndpointPort[]; key: string } => ({ ports, key: portsKey(ports) });

/** The endpoints each distinct port mapping gets (pods resolving named ports differently split). */
export function desiredEndpointGroups(svc: Service, pods: readonly Pod[]): Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }> {
  const type = addressTypeOf(svc);
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
  // Without named target ports every pod resolves the same ports: resolve and key them once.
  let shared: { ports: EndpointPort[]; key: string } | undefined;
  const perPod = hasNamedTargetPort(svc);
  for (const pod of pods) {
    if (pod.metadata.namespace !== svc.metadata.namespace || !podBacksService(pod, type)) continue;
    const ep = endpointFor(svc, pod, type);
    if (!ep) continue;
    const resolved = perPod || !shared ? keyedPorts(resolvePorts(svc, pod)) : shared;
    if (!perPod) shared = resolved;
    const { ports, key } = resolved;
    if ((svc.spec.ports?.length ?? 0) > 0 && ports.length === 0) continue;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    g.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

/**
 * The actions that make the managed slices of `svc` match `pods`. `existing` may include
 * slices of other services; only this service's managed ones are considered.
 */
export function reconcileSlices(svc: Service, pods: readonly Pod[], existing: readonly EndpointSlice[], opts: ReconcileOptions = {}): SliceActions {
  const max = opts.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const type = addressTypeOf(svc);
  const labels = sliceLabels(svc);
  const owner = serviceOwnerRef(svc);
  const actions: SliceActions = { create: [], update: [], delete: [] };
  const mine = existing.filter((s) => isManagedSliceOf(s, svc));
  const groups = desiredEndpointGroups(svc, pods);

  const build = (base: EndpointSlice | undefined, ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: base
      ? { ...base.metadata, labels, ownerReferences: [owner] }
      : { generateName: `${(svc.metadata.name ?? '').slice(0, 57)}-`, namespace: svc.metadata.namespace, labels, ownerReferences: [owner] },
    addressType: type,
    endpoints: sortEndpoints(endpoints),
    ports,
  });
  const same = (a: EndpointSlice, b: EndpointSlice) =>
    a.addressType === b.addressType &&
    a.endpoints.length === b.endpoints.length &&
    jsonEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {}) &&
    jsonEqual(a.metadata.ownerReferences ?? [], b.metadata.ownerReferences ?? []) &&
    jsonEqual(a.ports ?? [], b.ports ?? []) &&
    jsonEqual(isSorted(a.endpoints) ? a.endpoints : sortEndpoints([...a.endpoints]), b.endpoints);

  if (groups.size === 0) {
    // One placeholder: an empty slice tells consumers the service has no endpoints.
    const keep = mine.find((s) => s.endpoints.length === 0 && s.addressType === type) ?? mine[0];
    for (const s of mine) if (s !== keep) actions.delete.push(s);
    const want = build(keep, [], []);
    if (!keep) actions.create.push(want);
    else if (!same(keep, want)) actions.update.push(want);
    return actions;
  }

  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of mine) {
    if (s.addressType !== type) {
      actions.delete.push(s);
      continue;
    }
    const k = portsKey(s.ports ?? []);
    if (!byPorts.has(k)) byPorts.set(k, []);
    byPorts.get(k)!.push(s);
  }
  for (const [k, slices] of byPorts) {
    if (!groups.has(k)) {
      actions.delete.push(...slices);
      byPorts.delete(k);
    }
  }
  for (const [k, g] of groups) {
    const slices = byPorts.get(k) ?? [];
    const remaining = new Map(g.endpoints);
    const plans = slices.map((s) => {
      const kept: Endpoint[] = [];
      for (const ep of s.endpoints) {
        const key = endpointKey(ep);
        const want = remaining.get(key);
        if (want && kept.length < max) {
          kept.push(want);
          remaining.delete(key);
        }
      }
      return { base: s, endpoints: kept };
    });
    const fresh = [...remaining.values()];
    // Fill slices that were going to be written anyway, then any with room, then new ones.
    const first = new Map(plans.map((p) => {
      const want = build(p.base, g.ports, [...p.endpoints]);
      return [p, { want, unchanged: same(p.base, want), size: p.endpoints.length }];
    }));
    const order = [...plans].sort((a, b) => Number(first.get(a)!.unchanged) - Number(first.get(b)!.unchanged));
    for (const p of order) while (fresh.length > 0 && p.endpoints.length < max) p.endpoints.push(fresh.shift()!);
    for (const p of plans) {
      if (p.endpoints.length === 0) {
        actions.delete.push(p.base);
        continue;
      }
      const f = first.get(p)!;
      // nothing was added to it: the first verdict (and slice) stands
      if (f.size === p.endpoints.length) {
        if (!f.unchanged) actions.update.push(f.want);
        continue;
      }
      const want = build(p.base, g.ports, p.endpoints);
      if (!same(p.base, want)) actions.update.push(want);
    }
    while (fresh.length > 0) actions.create.push(build(undefined, g.ports, fresh.splice(0, max)));
  }
  return actions;
}
