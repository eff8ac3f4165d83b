/**
 * What this controller wrote, kept until its own informer shows it. Without it, a sync that runs
 * before the watch event of the previous write arrives works on stale state and writes again
 * (a duplicate create, a 409 on update). Objects are compared by resourceVersion: numeric when
 * both are numbers (Sextant and etcd), otherwise the written copy wins until the cache shows it.
 * With a `groupOf` function (e.g. the owning Service of a slice) the pending writes are indexed
 * by group, so a sync overlays only its own group's writes instead of scanning all of them.
 */
import { keyOf } from './informers.js';

type Obj = { metadata: { namespace?: string; name?: string; resourceVersion?: string } };

const DIGITS = /^(0|[1-9]\d*)$/;

/** Whether `a` is a newer resourceVersion than `b` (numbers compared as such, of any length). */
export const newer = (a: string | undefined, b: string | undefined): boolean => {
  if (a === undefined) return false;
  if (b === undefined) return true;
  if (a === b) return false;
  // Canonical decimals (no leading zeros): the longer is the larger, equal lengths compare as text.
  if (DIGITS.test(a) && DIGITS.test(b)) return a.length !== b.length ? a.length > b.length : a > b;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return true;
};

export class WriteCache<T extends Obj> {
  private readonly written = new Map<string, { obj: T | undefined; rv: string | undefined; group: string | undefined }>();
  private readonly byGroup = new Map<string, Set<string>>();

  constructor(private readonly groupOf?: (o: T) => string | undefined) {}

  private set(obj: T, written: T | undefined): void {
    const k = keyOf(obj);
    this.drop(k);
    const group = this.groupOf?.(obj);
    this.written.set(k, { obj: written, rv: obj.metadata.resourceVersion, group });
    if (group === undefined) return;
    let s = this.byGroup.get(group);
    if (!s) this.byGroup.set(group, (s = new Set()));
    s.add(k);
  }

  private drop(k: string): void {
    const w = this.written.get(k);
    if (!w) return;
    this.written.delete(k);
    if (w.group === undefined) return;
    const s = this.byGroup.get(w.group);
    s?.delete(k);
    if (s?.size === 0) this.byGroup.delete(w.group);
  }

  /** Records an object this controller just stored (create/update answer). */
  wrote(obj: T): void {
    this.set(obj, obj);
  }

  /** Records a delete; `obj` is the last known state. */
  deleted(obj: T): void {
    this.set(obj, undefined);
  }

  /** Feed every informer event here: drops entries the cache has caught up with. */
  observed(obj: T, gone = false): void {
    const k = keyOf(obj);
    const w = this.written.get(k);
    if (!w) return;
    if (gone || !newer(w.rv, obj.metadata.resourceVersion)) this.drop(k);
  }

  /** The pending write of the object with key `key` (undefined: none, or a delete). */
  pending(key: string): T | undefined {
    return this.written.get(key)?.obj;
  }

  /** Whether the event shows exactly this controller's last write (or delete) of the object. */
  isOwn(obj: T, gone = false): boolean {
    const w = this.written.get(keyOf(obj));
    if (!w) return false;
    return gone ? w.obj === undefined : w.obj !== undefined && w.rv === obj.metadata.resourceVersion;
  }

  /** The freshest view of `cached` (undefined = deleted). */
  view(cached: T): T | undefined {
    return this.viewAt(keyOf(cached), cached);
  }

  private viewAt(key: string, cached: T): T | undefined {
    if (this.written.size === 0) return cached;
    const w = this.written.get(key);
    if (!w) return cached;
    if (w.obj === undefined) return undefined;
    return newer(w.rv, cached.metadata.resourceVersion) ? w.obj : cached;
  }

  /** Cached objects overlaid with the written ones, filtered by `pick`. */
  merge(cached: readonly T[], pick: (o: T) => boolean): T[] {
    const out: T[] = [];
    const seen = new Set<string>();
    for (const c of cached) {
      const k = keyOf(c);
      seen.add(k);
      const v = this.viewAt(k, c);
      if (v && pick(v)) out.push(v);
    }
    for (const [k, w] of this.written) if (!seen.has(k) && w.obj && pick(w.obj)) out.push(w.obj);
    return out;
  }

  /**
   * Like `merge`, for the cached objects of one group: only that group's pending writes are
   * overlaid (needs `groupOf`), so the cost does not grow with other groups' writes in flight.
   */
  mergeGroup(cached: Iterable<T>, group: string): T[] {
    const out: T[] = [];
    if (this.written.size === 0) {
      // Nothing in flight: the cached objects as they are.
      for (const c of cached) out.push(c);
      return out;
    }
    const seen = new Set<string>();
    for (const c of cached) {
      const k = keyOf(c);
      seen.add(k);
      const v = this.viewAt(k, c);
      if (v) out.push(v);
    }
    for (const k of this.byGroup.get(group) ?? []) {
      const w = this.written.get(k);
      if (!seen.has(k) && w?.obj) out.push(w.obj);
    }
    return out;
  }

  size(): number {
    return this.written.size;
  }
}
