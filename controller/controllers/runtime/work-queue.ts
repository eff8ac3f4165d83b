/**
 * A keyed work queue in the manner of client-go's workqueue: a key is queued at most once; a key
 * being processed that is added again is processed once more after `done`; failures are retried
 * with per-key exponential backoff. Controllers queue object keys (`namespace/name`) and always
 * reconcile from the latest cached state, so coalescing many events into one pass is correct.
 */
import { realClock, type Clock } from './clock.js';

export interface WorkQueueOptions {
  clock?: Clock;
  /** First retry delay (ms); doubles on each failure of the same key. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; handle: unknown }>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private shutDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.baseDelayMs = opts.baseDelayMs ?? 10;
    this.maxDelayMs = opts.maxDelayMs ?? 60_000;
  }

  /** Queues `key` unless it is already waiting. */
  add(key: string): void {
    if (this.shutDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const w = this.waiters.shift();
    if (w) {
      this.dirty.delete(key);
      this.processing.add(key);
      w(key);
      return;
    }
    this.queue.push(key);
  }

  /** Queues `key` after `ms`; an earlier pending delay for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shutDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const cur = this.delayed.get(key);
    if (cur && cur.at <= at) return;
    if (cur) this.clock.clearTimeout(cur.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Queues `key` after its backoff delay and counts a failure. */
  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, this.backoff(n));
  }

  /** The delay the n-th consecutive failure (0-based) waits. */
  backoff(n: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n, 30));
  }

  /** Clears the failure count of `key` (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Takes the next key without waiting; undefined when none is ready. */
  tryGet(): string | undefined {
    while (this.head < this.queue.length) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (!this.dirty.has(key)) continue;
      this.dirty.delete(key);
      this.processing.add(key);
      return key;
    }
    return undefined;
  }

  /** The next key, waiting for one; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.tryGet();
    if (key !== undefined || this.shutDown) return Promise.resolve(key);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Keys waiting (not counting delayed or in-flight ones). */
  len(): number {
    return this.dirty.size;
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  shutdown(): void {
    this.shutDown = true;
    for (const d of this.delayed.values()) this.clock.clearTimeout(d.handle);
    this.delayed.clear();
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w(undefined);
  }
}
