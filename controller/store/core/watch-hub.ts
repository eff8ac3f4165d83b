import { StoreError } from '../errors.js';
import type { Watch, WatchEvent, WatchOptions } from '../store.js';
import { inRange, type KeyRange } from './keys.js';

interface Watcher {
  range: KeyRange;
  /** Events at or below this revision were already replayed or are not wanted. */
  after: number;
  opts: WatchOptions;
  queue: WatchEvent[];
  scheduled: boolean;
  stopped: boolean;
}

/**
 * In-process watch fan-out for single-writer backends. Writers call `publish` synchronously right
 * after their commit, so each watcher's queue is filled in commit (= revision) order; a watcher
 * registered with its replayed history in the same synchronous step can neither miss nor repeat
 * an event. Delivery happens later (setImmediate), in batches, so a slow `onEvent` never runs
 * inside a writer's call.
 */
export class WatchHub {
  private readonly watchers = new Set<Watcher>();

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Registers a watcher whose first events are `initial` (already in order); later published
   * events reach it only when their revision is above `after`.
   */
  add(range: KeyRange, after: number, opts: WatchOptions, initial: WatchEvent[]): Watch {
    const w: Watcher = { range, after, opts, queue: initial, scheduled: false, stopped: false };
    this.watchers.add(w);
    if (initial.length > 0) this.schedule(w);
    return { stop: () => this.remove(w) };
  }

  /** A watch that fails at once (asynchronously, as every delivery is). */
  failed(opts: WatchOptions, err: Error): Watch {
    let stopped = false;
    setImmediate(() => {
      if (!stopped) opts.onError(err);
    });
    return { stop: () => void (stopped = true) };
  }

  /** True when some watcher covers `key` (lets writers skip building the event). */
  interested(key: string): boolean {
    for (const w of this.watchers) if (inRange(w.range, key)) return true;
    return false;
  }

  publish(key: string, event: WatchEvent): void {
    for (const w of this.watchers) {
      if (event.revision <= w.after || !inRange(w.range, key)) continue;
      w.queue.push(event);
      this.schedule(w);
    }
  }

  /** Ends every watcher with `err` (store closed or failed). */
  failAll(err: Error): void {
    for (const w of [...this.watchers]) {
      this.remove(w);
      setImmediate(() => w.opts.onError(err));
    }
  }

  private remove(w: Watcher): void {
    w.stopped = true;
    w.queue = [];
    this.watchers.delete(w);
  }

  private schedule(w: Watcher): void {
    if (w.scheduled) return;
    w.scheduled = true;
    queueMicrotask(() => this.flush(w));
  }

  private flush(w: Watcher): void {
    w.scheduled = false;
    const batch = w.queue;
    w.queue = [];
    for (const ev of batch) {
      if (w.stopped) return;
      try {
        w.opts.onEvent(ev);
      } catch (err) {
        this.remove(w);
        w.opts.onError(err instanceof Error ? err : new StoreError('Unavailable', `watch handler threw: ${String(err)}`));
        return;
      }
    }
  }
}
