/**
 * The cluster's DNS records, kept precomputed: every Service (with its EndpointSlices) is turned
 * into the full set of names and records it owns whenever it or one of its slices changes, so a
 * query is one map lookup. Pure: fed by add/update/delete calls (from informers or test fixtures),
 * no I/O. Names are stored in lower case without the trailing dot.
 */
import type { ResourceRecord } from '../../message.js';
import { TypeCode } from '../../message.js';
import { canonicalIP, dashedIP, isIPv4, isIPv6, reverseName } from './names.js';
import { SERVICE_NAME_LABEL, objectKey, type EndpointLike, type EndpointSliceLike, type PodLike, type ServiceLike } from './objects.js';

/**
 * The records of one name, by RR type code (parallel arrays: a name has one to three types, and
 * an array scan beats a Map per name in memory, which matters at 10,000 services); SRV answers
 * carry their targets' addresses too.
 */
export interface RRSet {
  types: number[];
  records: ResourceRecord[][];
  additional?: ResourceRecord[];
}

/** The records of `set` of type `code`, if any. */
export function recordsOf(set: RRSet, code: number): ResourceRecord[] | undefined {
  const i = set.types.indexOf(code);
  return i < 0 ? undefined : set.records[i];
}

/** One owner's records for one name (an owner is a Service key, or `#static`). */
interface OwnedSet extends RRSet {
  name: string;
  owner: string;
}

export interface RecordIndexOptions {
  /** The cluster domain, e.g. `cluster.local`. */
  zone: string;
  ttl: number;
  /**
   * CoreDNS's `endpoint_pod_names`: an endpoint without a hostname is named after the Pod it
   * targets (when that name is a valid DNS label) instead of its dashed address.
   */
  endpointPodNames?: boolean;
}

/** The Kubernetes DNS schema version this index implements. */
export const DNS_SCHEMA_VERSION = '1.1.0';

export class RecordIndex {
  readonly zone: string;
  readonly ttl: number;
  readonly endpointPodNames: boolean;
  private services = new Map<string, ServiceLike>();
  private slices = new Map<string, EndpointSliceLike>();
  private slicesByService = new Map<string, Set<string>>();
  private owned = new Map<string, OwnedSet[]>();
  /** Name → its records: one owner's set, or (rarely, e.g. two Services sharing an IP's PTR) several. */
  private names = new Map<string, OwnedSet | OwnedSet[]>();
  private ents = new Map<string, number>();
  private podIPs = new Map<string, string[]>();
  private ipNamespaces = new Map<string, Map<string, number>>();
  private listeners: (() => void)[] = [];
  /** Bumped on every change; a serial for the SOA. */
  generation = 0;
  /** Seconds since the epoch of the last change (the SOA serial, as CoreDNS uses). */
  serial = Math.floor(Date.now() / 1000);

  constructor(opts: RecordIndexOptions) {
    this.zone = opts.zone.toLowerCase().replace(/\.$/, '');
    this.ttl = opts.ttl;
    this.endpointPodNames = opts.endpointPodNames === true;
    const version = `dns-version.${this.zone}`;
    this.setOwned('#static', new Map([[version, { types: [TypeCode.TXT!], records: [[{ name: version, type: 'TXT', ttl: 28800, data: [DNS_SCHEMA_VERSION] }]] }]]));
  }

