/**
 * The thin runner every controller shares: workers take keys from a WorkQueue and call the
 * controller's `sync(key)`; a thrown error retries the key with backoff, a returned
 * `requeueAfterMs` re-checks it later (lease expiry, rollout progress). The reconcile logic
 * itself lives in each controller's pure core; `sync` only reads caches and calls the API.
 */
import type { Logger } from 'winston';
import { WorkQueue } from './work-queue.js';
import type { Clock } from './clock.js';

export interface SyncResult {
  requeueAfterMs?: number;
}

export interface ControllerSpec {
  name: string;
  sync(key: string): Promise<SyncResult | void>;
  workers?: number;
  /** Retries after this many consecutive failures stop (the key waits for its next event). */
  maxRetries?: number;
  logger?: Pick<Logger, 'warn' | 'debug'>;
  clock?: Clock;
  /** Until true (informers listed), keys wait: acting on a partial cache would undo real state. */
  ready?: () => boolean;
}

export interface RunningController {
  readonly name: string;
  readonly queue: WorkQueue;
  /** Resolves when no key is queued or in flight (tests and benchmarks wait on it). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function runController(spec: ControllerSpec): RunningController {
  const queue = new WorkQueue({ clock: spec.clock });
  const maxRetries = spec.maxRetries ?? 15;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const checkIdle = () => {
    if (inFlight === 0 && queue.len() === 0) {
      const ws = idleWaiters;
      idleWaiters = [];
      for (const w of ws) w();
    }
  };
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      inFlight++;
      try {
        if (spec.ready && !spec.ready()) {
          queue.addAfter(key, 100);
          continue;
        }
        const r = await spec.sync(key);
        queue.forget(key);
        if (r && r.requeueAfterMs !== undefined) queue.addAfter(key, r.requeueAfterMs);
      } catch (err) {
        const n = queue.failureCount(key);
        spec.logger?.warn(`${spec.name}: sync ${key} failed (attempt ${n + 1}): ${(err as Error).message}`);
        if (n < maxRetries) queue.addRateLimited(key);
        else queue.forget(key);
      } finally {
        inFlight--;
        queue.done(key);
        checkIdle();
      }
    }
  };
  const workers = Array.from({ length: spec.workers ?? 1 }, () => worker());
  return {
    name: spec.name,
    queue,
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    stop: async () => {
      queue.shutdown();
      await Promise.all(workers);
    },
  };
}
