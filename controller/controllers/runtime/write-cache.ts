/**
 * What this controller wrote, kept until its own informer shows it. Without it, a sync that runs
 * before the watch event of the previous write arrives works on stale state and writes again
 * (a duplicate create, a 409 on update). Objects are compared by resourceVersion: numeric when
 * both are numbers (Sextant and etcd), otherwise the written copy wins until the cache shows it.
 */
import { keyOf } from './informers.js';

type Obj = { metadata: { namespace?: string; name?: string; resourceVersion?: string } };

const newer = (a: string | undefined, b: string | undefined): boolean => {
  if (a === undefined) return false;
  if (b === undefined) return true;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) > BigInt(b);
  return a !== b;
};

export class WriteCache<T extends Obj> {
  private readonly written = new Map<string, { obj: T | undefined; rv: string | undefined }>();

  /** Records an object this controller just stored (create/update answer). */
  wrote(obj: T): void {
    this.written.set(keyOf(obj), { obj, rv: obj.metadata.resourceVersion });
  }

  /** Records a delete; `obj` is the last known state. */
  deleted(obj: T): void {
    this.written.set(keyOf(obj), { obj: undefined, rv: obj.metadata.resourceVersion });
  }

  /** Feed every informer event here: drops entries the cache has caught up with. */
  observed(obj: T, gone = false): void {
    const k = keyOf(obj);
    const w = this.written.get(k);
    if (!w) return;
    if (gone || !newer(w.rv, obj.metadata.resourceVersion)) this.written.delete(k);
  }

  /** Whether the event shows exactly this controller's last write (or delete) of the object. */
  isOwn(obj: T, gone = false): boolean {
    const w = this.written.get(keyOf(obj));
    if (!w) return false;
    return gone ? w.obj === undefined : w.obj !== undefined && w.rv === obj.metadata.resourceVersion;
  }

  /** The freshest view of `cached` (undefined = deleted). */
  view(cached: T): T | undefined {
    const w = this.written.get(keyOf(cached));
    if (!w) return cached;
    if (w.obj === undefined) return undefined;
    return newer(w.rv, cached.metadata.resourceVersion) ? w.obj : cached;
  }

  /** Cached objects overlaid with the written ones, filtered by `pick`. */
  merge(cached: readonly T[], pick: (o: T) => boolean): T[] {
    const out: T[] = [];
    const seen = new Set<string>();
    for (const c of cached) {
      seen.add(keyOf(c));
      const v = this.view(c);
      if (v && pick(v)) out.push(v);
    }
    for (const [k, w] of this.written) if (!seen.has(k) && w.obj && pick(w.obj)) out.push(w.obj);
    return out;
  }

  size(): number {
    return this.written.size;
  }
}
