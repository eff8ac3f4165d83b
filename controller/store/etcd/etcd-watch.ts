/**
 * One Store watch over an etcd watch. etcd3@1.1.2 reconnects watch streams by itself but
 * resumes from the response header's revision + 1, which can skip events a catching-up watcher
 * had not been sent yet; and it reports a watch cancelled by compaction only as a bare
 * "Watcher canceled" error. So (1) `openPinnedWatcher` pins the resume revision to the last event
 * delivered + 1 after every response and reconnect, and (2) on any cancellation `classifyCancel`
 * asks etcd for a read at the watch's revision: "compacted" → `Expired`, otherwise `Unavailable`.
 *
 * A Store watch first joins the shared etcd watch of its key range (etcd-watch-mux.ts: one etcd
 * watch and one decode per event for every API watch of that range); only a watch starting
 * before what the shared watch can replay opens an etcd watch of its own.
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { KeyValue } from './etcd-proto.js';
import { StoreError } from '../errors.js';
import type { KeyRange } from '../core/keys.js';
import type { Watch, WatchEvent, WatchOptions } from '../store.js';
import { decodeObject } from './etcd-codec.js';
import { isCompactedMessage, toStoreError } from './etcd-errors.js';

export interface EtcdEventLike {
  type: string;
  kv: IKeyValue;
  prev_kv?: IKeyValue | null;
}

interface WatchResponseLike {
  events: EtcdEventLike[];
}

/** The parts of etcd3's Watcher this module relies on (its request is mutable by design). */
type PinnableWatcher = Watcher & { request: { start_revision?: number | string } };

/** A subscriber of a shared etcd watch: gets every event with revision ≥ `next`, in order. */
export interface WatchSubscriber {
  next: number;
  deliver(e: WatchEvent): void;
  fail(err: Error): void;
}

export interface EtcdWatchContext {
  client: Etcd3;
  /** The etcd key prefix every store key is stored under. */
  prefix: string;
  /** Reads the current state of `range` (linearizable) with its revision. */
  snapshot(range: KeyRange): Promise<{ revision: number; kvs: KeyValue[] }>;
  /** Resolves true when a read at `revision` fails because it was compacted. */
  isCompacted(revision: number): Promise<boolean>;
  /** Called when the watch ends for good (so the store stops tracking it). */
  forget(w: EtcdStoreWatch): void;
  /** Joins the shared etcd watch of `range`; undefined when it cannot serve `sub.next`. */
  share?(range: KeyRange, sub: WatchSubscriber): Watch | undefined;
}

/**
 * Opens an etcd watch of `range` from revision `from` (with previous values) whose resume
 * revision stays pinned to `next()` — the next revision its owner still needs.
 */
export function openPinnedWatcher(
  client: Etcd3,
  prefix: string,
  range: KeyRange,
  from: number,
  h: { next(): number; onEvent(ev: EtcdEventLike): void; onError(err: Error): void },
): Watcher {
  const w = client
    .watch()
    .inRange({ start: Buffer.from(prefix + range.start), end: Buffer.from(prefix + range.end) })
    .startRevision(String(from))
    .withPreviousKV()
    .watcher() as PinnableWatcher;
  const pin = () => {
    w.request.start_revision = h.next();
  };
  // Registered after etcd3's own listeners, so these run after its revision bookkeeping.
  w.on('data', (res: WatchResponseLike) => {
    for (const ev of res.events) h.onEvent(ev);
    pin();
  });
  w.on('connected', pin);
  w.on('error', (err: Error) => h.onError(err));
  return w;
}

/** Cancels an etcd watch, ignoring what it still emits. */
export function cancelWatcher(w: Watcher): void {
  w.removeAllListeners('data');
  w.on('error', () => undefined);
  void w.cancel().catch(() => undefined);
}