  /** Registers a callback run after every change (the server clears its packet cache). */
  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }

  /** A Service by namespace and name (any letter case), for the external plugin. */
  service(namespace: string, name: string): ServiceLike | undefined {
    return this.services.get(`${namespace}/${name}`) ?? this.servicesLower().get(`${namespace}/${name}`);
  }

  private lowerCache: Map<string, ServiceLike> | undefined;
  private lowerGen = -1;
  private servicesLower(): Map<string, ServiceLike> {
    if (!this.lowerCache || this.lowerGen !== this.generation) {
      this.lowerCache = new Map([...this.services].map(([k, v]) => [k.toLowerCase(), v]));
      this.lowerGen = this.generation;
    }
    return this.lowerCache;
  }

  get serviceCount(): number {
    return this.services.size;
  }

  upsertService(svc: ServiceLike): void {
    const key = objectKey(svc.metadata);
    this.services.set(key, svc);
    this.rebuild(key);
  }

  deleteService(svc: ServiceLike): void {
    const key = objectKey(svc.metadata);
    this.services.delete(key);
    this.rebuild(key);
  }

  upsertSlice(slice: EndpointSliceLike): void {
    const key = objectKey(slice.metadata);
    const old = this.slices.get(key);
    const oldSvc = old ? sliceServiceKey(old) : undefined;
    const svc = sliceServiceKey(slice);
    this.slices.set(key, slice);
    if (oldSvc && oldSvc !== svc) {
      this.slicesByService.get(oldSvc)?.delete(key);
      this.rebuild(oldSvc);
    }
    if (svc) {
      let set = this.slicesByService.get(svc);
      if (!set) this.slicesByService.set(svc, (set = new Set()));
      set.add(key);
      this.rebuild(svc);
    }
  }

  deleteSlice(slice: EndpointSliceLike): void {
    const key = objectKey(slice.metadata);
    const old = this.slices.get(key) ?? slice;
    this.slices.delete(key);
    const svc = sliceServiceKey(old);
    if (svc) {
      const set = this.slicesByService.get(svc);
      set?.delete(key);
      if (set && set.size === 0) this.slicesByService.delete(svc);
      this.rebuild(svc);
    }
  }

  /** Pods matter only for `pods verified`: which namespaces have a pod with a given IP. */
  upsertPod(pod: PodLike): void {
    this.removePod(objectKey(pod.metadata));
    const ips = podIPs(pod);
    const ns = pod.metadata.namespace ?? '';
    this.podIPs.set(objectKey(pod.metadata), ips);
    for (const ip of ips) {
      let m = this.ipNamespaces.get(ip);
      if (!m) this.ipNamespaces.set(ip, (m = new Map()));
      m.set(ns, (m.get(ns) ?? 0) + 1);
    }
    this.changed();
  }

  deletePod(pod: PodLike): void {
    this.removePod(objectKey(pod.metadata));
    this.changed();
  }

  /** Whether a pod with `ip` runs in `namespace` (for verified pod records). */
  podExists(ip: string, namespace: string): boolean {
    return (this.ipNamespaces.get(ip)?.get(namespace) ?? 0) > 0;
  }

  /** The records of `name` (lower case), merged over every owner; undefined when it has none. */
  lookup(name: string): RRSet | undefined {
    const owners = this.names.get(name);
    if (!owners || !Array.isArray(owners)) return owners;
    const merged: RRSet = { types: [], records: [] };
    for (const set of owners) {
      set.types.forEach((t, i) => {
        const at = merged.types.indexOf(t);
        if (at < 0) {
          merged.types.push(t);
          merged.records.push([...set.records[i]!]);
        } else merged.records[at]!.push(...set.records[i]!);
      });
      if (set.additional) merged.additional = [...(merged.additional ?? []), ...set.additional];
    }
    return merged;
  }

  /** Whether `name` exists: it has records, or is an ancestor of a name that has (an empty non-terminal). */
  exists(name: string): boolean {
    return this.names.has(name) || (this.ents.get(name) ?? 0) > 0;
  }

  private removePod(key: string): void {
    const old = this.podIPs.get(key);
    if (!old) return;
    const ns = key.slice(0, key.indexOf('/'));
    for (const ip of old) {
      const m = this.ipNamespaces.get(ip);
      if (!m) continue;
      const n = (m.get(ns) ?? 1) - 1;
      if (n <= 0) m.delete(ns);
      else m.set(ns, n);
      if (m.size === 0) this.ipNamespaces.delete(ip);
    }
    this.podIPs.delete(key);
  }

  private rebuild(serviceKey: string): void {
    const svc = this.services.get(serviceKey);
    const slices = [...(this.slicesByService.get(serviceKey) ?? [])].map((k) => this.slices.get(k)!).filter(Boolean);
    this.setOwned(serviceKey, svc ? buildServiceRecords(svc, slices, this.zone, this.ttl, this.endpointPodNames) : new Map());
    this.changed();
  }

  private changed(): void {
    this.generation++;
    this.serial = Math.floor(Date.now() / 1000);
    for (const cb of this.listeners) cb();
  }

  private setOwned(owner: string, records: Map<string, RRSet>): void {
    const old = this.owned.get(owner);
    if (old) {
      for (const set of old) {
        const cur = this.names.get(set.name);
        if (cur === set) this.names.delete(set.name);
        else if (Array.isArray(cur)) {
          const rest = cur.filter((x) => x !== set);
          if (rest.length === 1) this.names.set(set.name, rest[0]!);
          else this.names.set(set.name, rest);
        }
        this.adjustEnts(set.name, -1);
      }
    }
    if (records.size === 0) {
      this.owned.delete(owner);
      return;
    }
    const sets: OwnedSet[] = [];
    for (const [name, rrs] of records) {
      // Exact-size copies (arrays grown by push keep 17 slots), one shared types array per
      // combination, and every property in the literal (no out-of-object property array):
      // together about a third of the index's memory at 10,000 services.
      const set: OwnedSet = { name, owner, types: internTypes(rrs.types), records: rrs.records.map((r) => r.slice()), additional: rrs.additional };
      sets.push(set);
      const cur = this.names.get(name);
      if (!cur) this.names.set(name, set);
      else if (Array.isArray(cur)) cur.push(set);
      else this.names.set(name, [cur, set]);
      this.adjustEnts(name, 1);
    }
    this.owned.set(owner, sets.slice());
  }

  /** Counts `name`'s ancestors below the zone (or the arpa tree) as existing. */
  private adjustEnts(name: string, delta: number): void {
    let i = name.indexOf('.');
    while (i >= 0) {
      const parent = name.slice(i + 1);
      if (parent === this.zone || parent === 'in-addr.arpa' || parent === 'ip6.arpa' || parent === 'arpa') break;
      const n = (this.ents.get(parent) ?? 0) + delta;
      if (n <= 0) this.ents.delete(parent);
      else this.ents.set(parent, n);
      i = name.indexOf('.', i + 1);
    }
  }
}

