/**
 * A read cache of one cluster-scoped kind (the etcd store uses it for Namespaces), fed by the
 * store's own list + watch — so it rides the shared etcd watch of that key range
 * (etcd-watch-mux.ts) and costs etcd nothing per lookup. It exists for `Store.getCached`: the
 * namespace check before every namespaced create was a linearizable etcd read (a ReadIndex
 * round through the leader) ahead of the write transaction; kube-apiserver's NamespaceLifecycle
 * admission reads a watch-fed informer for the same reason.
 *
 * Staleness is one-sided and bounded by the watch delay: a lookup answers only from a synced
 * cache and only for keys it holds, so an object created after the last event seen is a miss
 * (the caller then reads etcd); a change or deletion is seen once its watch event arrives. Until
 * the first list completes, and after the watch fails (compaction, etcd unavailable, store
 * closed), every lookup is a miss and the next one starts a new list + watch.
 */
import type { ListResult, StoredObject, Watch, WatchOptions } from '../store.js';

/** The part of the Store the cache is fed from. */
export interface PrefixCacheSource {
  list(prefix: string): Promise<ListResult>;
  watch(prefix: string, opts: WatchOptions): Watch;
}

export class WatchedPrefixCache {
  /** Objects by key, each shared read-only with every caller (as watch event objects are). */
  private objects = new Map<string, StoredObject>();
  private synced = false;
  private starting = false;
  private watch: Watch | undefined;
  /** Bumped on every restart and on close, so a late list or event of an old round is ignored. */
  private round = 0;
  private closed = false;

  /** `prefix`: the key prefix of a cluster-scoped kind (`/core/namespaces/`); keys are prefix + name. */
  constructor(
    private readonly source: PrefixCacheSource,
    readonly prefix: string,
  ) {}

  /** Whether `key` is one this cache can answer for (a direct child of the prefix). */
  covers(key: string): boolean {
    return key.startsWith(this.prefix) && key.length > this.prefix.length && !key.includes('/', this.prefix.length);
  }

  /** The cached object at `key`, or undefined for a miss (not synced yet, or not held). */
  lookup(key: string): StoredObject | undefined {
    if (!this.synced) {
      this.start();
      return undefined;
    }
    return this.objects.get(key);
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  private start(): void {
    if (this.starting || this.closed) return;
    this.starting = true;
    const round = ++this.round;
    this.source.list(this.prefix).then(
      (res) => {
        if (round !== this.round) return;
        const objects = new Map<string, StoredObject>();
        for (const o of res.items) {
          const key = this.keyOf(o);
          if (key) objects.set(key, o);
        }
        this.objects = objects;
        this.watch = this.source.watch(this.prefix, {
          fromRevision: res.revision,
          onEvent: (e) => {
            if (round !== this.round) return;
            const key = this.keyOf(e.object);
            if (!key) return;
            if (e.type === 'DELETED') this.objects.delete(key);
            else this.objects.set(key, e.object);
          },
          onError: () => {
            if (round === this.round) this.reset();
          },
        });
        // A watch that failed synchronously has already reset this round.
        if (round === this.round) {
          this.synced = true;
          this.starting = false;
        }
      },
      () => {
        if (round === this.round) this.reset();
      },
    );
  }

  /** Back to empty and unsynced; the next lookup starts again. */
  private reset(): void {
    this.round++;
    this.synced = false;
    this.starting = false;
    this.objects = new Map();
    const w = this.watch;
    this.watch = undefined;
    w?.stop();
  }

  private keyOf(o: StoredObject): string | undefined {
    const name = o.metadata?.name;
    return typeof name === 'string' && name !== '' ? this.prefix + name : undefined;
  }
}
