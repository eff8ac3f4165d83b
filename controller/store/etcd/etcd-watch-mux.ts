/**
 * Watch fan-out on etcd: one etcd watch per key range shared by every Store watch of that range
 * (every API watch of a kind, or of a kind in one namespace). Without it, N API watches of Pods
 * are N etcd watches: etcd sends and the server decodes each event N times. A shared watch keeps
 * its recent events (up to `bufferEvents`) so a watch joining later — after its snapshot, or
 * resuming from a resourceVersion — is replayed what it missed and then follows live; a watch
 * starting before what the buffer covers gets an etcd watch of its own (etcd-watch.ts). Events are
 * decoded once and the same object goes to every subscriber (the Store contract makes event
 * objects read-only). When the shared etcd watch is cancelled (compaction, etcd gone) every
 * subscriber ends with the classified error, as a single watch would.
 */
import type { Etcd3, Watcher } from 'etcd3';
import type { KeyRange } from '../core/keys.js';
import type { Watch, WatchEvent } from '../store.js';
import { cancelWatcher, classifyCancel, decodeEvent, openPinnedWatcher, type WatchSubscriber } from './etcd-watch.js';

export interface EtcdWatchMuxContext {
  client: Etcd3;
  prefix: string;
  isCompacted(revision: number): Promise<boolean>;
}

interface Subscription {
  sub: WatchSubscriber;
  /** Events waiting behind the replay that runs in a microtask after joining. */
  pending: WatchEvent[] | undefined;
  stopped: boolean;
}

class SharedRangeWatch {
  private readonly subs = new Set<Subscription>();
  /** Recent events in revision order; every event of the range with revision ≥ coveredFrom is here or still to come. */
  private buffer: WatchEvent[] = [];
  private coveredFrom: number;
  private next: number;
  private watcher: Watcher | undefined;
  private closed = false;

  constructor(
    private readonly ctx: EtcdWatchMuxContext,
    range: KeyRange,
    from: number,
    private readonly bufferEvents: number,
    private readonly onClosed: () => void,
  ) {
    this.coveredFrom = from;
    this.next = from;
    this.watcher = openPinnedWatcher(ctx.client, ctx.prefix, range, from, {
      next: () => this.next,
      onEvent: (ev) => {
        const rev = Number(ev.kv.mod_revision);
        if (rev < this.next) return; // already seen before a reconnect
        this.next = rev + 1;
        this.publish(decodeEvent(ctx.prefix, ev));
      },
      onError: (err) => {
        if (this.closed) return;
        const subs = [...this.subs];
        this.close();
        void classifyCancel(ctx.isCompacted, err, this.next).then((e) => {
          for (const s of subs) s.sub.fail(e);
        });
      },
    });
  }

  get size(): number {
    return this.subs.size;
  }

  /** Adds `sub` when the buffer covers its next revision; replays what it missed asynchronously. */
  join(sub: WatchSubscriber): Watch | undefined {
    if (this.closed || sub.next < this.coveredFrom) return undefined;
    const s: Subscription = { sub, pending: this.buffer.filter((e) => e.revision >= sub.next), stopped: false };
    this.subs.add(s);
    queueMicrotask(() => {
      const replay = s.pending ?? [];
      s.pending = undefined;
      for (const e of replay) this.deliverTo(s, e);
    });
    return {
      stop: () => {
        if (s.stopped) return;
        s.stopped = true;
        this.subs.delete(s);
        if (this.subs.size === 0) this.close();
      },
    };
  }

  private publish(e: WatchEvent): void {
    this.buffer.push(e);
    if (this.buffer.length > 2 * this.bufferEvents) {
      const dropped = this.buffer.splice(0, this.buffer.length - this.bufferEvents);
      this.coveredFrom = dropped[dropped.length - 1]!.revision + 1;
    }
    for (const s of this.subs) {
      if (s.pending) s.pending.push(e);
      else this.deliverTo(s, e);
    }
  }

  private deliverTo(s: Subscription, e: WatchEvent): void {
    if (s.stopped || e.revision < s.sub.next) return;
    s.sub.next = e.revision + 1;
    s.sub.deliver(e);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subs.clear();
    this.buffer = [];
    const w = this.watcher;
    this.watcher = undefined;
    if (w) cancelWatcher(w);
    this.onClosed();
  }
}

export class EtcdWatchMux {
  private readonly shared = new Map<string, SharedRangeWatch>();

  constructor(
    private readonly ctx: EtcdWatchMuxContext,
    private readonly bufferEvents = 1000,
  ) {}

  /** Shared etcd watches open now (for tests and metrics). */
  get openWatches(): number {
    return this.shared.size;
  }

  /**
   * Joins `sub` to the shared watch of `range`, opening one from `sub.next` when there is none;
   * undefined when the open one cannot replay back to `sub.next` (the caller watches alone).
   */
  join(range: KeyRange, sub: WatchSubscriber): Watch | undefined {
    const key = `${range.start}\0${range.end}`;
    let s = this.shared.get(key);
    if (!s) {
      const created: SharedRangeWatch = new SharedRangeWatch(this.ctx, range, sub.next, this.bufferEvents, () => {
        if (this.shared.get(key) === created) this.shared.delete(key);
      });
      s = created;
      this.shared.set(key, s);
    }
    return s.join(sub);
  }
}
