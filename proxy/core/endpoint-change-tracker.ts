import { endpointsFromSlices, type EndpointInfo } from './endpoint.js';
import { SERVICE_NAME_LABEL, type EndpointSliceLike } from './k8s-types.js';
import type { AppliedChanges } from './service-change-tracker.js';

/** Endpoints per `endpointsKey(servicePortName, protocol)`. */
export type EndpointsMap = Map<string, EndpointInfo[]>;

type SliceMap = Map<string, EndpointSliceLike>;

const fingerprint = (m: Map<string, EndpointInfo[]>): string => JSON.stringify([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Queues EndpointSlice changes per Service. Slices are kept as applied (what the rules reflect) and
 * pending (what arrived since); a pending set whose merged endpoints equal the applied ones is
 * dropped, so readiness flapping back and forth between syncs costs nothing.
 */
export class EndpointSliceChangeTracker {
  private readonly applied = new Map<string, SliceMap>();
  /** Keys this tracker wrote into the endpoints map, per Service, so apply never scans the whole map. */
  private readonly keysByService = new Map<string, string[]>();
  private readonly pendingSlices = new Map<string, { slices: Map<string, EndpointSliceLike | null>; queuedAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a slice added/updated (`removed` false) or deleted. Returns whether a change is pending for its Service. */
  update(slice: EndpointSliceLike, removed: boolean): boolean {
    const svc = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) return false;
    const key = `${slice.metadata.namespace ?? 'default'}/${svc}`;
    const name = slice.metadata.name ?? '';
    let p = this.pendingSlices.get(key);
    if (!p) this.pendingSlices.set(key, (p = { slices: new Map(), queuedAt: this.now() }));
    p.slices.set(name, removed ? null : slice);
    const before = this.applied.get(key) ?? new Map<string, EndpointSliceLike>();
    if (fingerprint(endpointsFromSlices(before.values())) === fingerprint(endpointsFromSlices(merge(before, p.slices).values()))) {
      this.pendingSlices.delete(key);
      return false;
    }
    return true;
  }

  pending(): number {
    return this.pendingSlices.size;
  }

  oldestQueuedAt(): number | undefined {
    let t: number | undefined;
    for (const i of this.pendingSlices.values()) if (t === undefined || i.queuedAt < t) t = i.queuedAt;
    return t;
  }

  /** Merges queued slices into the applied set and rewrites `endpoints` for each changed Service. */
  apply(endpoints: EndpointsMap): AppliedChanges {
    const changed = new Set<string>();
    const queuedAt = new Map<string, number>();
    for (const [key, p] of this.pendingSlices) {
      const before = this.applied.get(key) ?? new Map<string, EndpointSliceLike>();
      const after = merge(before, p.slices);
      if (after.size === 0) this.applied.delete(key);
      else this.applied.set(key, after);
      for (const k of this.keysByService.get(key) ?? []) endpoints.delete(k);
      const fresh = endpointsFromSlices(after.values());
      for (const [k, eps] of fresh) endpoints.set(k, eps);
      if (fresh.size === 0) this.keysByService.delete(key);
      else this.keysByService.set(key, [...fresh.keys()]);
      changed.add(key);
      queuedAt.set(key, p.queuedAt);
    }
    this.pendingSlices.clear();
    return { changed, queuedAt };
  }
}

function merge(base: SliceMap, changes: Map<string, EndpointSliceLike | null>): SliceMap {
  const out = new Map(base);
  for (const [name, s] of changes) {
    if (s) out.set(name, s);
    else out.delete(name);
  }
  return out;
}

/** `ns/svc` of an endpoints-map key (`ns/svc[:port]\0proto`). */
export function serviceOfKey(key: string): string {
  const spn = key.slice(0, key.indexOf('\0'));
  const slash = spn.indexOf('/');
  const colon = spn.indexOf(':', slash);
  return colon < 0 ? spn : spn.slice(0, colon);
}
