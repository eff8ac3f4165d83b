/**
 * The cluster's DNS records, kept precomputed: every Service (with its EndpointSlices) is turned
 * into the full set of names and records it owns whenever it or one of its slices changes, so a
 * query is one map lookup. Pure: fed by add/update/delete calls (from informers or test fixtures),
 * no I/O. Names are stored in lower case without the trailing dot.
 */
import type { ResourceRecord } from '../../message.js';
import { TypeCode } from '../../message.js';
import { canonicalIP, dashedIP, isIPv4, isIPv6, reverseName } from './names.js';
import { SERVICE_NAME_LABEL, objectKey, type EndpointSliceLike, type PodLike, type ServiceLike } from './objects.js';

/** The records of one name, by RR type code; SRV answers carry their targets' addresses too. */
export interface RRSet {
  byType: Map<number, ResourceRecord[]>;
  additional?: ResourceRecord[];
}

export interface RecordIndexOptions {
  /** The cluster domain, e.g. `cluster.local`. */
  zone: string;
  ttl: number;
}

/** The Kubernetes DNS schema version this index implements. */
export const DNS_SCHEMA_VERSION = '1.1.0';

export class RecordIndex {
  readonly zone: string;
  readonly ttl: number;
  private services = new Map<string, ServiceLike>();
  private slices = new Map<string, EndpointSliceLike>();
  private slicesByService = new Map<string, Set<string>>();
  private owned = new Map<string, Map<string, RRSet>>();
  private names = new Map<string, Map<string, RRSet>>();
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
    const version = `dns-version.${this.zone}`;
    this.setOwned('#static', new Map([[version, { byType: new Map([[TypeCode.TXT!, [{ name: version, type: 'TXT', ttl: 28800, data: [DNS_SCHEMA_VERSION] }]]]) }]]));
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
    if (!owners) return undefined;
    if (owners.size === 1) return owners.values().next().value;
    const merged: RRSet = { byType: new Map() };
    for (const set of owners.values()) {
      for (const [t, rrs] of set.byType) merged.byType.set(t, [...(merged.byType.get(t) ?? []), ...rrs]);
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
    this.setOwned(serviceKey, svc ? buildServiceRecords(svc, slices, this.zone, this.ttl) : new Map());
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
      for (const name of old.keys()) {
        const owners = this.names.get(name);
        owners?.delete(owner);
        if (owners && owners.size === 0) this.names.delete(name);
        this.adjustEnts(name, -1);
      }
    }
    if (records.size === 0) {
      this.owned.delete(owner);
      return;
    }
    this.owned.set(owner, records);
    for (const [name, set] of records) {
      let owners = this.names.get(name);
      if (!owners) this.names.set(name, (owners = new Map()));
      owners.set(owner, set);
      this.adjustEnts(name, 1);
    }
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
  if (!set) map.set(name, (set = { byType: new Map() }));
  const code = TypeCode[rr.type]!;
  const list = set.byType.get(code);
  if (list) list.push(rr);
  else set.byType.set(code, [rr]);
}

const isHeadless = (svc: ServiceLike): boolean => svc.spec?.clusterIP === 'None';
const validIP = (ip: string): boolean => isIPv4(ip) || isIPv6(ip);
const srvWeight = (n: number): number => Math.max(1, Math.floor(100 / Math.max(1, n)));

/** Every name and record one Service yields (Kubernetes DNS schema 1.1.0, as CoreDNS answers). */
export function buildServiceRecords(svc: ServiceLike, slices: EndpointSliceLike[], zone: string, ttl: number): Map<string, RRSet> {
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
    for (const ip of ips) {
      add(out, base, addressRecord(base, ip, ttl));
      const ptr = reverseName(ip);
      add(out, ptr, { name: ptr, type: 'PTR', ttl, data: base });
    }
    const named = (spec.ports ?? []).filter((p) => p.name);
    const all: ResourceRecord[] = [];
    for (const p of named) {
      const srvName = `_${p.name!.toLowerCase()}._${(p.protocol ?? 'TCP').toLowerCase()}.${base}`;
      const rr: ResourceRecord = { name: srvName, type: 'SRV', ttl, data: { priority: 0, weight: 100, port: p.port, target: base } };
      add(out, srvName, rr);
      out.get(srvName)!.additional = ips.map((ip) => addressRecord(base, ip, ttl));
      all.push({ ...rr, name: base, data: { ...rr.data as { priority: number; weight: number; port: number; target: string }, weight: srvWeight(named.length) } });
    }
    if (all.length > 0) {
      const set = out.get(base)!;
      set.byType.set(TypeCode.SRV!, all);
      set.additional = ips.map((ip) => addressRecord(base, ip, ttl));
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
        endpoints.push({ ip, host: (ep.hostname ?? dashedIP(ip)).toLowerCase() });
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
    set.byType.set(TypeCode.SRV!, allSrv);
    set.additional = additional;
  }
  return out;
}
