/** A Node informer for overlay tests: the test edits the list, handlers see watch-like events. */
import type { Informer, InformerHandlers, Node } from '../../controller/api/index.js';

/** A Node informer over a list the test edits; handlers see add/update/delete as from a watch. */
export class NodeList implements Informer<Node> {
  private nodes = new Map<string, Node>();
  private handlers: InformerHandlers<Node>[] = [];
  addHandlers(h: InformerHandlers<Node>): void {
    this.handlers.push(h);
    for (const n of this.nodes.values()) h.onAdd?.(n);
  }
  start(): void {}
  stop(): void {}
  synced(): Promise<void> {
    return Promise.resolve();
  }
  hasSynced(): boolean {
    return true;
  }
  list(): Node[] {
    return [...this.nodes.values()];
  }
  get(_ns: string | undefined, name: string): Node | undefined {
    return this.nodes.get(name);
  }
  put(n: Node): void {
    const old = this.nodes.get(n.metadata.name!);
    this.nodes.set(n.metadata.name!, n);
    for (const h of this.handlers) old ? h.onUpdate?.(old, n) : h.onAdd?.(n);
  }
  remove(name: string): void {
    const old = this.nodes.get(name);
    this.nodes.delete(name);
    if (old) for (const h of this.handlers) h.onDelete?.(old);
  }
}

