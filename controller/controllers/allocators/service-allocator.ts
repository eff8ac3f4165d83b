/**
 * Service allocation as Kubernetes' service REST storage does it: ClusterIPs from the service
 * CIDR and NodePorts (plus healthCheckNodePort) from the node-port range, assigned when a Service
 * is created or changes type, released when it is deleted or no longer needs them.
 *
 * Every operation is a transaction: allocations happen at once (so concurrent requests never
 * get the same value), releases wait for `commit` (so a failed write can never have handed a
 * still-stored value to someone else), and `rollback` undoes the allocations. State is derived
 * from the stored Services at start-up by `rebuild`, so a crash can neither leak nor double-book.
 */
import type { Service, ServicePort } from '../../api/service.js';
import { ControllerError, isControllerError } from '../errors.js';
import { IpAllocator } from './ip-allocator.js';
import { PortAllocator } from './port-allocator.js';

/** One field problem, as a Status cause. */
export interface FieldCause {
  field: string;
  message: string;
  reason: 'FieldValueInvalid' | 'FieldValueDuplicate' | 'FieldValueForbidden';
}

/** A request the allocators refuse; `causes` name the fields (422 Invalid). */
export class AllocationError extends Error {
  constructor(readonly causes: FieldCause[]) {
    super(causes.map((c) => `${c.field}: ${c.message}`).join(', '));
    this.name = 'AllocationError';
  }
}

export interface AllocationTxn {
  commit(): void;
  rollback(): void;
}

export interface ServiceAllocatorOptions {
  serviceCIDR?: string;
  nodePortRange?: string;
}

export interface RepairReport {
  /** Values two stored services both claim: `value` kept by `owner`, refused to `duplicate`. */
  duplicates: { value: string; owner: string; duplicate: string }[];
  /** Stored values outside the configured range (kept on the object, not tracked). */
  outOfRange: { value: string; owner: string }[];
}

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

const ownerOf = (svc: Service) => `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name ?? ''}`;
const isExternalName = (svc: Service) => svc.spec.type === 'ExternalName';

/** Whether the service type gets node ports. */
export function needsNodePorts(svc: Service): boolean {
  const t = svc.spec.type;
  if (t === 'NodePort') return true;
  return t === 'LoadBalancer' && svc.spec.allocateLoadBalancerNodePorts !== false;
}

/** Kubernetes allocates a health-check node port for LoadBalancer services with Local traffic policy. */
export function needsHealthCheckNodePort(svc: Service): boolean {
  return svc.spec.type === 'LoadBalancer' && svc.spec.externalTrafficPolicy === 'Local';
}

const hasClusterIP = (svc: Service) => !!svc.spec.clusterIP && svc.spec.clusterIP !== 'None';
const portKey = (p: ServicePort) => `${p.protocol ?? 'TCP'}/${p.port}`;

export class ServiceAllocator {
  readonly ips: IpAllocator;
  readonly ports: PortAllocator;

  constructor(opts: ServiceAllocatorOptions = {}) {
    this.ips = new IpAllocator(opts.serviceCIDR ?? DEFAULT_SERVICE_CIDR);
    this.ports = new PortAllocator(opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE);
  }

  /** Fills in and allocates a new service's ClusterIP and node ports (mutating `svc`). */
  create(svc: Service): AllocationTxn {
    return this.transition(undefined, svc);
  }

  /** Applies type and port changes of an update (mutating `next`). */
  update(prev: Service, next: Service): AllocationTxn {
    return this.transition(prev, next);
  }

  /** Releases everything a deleted service held, on commit. */
  delete(svc: Service): AllocationTxn {
    const owner = ownerOf(svc);
    const releases = this.heldBy(svc);
    return {
      commit: () => releases.forEach((r) => r(owner)),
      rollback: () => {},
    };
  }