const typeLists = new Map<string, number[]>();
/** One frozen array per distinct list of types ([1], [1, 33], [12], ...), shared by every set. */
function internTypes(types: number[]): number[] {
  const key = types.join(',');
  let t = typeLists.get(key);
  if (!t) typeLists.set(key, (t = Object.freeze(types.slice()) as number[]));
  return t;
}

const sliceServiceKey = (s: EndpointSliceLike): string | undefined => {
  const name = s.metadata.labels?.[SERVICE_NAME_LABEL];
  return name ? `${s.metadata.namespace ?? ''}/${name}` : undefined;
};

function podIPs(pod: PodLike): string[] {
  const ips = new Set<string>();
  for (const p of pod.status?.podIPs ?? []) if (p.ip) ips.add(p.ip);
  if (pod.status?.podIP) ips.add(pod.status.podIP);
  return [...ips].filter((ip) => isIPv4(ip) || isIPv6(ip)).map(canonicalIP);
}

const addressRecord = (name: string, ip: string, ttl: number): ResourceRecord =>
  isIPv4(ip) ? { name, type: 'A', ttl, data: ip } : { name, type: 'AAAA', ttl, data: ip };

function add(map: Map<string, RRSet>, name: string, rr: ResourceRecord): void {
  let set = map.get(name);
  if (!set) map.set(name, (set = { types: [], records: [] }));
  setType(set, TypeCode[rr.type]!, [rr], true);
}

/** Puts `rrs` under `code` in `set`, appending to what is there when `append`. */
function setType(set: RRSet, code: number, rrs: ResourceRecord[], append: boolean): void {
  const i = set.types.indexOf(code);
  if (i < 0) {
    set.types.push(code);
    set.records.push(rrs);
  } else if (append) set.records[i]!.push(...rrs);
  else set.records[i] = rrs;
}

/** The name of the Pod an endpoint targets, when it can be one DNS label. */
const podLabel = (ep: EndpointLike): string | undefined => {
  const name = ep.targetRef?.kind === 'Pod' ? ep.targetRef.name : undefined;
  return name && /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(name) ? name : undefined;
};

const isHeadless = (svc: ServiceLike): boolean => svc.spec?.clusterIP === 'None';
const validIP = (ip: string): boolean => isIPv4(ip) || isIPv6(ip);
const srvWeight = (n: number): number => Math.max(1, Math.floor(100 / Math.max(1, n)));

