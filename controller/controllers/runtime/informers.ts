/**
 * A registry that shares one informer per kind among all controllers, so the Pods of a big
 * cluster are listed and watched once, not once per controller.
 */
import type { Informer, KindInfo } from '../../api/index.js';

export type { Informer, InformerHandlers } from '../../api/index.js';

export type InformerFactory = <T>(kind: KindInfo<T>) => Informer<T>;

/** One informer per kind, created on first use, started together. */
export class SharedInformers {
  private readonly byKind = new Map<string, Informer<unknown>>();
  private started = false;

  constructor(private readonly factory: InformerFactory) {}

  for<T>(kind: KindInfo<T>): Informer<T> {
    const k = `${kind.group}/${kind.resource}`;
    let inf = this.byKind.get(k) as Informer<T> | undefined;
    if (!inf) {
      inf = this.factory(kind);
      this.byKind.set(k, inf as Informer<unknown>);
      if (this.started) inf.start();
    }
    return inf;
  }

  start(): void {
    this.started = true;
    for (const inf of this.byKind.values()) inf.start();
  }

  async synced(): Promise<void> {
    await Promise.all([...this.byKind.values()].map((i) => i.synced()));
  }

  stop(): void {
    for (const inf of this.byKind.values()) inf.stop();
  }
}

export const keyOf = (o: { metadata: { namespace?: string; name?: string } }): string =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name ?? ''}` : (o.metadata.name ?? '');

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
