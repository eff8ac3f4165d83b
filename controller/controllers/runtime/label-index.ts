/**
 * Objects of one namespace indexed by label pair, so "which pods does this service select" and
 * "which services select this pod" cost a lookup per label instead of a scan of the namespace.
 */
import { keyOf } from './informers.js';

type Labeled = { metadata: { namespace?: string; name?: string; labels?: Record<string, string> } };

const sameLabels = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
};

export class LabelIndex<T extends Labeled> {
  private readonly byNs = new Map<string, Map<string, T>>();
  private readonly byPair = new Map<string, Set<string>>();

  private pairs(o: T): string[] {
    const ns = o.metadata.namespace ?? '';
    return Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${ns}\0${k}=${v}`);
  }

  upsert(o: T): void {
    const ns = o.metadata.namespace ?? '';
    const old = this.get(ns, o.metadata.name ?? '');
    if (old && sameLabels(old.metadata.labels, o.metadata.labels)) {
      // A status change (the common update): the pairs stay, only the object is replaced.
      this.byNs.get(ns)!.set(o.metadata.name ?? '', o);
      return;
    }
    if (old) this.remove(old);
    let m = this.byNs.get(ns);
    if (!m) this.byNs.set(ns, (m = new Map()));
    m.set(o.metadata.name ?? '', o);
    const k = keyOf(o);
    for (const p of this.pairs(o)) {
      let s = this.byPair.get(p);
      if (!s) this.byPair.set(p, (s = new Set()));
      s.add(k);
    }
  }

  remove(o: T): void {
    const ns = o.metadata.namespace ?? '';
    const cur = this.byNs.get(ns)?.get(o.metadata.name ?? '');
    if (!cur) return;
    this.byNs.get(ns)!.delete(o.metadata.name ?? '');
    const k = keyOf(cur);
    for (const p of this.pairs(cur)) this.byPair.get(p)?.delete(k);
  }

  get(namespace: string, name: string): T | undefined {
    return this.byNs.get(namespace)?.get(name);
  }

  inNamespace(namespace: string): T[] {
    return [...(this.byNs.get(namespace)?.values() ?? [])];
  }

  /** Objects of the namespace carrying every label of `selector` (an empty selector: none). */
  selectedBy(namespace: string, selector: Record<string, string>): T[] {
    const entries = Object.entries(selector);
    if (entries.length === 0) return [];
    let smallest: Set<string> | undefined;
    for (const [k, v] of entries) {
      const s = this.byPair.get(`${namespace}\0${k}=${v}`);
      if (!s) return [];
      if (!smallest || s.size < smallest.size) smallest = s;
    }
    const out: T[] = [];
    const m = this.byNs.get(namespace);
    for (const key of smallest!) {
      const o = m?.get(key.slice(namespace.length + 1));
      if (o && entries.every(([k, v]) => o.metadata.labels?.[k] === v)) out.push(o);
    }
    return out;
  }
}
