import type { ServiceLike } from './k8s-types.js';
import { serviceKey, servicePortsFromService, type ServicePortInfo, type ServicePortName } from './service-port.js';

type PortMap = Map<ServicePortName, ServicePortInfo>;

const fingerprint = (m: PortMap): string => JSON.stringify([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** What applying queued changes did: which Services changed, and when each change was first seen. */
export interface AppliedChanges {
  changed: Set<string>;
  /** Earliest queue time (ms) of each changed Service, for network-programming latency. */
  queuedAt: Map<string, number>;
}

/**
 * Queues Service changes as {previous, current} port maps per Service, as kube-proxy's
 * ServiceChangeTracker does: a change that returns a Service to what was last applied cancels out
 * and is dropped, so a burst of add/update/delete costs at most one rewrite at sync time.
 */
export class ServiceChangeTracker {
  private readonly items = new Map<string, { previous: PortMap; previousPrint: string; current: PortMap; queuedAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records one watch event (`previous` undefined for add, `current` undefined for delete). Returns whether a change is pending for that Service. */
  update(previous: ServiceLike | undefined, current: ServiceLike | undefined): boolean {
    const obj = current ?? previous;
    if (!obj) return false;
    const key = serviceKey(obj.metadata.namespace, obj.metadata.name);
    let item = this.items.get(key);
    if (!item) {
      const prev = previous ? servicePortsFromService(previous) : new Map<ServicePortName, ServicePortInfo>();
      item = { previous: prev, previousPrint: fingerprint(prev), current: prev, queuedAt: this.now() };
      this.items.set(key, item);
    }
    item.current = current ? servicePortsFromService(current) : new Map();
    if (fingerprint(item.current) === item.previousPrint) {
      this.items.delete(key);
      return false;
    }
    return true;
  }

  /** Number of Services with a queued change. */
  pending(): number {
    return this.items.size;
  }

  /** Queue time of the oldest pending change, if any. */
  oldestQueuedAt(): number | undefined {
    let t: number | undefined;
    for (const i of this.items.values()) if (t === undefined || i.queuedAt < t) t = i.queuedAt;
    return t;
  }

  /** Moves every queued change into `services` and empties the queue. */
  apply(services: Map<ServicePortName, ServicePortInfo>): AppliedChanges {
    const changed = new Set<string>();
    const queuedAt = new Map<string, number>();
    for (const [key, item] of this.items) {
      for (const spn of item.previous.keys()) services.delete(spn);
      for (const [spn, info] of item.current) services.set(spn, info);
      changed.add(key);
      queuedAt.set(key, item.queuedAt);
    }
    this.items.clear();
    return { changed, queuedAt };
  }
}
