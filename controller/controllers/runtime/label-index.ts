/**
 * Objects of one namespace indexed by label pair, so "which pods does this service select" and
 * "which services select this pod" cost a lookup per label instead of a scan of the namespace.
 */
type Labeled = { metadata: { namespace?: string; name?: string; labels?: Record<string, string> } };

const sameLabels = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
};

/** One namespace: its objects by name, and their names by label key, then value. */
interface Namespace<T> {
  objects: Map<string, T>;
  byLabel: Map<string, Map<string, Set<string>>>;
}

export class LabelIndex<T extends Labeled> {
  private readonly byNs = new Map<string, Namespace<T>>();

  upsert(o: T): void {
    const ns = o.metadata.namespace ?? '';
    const name = o.metadata.name ?? '';
    const old = this.get(ns, name);
    if (old && sameLabels(old.metadata.labels, o.metadata.labels)) {
      // A status change (the common update): the pairs stay, only the object is replaced.
      this.byNs.get(ns)!.objects.set(name, o);
      return;
    }
    if (old) this.remove(old);
    let n = this.byNs.get(ns);
    if (!n) this.byNs.set(ns, (n = { objects: new Map(), byLabel: new Map() }));
    n.objects.set(name, o);
    const labels = o.metadata.labels ?? {};
    for (const k in labels) {
      let values = n.byLabel.get(k);
      if (!values) n.byLabel.set(k, (values = new Map()));
      let names = values.get(labels[k]!);
      if (!names) values.set(labels[k]!, (names = new Set()));
      names.add(name);
    }
  }

  remove(o: T): void {
    const n = this.byNs.get(o.metadata.namespace ?? '');
    const name = o.metadata.name ?? '';
    const cur = n?.objects.get(name);
    if (!n || !cur) return;
    n.objects.delete(name);
    const labels = cur.metadata.labels ?? {};
    for (const k in labels) {
      const values = n.byLabel.get(k);
      const names = values?.get(labels[k]!);
      if (!names) continue;
      names.delete(name);
      if (names.size > 0) continue;
      values!.delete(labels[k]!);
      if (values!.size === 0) n.byLabel.delete(k);
    }
  }

  get(namespace: string, name: string): T | undefined {
    return this.byNs.get(namespace)?.objects.get(name);
  }

  inNamespace(namespace: string): T[] {
    return [...(this.byNs.get(namespace)?.objects.values() ?? [])];
  }

  /** Objects of the namespace carrying every label of `selector` (an empty selector: none). */
  selectedBy(namespace: string, selector: Record<string, string>): T[] {
    const n = this.byNs.get(namespace);
    let smallest: Set<string> | undefined;
    let pairs = 0;
    for (const k in selector) {
      pairs++;
      const names = n?.byLabel.get(k)?.get(selector[k]!);
      if (!names) return [];
      if (!smallest || names.size < smallest.size) smallest = names;
    }
    const out: T[] = [];
    if (!n || !smallest) return out;
    // The index follows every relabel: with one pair, membership alone is the match.
    for (const name of smallest) {
      const o = n.objects.get(name);
      if (!o) continue;
      if (pairs > 1) {
        const labels = o.metadata.labels ?? {};
        let all = true;
        for (const k in selector) if (labels[k] !== selector[k]) all = false;
        if (!all) continue;
      }
      out.push(o);
    }
    return out;
  }
}