/** The Store event for an etcd event (a DELETED carries the previous value, or a tombstone). */
export function decodeEvent(prefix: string, ev: EtcdEventLike): WatchEvent {
  const rev = Number(ev.kv.mod_revision);
  if (ev.type === 'Delete') {
    const last = ev.prev_kv ? decodeObject(ev.prev_kv.value, rev) : tombstone(prefix, ev.kv, rev);
    return { type: 'DELETED', object: last, revision: rev };
  }
  const created = ev.kv.version === '1' || ev.kv.create_revision === ev.kv.mod_revision;
  return { type: created ? 'ADDED' : 'MODIFIED', object: decodeObject(ev.kv.value, rev), revision: rev };
}

/** A DELETED without its previous value (etcd lost it to compaction): name and version only. */
function tombstone(prefix: string, kv: IKeyValue, rev: number) {
  const key = kv.key.toString('utf8').slice(prefix.length);
  return { metadata: { name: key.slice(key.lastIndexOf('/') + 1), resourceVersion: String(rev) } };
}

/** Why an etcd watch that still needed revision `next` was cancelled: `Expired` or `Unavailable`. */
export async function classifyCancel(isCompacted: (revision: number) => Promise<boolean>, err: Error, next: number): Promise<StoreError> {
  let compacted = isCompactedMessage(err.message);
  if (!compacted) compacted = await isCompacted(next - 1).catch(() => false);
  return compacted
    ? new StoreError('Expired', `etcd: watch from revision ${next - 1} was cancelled: that revision has been compacted`)
    : toStoreError(err);
}

export class EtcdStoreWatch implements Watch, WatchSubscriber {
  private stopped = false;
  private watcher: Watcher | undefined;
  private shared: Watch | undefined;
  /** The next revision this watch must deliver. */
  next = 0;

  constructor(
    private readonly ctx: EtcdWatchContext,
    private readonly range: KeyRange,
    private readonly opts: WatchOptions,
  ) {}

  /** Begins: snapshot (fromRevision 0) or replay from the revision, then live events. */
  start(): void {
    const from = this.opts.fromRevision ?? 0;
    if (!Number.isSafeInteger(from) || from < 0) {
      this.fail(new StoreError('BadRequest', `fromRevision ${from}: must be a non-negative integer`));
      return;
    }
    if (from > 0) {
      this.next = from + 1;
      queueMicrotask(() => this.attach());
      return;
    }
    this.ctx
      .snapshot(this.range)
      .then(({ revision, kvs }) => {
        if (this.stopped) return;
        for (const kv of kvs) this.deliver({ type: 'ADDED', object: decodeObject(kv.value, kv.modRevision), revision });
        this.next = revision + 1;
        this.attach();
      })
      .catch((err: unknown) => this.fail(toStoreError(err)));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ctx.forget(this);
    this.shared?.stop();
    this.shared = undefined;
    const w = this.watcher;
    this.watcher = undefined;
    if (w) cancelWatcher(w);
  }

  /** Ends the watch with `err` (once). */
  fail(err: Error): void {
    if (this.stopped) return;
    this.stop();
    queueMicrotask(() => this.opts.onError(err));
  }

  /** Delivers one event (the shared watch calls this only for revisions ≥ `next`, having advanced it). */
  deliver(e: WatchEvent): void {
    if (this.stopped) return;
    try {
      this.opts.onEvent(e);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  private attach(): void {
    if (this.stopped) return;
    this.shared = this.ctx.share?.(this.range, this);
    if (this.shared) return;
    this.watcher = openPinnedWatcher(this.ctx.client, this.ctx.prefix, this.range, this.next, {
      next: () => this.next,
      onEvent: (ev) => {
        const rev = Number(ev.kv.mod_revision);
        if (rev < this.next) return; // already delivered before a reconnect
        this.next = rev + 1;
        this.deliver(decodeEvent(this.ctx.prefix, ev));
      },
      onError: (err) => {
        if (this.stopped) return;
        this.watcher = undefined;
        void classifyCancel(this.ctx.isCompacted, err, this.next).then((e) => this.fail(e));
      },
    });
  }
}