  /**
   * Forgets everything and re-derives the allocations from the stored services. The oldest
   * service (by creationTimestamp, then name) keeps a value two of them claim.
   */
  rebuild(services: readonly Service[]): RepairReport {
    const report: RepairReport = { duplicates: [], outOfRange: [] };
    for (const [ip, owner] of this.ips.allocated()) this.ips.release(ip, owner);
    for (const [port, owner] of this.ports.allocated()) this.ports.release(port, owner);
    const ordered = [...services].sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
        ownerOf(a).localeCompare(ownerOf(b)),
    );
    for (const svc of ordered) {
      const owner = ownerOf(svc);
      const claim = (value: string, take: () => void, held: () => string | undefined) => {
        try {
          take();
        } catch (err) {
          if (isControllerError(err, 'AlreadyAllocated')) report.duplicates.push({ value, owner: held() ?? '', duplicate: owner });
          else if (isControllerError(err, 'NotInRange')) report.outOfRange.push({ value, owner });
          else throw err;
        }
      };
      if (!isExternalName(svc)) {
        for (const ip of this.clusterIPsOf(svc)) {
          if (this.ips.cidr.family === 4 && ip.includes(':')) continue;
          if (this.ips.cidr.family === 6 && !ip.includes(':')) continue;
          claim(ip, () => this.ips.allocate(ip, owner), () => this.ips.ownerOf(ip));
        }
      }
      for (const port of this.nodePortsOf(svc)) {
        claim(String(port), () => this.ports.allocate(port, owner), () => this.ports.ownerOf(port));
      }
    }
    return report;
  }

  private clusterIPsOf(svc: Service): string[] {
    const ips = svc.spec.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec.clusterIP ? [svc.spec.clusterIP] : [];
    return ips.filter((ip) => ip && ip !== 'None');
  }

  private nodePortsOf(svc: Service): number[] {
    const out = new Set<number>();
    for (const p of svc.spec.ports ?? []) if (p.nodePort) out.add(p.nodePort);
    if (svc.spec.healthCheckNodePort) out.add(svc.spec.healthCheckNodePort);
    return [...out];
  }

  /** Release functions for everything `svc` holds. */
  private heldBy(svc: Service): ((owner: string) => void)[] {
    const out: ((owner: string) => void)[] = [];
    if (!isExternalName(svc)) for (const ip of this.clusterIPsOf(svc)) out.push((o) => this.ips.release(ip, o));
    for (const port of this.nodePortsOf(svc)) out.push((o) => this.ports.release(port, o));
    return out;
  }

  private transition(prev: Service | undefined, next: Service): AllocationTxn {
    const owner = ownerOf(next);
    const undo: (() => void)[] = [];
    const releases: (() => void)[] = [];
    const causes: FieldCause[] = [];
    try {
      this.transitionClusterIP(prev, next, owner, undo, releases, causes);
      this.transitionNodePorts(prev, next, owner, undo, releases, causes);
    } catch (err) {
      undo.reverse().forEach((u) => u());
      throw err;
    }
    if (causes.length > 0) {
      undo.reverse().forEach((u) => u());
      throw new AllocationError(causes);
    }
    let done = false;
    return {
      commit: () => {
        if (done) return;
        done = true;
        releases.forEach((r) => r());
      },
      rollback: () => {
        if (done) return;
        done = true;
        undo.reverse().forEach((u) => u());
      },
    };
  }

  private transitionClusterIP(
    prev: Service | undefined,
    next: Service,
    owner: string,
    undo: (() => void)[],
    releases: (() => void)[],
    causes: FieldCause[],
  ): void {
    const spec = next.spec;
    if (isExternalName(next)) {
      if (prev && !isExternalName(prev)) {
        for (const ip of this.clusterIPsOf(prev)) releases.push(() => this.ips.release(ip, owner));
        if (spec.clusterIP === prev.spec.clusterIP) delete spec.clusterIP;
        if (spec.clusterIPs && JSON.stringify(spec.clusterIPs) === JSON.stringify(prev.spec.clusterIPs)) delete spec.clusterIPs;
      }
      return;
    }
    if (prev && !isExternalName(prev)) {
      // ClusterIP is immutable; an update that omits it keeps the old one.
      const old = prev.spec.clusterIP;
      if (!spec.clusterIP && old) spec.clusterIP = old;
      if (!spec.clusterIPs?.length && prev.spec.clusterIPs?.length) spec.clusterIPs = [...prev.spec.clusterIPs];
      if (spec.clusterIP !== old) {
        causes.push({ field: 'spec.clusterIP', reason: 'FieldValueInvalid', message: `Invalid value: "${spec.clusterIP}": field is immutable` });
      }
      return;
    }
    const requested = spec.clusterIP || spec.clusterIPs?.[0];
    if (requested === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
      return;
    }
    let ip: string;
    if (requested) {
      try {
        this.ips.allocate(requested, owner);
      } catch (err) {
        if (!(err instanceof ControllerError)) throw err;
        causes.push({
          field: 'spec.clusterIP',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${requested}": failed to allocate IP ${requested}: ${err.detail}`,
        });
        return;
      }
      ip = requested;
    } else {
      try {
        ip = this.ips.allocateNext(owner);
      } catch (err) {
        if (!(err instanceof ControllerError)) throw err;
        causes.push({ field: 'spec.clusterIP', reason: 'FieldValueInvalid', message: `failed to allocate a serviceIP: ${err.detail}` });
        return;
      }
    }
    undo.push(() => this.ips.release(ip, owner));
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
    spec.ipFamilies ??= [this.ips.cidr.family === 4 ? 'IPv4' : 'IPv6'];
    spec.ipFamilyPolicy ??= 'SingleStack';
  }

  private transitionNodePorts(
    prev: Service | undefined,
    next: Service,
    owner: string,
    undo: (() => void)[],
    releases: (() => void)[],
    causes: FieldCause[],
  ): void {
    const spec = next.spec;
    const oldHeld = new Set(prev ? this.nodePortsOf(prev) : []);
    const ports = spec.ports ?? [];
    if (!needsNodePorts(next)) {
      // Like Kubernetes, switching away from NodePort drops node ports the user did not change.
      for (const p of ports) {
        if (p.nodePort === undefined) continue;
        const old = prev?.spec.ports?.find((q) => portKey(q) === portKey(p));
        if (!prev || old?.nodePort === p.nodePort || !needsNodePorts(prev)) delete p.nodePort;
        else causes.push({ field: `spec.ports[${ports.indexOf(p)}].nodePort`, reason: 'FieldValueForbidden', message: `Forbidden: may not be used when \`type\` is '${spec.type ?? 'ClusterIP'}'` });
      }
    } else if (prev && needsNodePorts(prev)) {
      // Keep node ports an update leaves out (kubectl apply of a manifest without them).
      for (const p of ports) {
        if (p.nodePort) continue;
        const old = prev.spec.ports?.find((q) => portKey(q) === portKey(p));
        if (old?.nodePort) p.nodePort = old.nodePort;
      }
    }
    if (!needsHealthCheckNodePort(next)) {
      if (spec.healthCheckNodePort !== undefined && (!prev || spec.healthCheckNodePort === prev.spec.healthCheckNodePort)) {
        delete spec.healthCheckNodePort;
      }
    } else if (!spec.healthCheckNodePort && prev?.spec.healthCheckNodePort && needsHealthCheckNodePort(prev)) {
      spec.healthCheckNodePort = prev.spec.healthCheckNodePort;
    }
    const newlyTaken = new Set<number>();
    const take = (port: number, field: string): boolean => {
      if (oldHeld.has(port) || newlyTaken.has(port)) return true;
      try {
        this.ports.allocate(port, owner);
      } catch (err) {
        if (!(err instanceof ControllerError)) throw err;
        causes.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${port}: ${err.detail}` });
        return false;
      }
      newlyTaken.add(port);
      undo.push(() => this.ports.release(port, owner));
      return true;
    };
    const next1 = (field: string): number | undefined => {
      try {
        const port = this.ports.allocateNext(owner);
        newlyTaken.add(port);
        undo.push(() => this.ports.release(port, owner));
        return port;
      } catch (err) {
        if (!(err instanceof ControllerError)) throw err;
        causes.push({ field, reason: 'FieldValueInvalid', message: `failed to allocate a nodePort: ${err.detail}` });
        return undefined;
      }
    };
    if (needsNodePorts(next)) {
      ports.forEach((p, i) => {
        if (p.nodePort) take(p.nodePort, `spec.ports[${i}].nodePort`);
      });
      // Ports of one service sharing a number and differing in protocol share one node port.
      const byNumber = new Map<number, number>();
      ports.forEach((p, i) => {
        if (p.nodePort) {
          byNumber.set(p.port, p.nodePort);
          return;
        }
        const shared = byNumber.get(p.port);
        const port = shared ?? next1(`spec.ports[${i}].nodePort`);
        if (port !== undefined) {
          p.nodePort = port;
          byNumber.set(p.port, port);
        }
      });
    }
    if (needsHealthCheckNodePort(next)) {
      if (spec.healthCheckNodePort) take(spec.healthCheckNodePort, 'spec.healthCheckNodePort');
      else {
        const port = next1('spec.healthCheckNodePort');
        if (port !== undefined) spec.healthCheckNodePort = port;
      }
    }
    const nowHeld = new Set(this.nodePortsOf(next));
    for (const port of oldHeld) if (!nowHeld.has(port)) releases.push(() => this.ports.release(port, owner));
  }
}