/** Every name and record one Service yields (Kubernetes DNS schema 1.1.0, as CoreDNS answers). */
export function buildServiceRecords(svc: ServiceLike, slices: EndpointSliceLike[], zone: string, ttl: number, endpointPodNames = false): Map<string, RRSet> {
  const out = new Map<string, RRSet>();
  const ns = (svc.metadata.namespace ?? '').toLowerCase();
  const base = `${(svc.metadata.name ?? '').toLowerCase()}.${ns}.svc.${zone}`;
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') {
    if (spec.externalName) add(out, base, { name: base, type: 'CNAME', ttl, data: spec.externalName.replace(/\.$/, '') });
    return out;
  }
  if (!isHeadless(svc)) {
    const ips = (spec.clusterIPs && spec.clusterIPs.length > 0 ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter(validIP).map(canonicalIP);
    if (ips.length === 0) return out;
    const addresses = ips.map((ip) => addressRecord(base, ip, ttl));
    addresses.forEach((rr, i) => {
      add(out, base, rr);
      const ptr = reverseName(ips[i]!);
      add(out, ptr, { name: ptr, type: 'PTR', ttl, data: base });
    });
    const named = (spec.ports ?? []).filter((p) => p.name);
    const all: ResourceRecord[] = [];
    const weight = srvWeight(named.length);
    for (const p of named) {
      const srvName = `_${p.name!.toLowerCase()}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`;
      const rr: ResourceRecord = { name: srvName, type: 'SRV', ttl, data: { priority: 0, weight: 100, port: p.port, target: base } };
      add(out, srvName, rr);
      out.get(srvName)!.additional = addresses;
      all.push({ name: base, type: 'SRV', ttl, data: weight === 100 ? rr.data : { priority: 0, weight, port: p.port, target: base } });
    }
    if (all.length > 0) {
      const set = out.get(base)!;
      setType(set, TypeCode.SRV!, all, false);
      set.additional = addresses;
    }
    return out;
  }
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const endpoints: { ip: string; host: string }[] = [];
  const seen = new Set<string>();
  const ports = new Map<string, { name: string; protocol: string; port: number }>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
    for (const ep of slice.endpoints ?? []) {
      if (!publishNotReady && ep.conditions?.ready === false) continue;
      for (const raw of ep.addresses) {
        if (!validIP(raw)) continue;
        const ip = canonicalIP(raw);
        if (seen.has(ip)) continue;
        seen.add(ip);
        endpoints.push({ ip, host: (ep.hostname ?? (endpointPodNames ? podLabel(ep) : undefined) ?? dashedIP(ip)).toLowerCase() });
      }
    }
    for (const p of slice.ports ?? []) {
      if (p.name && p.port !== undefined) ports.set(`${p.name}/${p.protocol ?? 'TCP'}`, { name: p.name, protocol: p.protocol ?? 'TCP', port: p.port });
    }
  }
  if (endpoints.length === 0) return out;
  for (const ep of endpoints) {
    const host = `${ep.host}.${base}`;
    add(out, base, addressRecord(base, ep.ip, ttl));
    add(out, host, addressRecord(host, ep.ip, ttl));
    const ptr = reverseName(ep.ip);
    add(out, ptr, { name: ptr, type: 'PTR', ttl, data: host });
  }
  const allSrv: ResourceRecord[] = [];
  const additional = endpoints.map((ep) => addressRecord(`${ep.host}.${base}`, ep.ip, ttl));
  const weight = srvWeight(endpoints.length);
  for (const p of ports.values()) {
    const srvName = `_${p.name.toLowerCase()}._${p.protocol.toLowerCase()}.${base}`;
    for (const ep of endpoints) {
      const rr: ResourceRecord = { name: srvName, type: 'SRV', ttl, data: { priority: 0, weight, port: p.port, target: `${ep.host}.${base}` } };
      add(out, srvName, rr);
      allSrv.push({ ...rr, name: base, data: { priority: 0, weight: srvWeight(endpoints.length * ports.size), port: p.port, target: `${ep.host}.${base}` } });
    }
    out.get(srvName)!.additional = additional;
  }
  if (allSrv.length > 0) {
    const set = out.get(base)!;
    setType(set, TypeCode.SRV!, allSrv, false);
    set.additional = additional;
  }
  return out;
}
