/**
 * One Store watch over an etcd watch. etcd3@1.1.2 reconnects watch streams by itself but
 * resumes from the response header's revision + 1, which can skip events a catching-up watcher
 * had not been sent yet; and it reports a watch cancelled by compaction only as a bare
 * "Watcher canceled" error. So this adapter (1) pins the resume revision to the last event it
 * delivered + 1 after every response and reconnect, and (2) on any cancellation asks etcd for a
 * read at the watch's revision: "compacted" → `Expired`, otherwise `Unavailable`.
 */
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { StoreError } from '../errors.js';
import type { KeyRange } from '../core/keys.js';
import type { Watch, WatchEvent, WatchOptions } from '../store.js';
import { decodeObject } from './etcd-codec.js';
import { isCompactedMessage, toStoreError } from './etcd-errors.js';

interface WatchResponseLike {
  events: { type: string; kv: IKeyValue; prev_kv?: IKeyValue | null }[];
}

/** The parts of etcd3's Watcher this adapter relies on (its request is mutable by design). */
type PinnableWatcher = Watcher & { request: { start_revision?: number | string } };

export interface EtcdWatchContext {
  client: Etcd3;
  /** The etcd key prefix every store key is stored under. */
  prefix: string;
  /** Reads the current state of `range` (linearizable) with its revision. */
  snapshot(range: KeyRange): Promise<{ revision: number; kvs: IKeyValue[] }>;
  /** Resolves true when a read at `revision` fails because it was compacted. */
  isCompacted(revision: number): Promise<boolean>;
  /** Called when the watch ends for good (so the store stops tracking it). */
  forget(w: EtcdStoreWatch): void;
}

export class EtcdStoreWatch implements Watch {
  private stopped = false;
  private watcher: PinnableWatcher | undefined;
  /** The next revision this watch must deliver. */
  private next = 0;

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
        for (const kv of kvs) this.deliver({ type: 'ADDED', object: decodeObject(kv.value, Number(kv.mod_revision)), revision });
        this.next = revision + 1;
        this.attach();
      })
      .catch((err: unknown) => this.fail(toStoreError(err)));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ctx.forget(this);
    const w = this.watcher;
    this.watcher = undefined;
    if (w) {
      w.removeAllListeners('data');
      w.on('error', () => undefined);
      void w.cancel().catch(() => undefined);
    }
  }

  /** Ends the watch with `err` (once). */
  fail(err: Error): void {
    if (this.stopped) return;
    this.stop();
    queueMicrotask(() => this.opts.onError(err));
  }

  private attach(): void {
    if (this.stopped) return;
    const p = this.ctx.prefix;
    const w = this.ctx.client
      .watch()
      .inRange({ start: Buffer.from(p + this.range.start), end: Buffer.from(p + this.range.end) })
      .startRevision(String(this.next))
      .withPreviousKV()
      .watcher() as PinnableWatcher;
    this.watcher = w;
    const pin = () => {
      w.request.start_revision = this.next;
    };
    // Registered after etcd3's own listeners, so these run after its revision bookkeeping.
    w.on('data', (res: WatchResponseLike) => {
      for (const ev of res.events) this.onEvent(ev);
      pin();
    });
    w.on('connected', pin);
    w.on('error', (err: Error) => {
      if (this.stopped) return;
      this.watcher = undefined;
      void this.classify(err);
    });
  }

  private onEvent(ev: WatchResponseLike['events'][number]): void {
    const rev = Number(ev.kv.mod_revision);
    if (rev < this.next) return; // already delivered before a reconnect
    this.next = rev + 1;
    if (ev.type === 'Delete') {
      const last = ev.prev_kv ? decodeObject(ev.prev_kv.value, rev) : this.tombstone(ev.kv, rev);
      this.deliver({ type: 'DELETED', object: last, revision: rev });
      return;
    }
    const created = ev.kv.version === '1' || ev.kv.create_revision === ev.kv.mod_revision;
    this.deliver({ type: created ? 'ADDED' : 'MODIFIED', object: decodeObject(ev.kv.value, rev), revision: rev });
  }

  /** A DELETED without its previous value (etcd lost it to compaction): name and version only. */
  private tombstone(kv: IKeyValue, rev: number) {
    const key = kv.key.toString('utf8').slice(this.ctx.prefix.length);
    return { metadata: { name: key.slice(key.lastIndexOf('/') + 1), resourceVersion: String(rev) } };
  }

  private deliver(e: WatchEvent): void {
    if (this.stopped) return;
    try {
      this.opts.onEvent(e);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  private async classify(err: Error): Promise<void> {
    let compacted = isCompactedMessage(err.message);
    if (!compacted) compacted = await this.ctx.isCompacted(this.next - 1).catch(() => false);
    this.fail(
      compacted
        ? new StoreError('Expired', `etcd: watch from revision ${this.next - 1} was cancelled: that revision has been compacted`)
        : toStoreError(err),
    );
  }
}
