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
  type AddressType,
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

/** An endpoint with its key (`endpointKey`), computed once per reconcile. */
interface Keyed {
  key: string;
  ep: Endpoint;
}
const byKey = (a: Keyed, b: Keyed) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const keyedOf = (eps: readonly Endpoint[]): Keyed[] => eps.map((ep) => ({ key: endpointKey(ep), ep }));
const isSorted = (eps: readonly Keyed[]): boolean => {
  for (let i = 1; i < eps.length; i++) if (eps[i - 1]!.key > eps[i]!.key) return false;
  return true;
};

/** What every slice of one reconcile shares. */
interface SliceContext {
  svc: Service;
  type: EndpointSlice['addressType'];
  labels: Record<string, string>;
  owner: OwnerReference;
}

/** The slice to write: `base`'s metadata (or a new generated name), endpoints sorted by key (`eps` is sorted in place). */
function buildSlice(c: SliceContext, base: EndpointSlice | undefined, ports: EndpointPort[], eps: Keyed[]): EndpointSlice {
  eps.sort(byKey);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: base
      ? { ...base.metadata, labels: c.labels, ownerReferences: [c.owner] }
      : { generateName: `${(c.svc.metadata.name ?? '').slice(0, 57)}-`, namespace: c.svc.metadata.namespace, labels: c.labels, ownerReferences: [c.owner] },
    addressType: c.type,
    endpoints: eps.map((e) => e.ep),
    ports,
  };
}

/**
 * Whether writing `want` over `have` would change nothing; `haveKeyed` is `have.endpoints` with
 * their keys when the caller has them. Endpoint order does not count (a slice written by someone
 * else may be unsorted).
 */
function sameSlice(have: EndpointSlice, want: EndpointSlice, haveKeyed?: readonly Keyed[]): boolean {
  if (have.addressType !== want.addressType || have.endpoints.length !== want.endpoints.length) return false;
  if (!jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {})) return false;
  if (!jsonEqual(have.metadata.ownerReferences ?? [], want.metadata.ownerReferences ?? [])) return false;
  if (!jsonEqual(have.ports ?? [], want.ports ?? [])) return false;
  const keyed = haveKeyed ?? keyedOf(have.endpoints);
  if (isSorted(keyed)) return jsonEqual(have.endpoints, want.endpoints);
  return jsonEqual([...keyed].sort(byKey).map((e) => e.ep), want.endpoints);
}

/** Whether some port of the service targets a container port by name (resolved per pod). */
function hasNamedTargetPort(svc: Service): boolean {
  return (svc.spec.ports ?? []).some((sp) => typeof sp.targetPort === 'string' && !/^\d+$/.test(sp.targetPort));
}

const keyedPorts = (ports: EndpointPort[]): { ports: EndpointPort[]; key: string } => ({ ports, key: portsKey(ports) });

/** What one pod contributes to one service's slices (undefined: it backs none of them). */
interface PodEntry {
  svc: Service;
  entry: { key: string; ep: Endpoint; ports?: { ports: EndpointPort[]; key: string } } | undefined;
}

/**
 * The last entry worked out per pod object, for the service object it was worked out for. The
 * informers replace an object on every change and never modify one, so an entry stays right
 * while both objects are the ones it was made from: a sync after one pod changed recomputes
 * that pod's entry only. Endpoints handed out are shared between syncs and never modified.
 */
const podEntries = new WeakMap<Pod, PodEntry>();

function podEntry(svc: Service, pod: Pod, type: AddressType, perPod: boolean): PodEntry['entry'] {
  const known = podEntries.get(pod);
  if (known?.svc === svc) return known.entry;
  let entry: PodEntry['entry'];
  if (pod.metadata.namespace === svc.metadata.namespace && podBacksService(pod, type)) {
    const ep = endpointFor(svc, pod, type);
    if (ep) entry = { key: endpointKey(ep), ep, ...(perPod ? { ports: keyedPorts(resolvePorts(svc, pod)) } : {}) };
  }
  podEntries.set(pod, { svc, entry });
  return entry;
}

/** The endpoints each distinct port mapping gets (pods resolving named ports differently split). */
export function desiredEndpointGroups(svc: Service, pods: readonly Pod[]): Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }> {
  const type = addressTypeOf(svc);
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
  // Without named target ports every pod resolves the same ports: resolve and key them once.
  let shared: { ports: EndpointPort[]; key: string } | undefined;
  const perPod = hasNamedTargetPort(svc);
  const wantsPorts = (svc.spec.ports?.length ?? 0) > 0;
  for (const pod of pods) {
    const e = podEntry(svc, pod, type, perPod);
    if (!e) continue;
    const resolved = e.ports ?? (shared ??= keyedPorts(resolvePorts(svc, pod)));
    const { ports, key } = resolved;
    if (wantsPorts && ports.length === 0) continue;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    g.endpoints.set(e.key, e.ep);
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
  const c: SliceContext = { svc, type, labels: sliceLabels(svc), owner: serviceOwnerRef(svc) };
  const actions: SliceActions = { create: [], update: [], delete: [] };
  const mine = existing.filter((s) => isManagedSliceOf(s, svc));
  const groups = desiredEndpointGroups(svc, pods);

  if (groups.size === 0) {
    // One placeholder: an empty slice tells consumers the service has no endpoints.
    const keep = mine.find((s) => s.endpoints.length === 0 && s.addressType === type) ?? mine[0];
    for (const s of mine) if (s !== keep) actions.delete.push(s);
    const want = buildSlice(c, keep, [], []);
    if (!keep) actions.create.push(want);
    else if (!sameSlice(keep, want)) actions.update.push(want);
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
      const baseKeyed = keyedOf(s.endpoints);
      const kept: Keyed[] = [];
      for (const { key } of baseKeyed) {
        const want = remaining.get(key);
        if (want && kept.length < max) {
          kept.push({ key, ep: want });
          remaining.delete(key);
        }
      }
      const want = buildSlice(c, s, g.ports, [...kept]);
      // The first verdict, before fresh endpoints are added.
      return { base: s, endpoints: kept, want, unchanged: sameSlice(s, want, baseKeyed), size: kept.length };
    });
    const fresh: Keyed[] = [];
    for (const [key, ep] of remaining) fresh.push({ key, ep });
    // Fill slices that were going to be written anyway, then any with room, then new ones.
    const order = [...plans].sort((a, b) => Number(a.unchanged) - Number(b.unchanged));
    for (const p of order) while (fresh.length > 0 && p.endpoints.length < max) p.endpoints.push(fresh.shift()!);
    for (const p of plans) {
      if (p.endpoints.length === 0) {
        actions.delete.push(p.base);
        continue;
      }
      // nothing was added to it: the first verdict (and slice) stands
      if (p.size === p.endpoints.length) {
        if (!p.unchanged) actions.update.push(p.want);
        continue;
      }
      const want = buildSlice(c, p.base, g.ports, p.endpoints);
      if (!sameSlice(p.base, want)) actions.update.push(want);
    }
    while (fresh.length > 0) actions.create.push(buildSlice(c, undefined, g.ports, fresh.splice(0, max)));
  }
  return actions;
}
