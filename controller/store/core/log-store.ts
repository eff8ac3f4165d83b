import { StoreError } from '../errors.js';
import type {
  DeleteOptions,
  ListOptions,
  ListResult,
  Store,
  StoredObject,
  UpdateOptions,
  Watch,
  WatchEvent,
  WatchEventType,
  WatchOptions,
} from '../store.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import type { CurrentRow, LogEngine, LogRow, RowType } from './engine.js';
import { CompactionPolicy, DEFAULT_HISTORY, type HistoryWindow } from './history.js';
import { assertObjectKey, keyRange, type KeyRange } from './keys.js';
import { WatchHub } from './watch-hub.js';
import { retryUpdateOnConflict } from './guaranteed-update.js';
import { rememberEventJson, rememberJson } from './serialized.js';
import { RecentRows } from './recent-rows.js';

export interface LogStoreOptions {
  history?: HistoryWindow;
  /** Errors of background compaction (the store keeps serving; the next tick retries). */
  onBackgroundError?: (err: Error) => void;
  /** Bytes of current rows kept in memory (default RECENT_BYTES). */
  recentBytes?: number;
}

interface PendingWrite {
  op: 'create' | 'update' | 'delete';
  key: string;
  obj?: StoredObject;
  expected?: number | undefined;
  resolve(obj: StoredObject): void;
  reject(err: unknown): void;
}

interface Accepted {
  w: PendingWrite;
  row: LogRow;
  result: StoredObject;
}

const EVENT: Record<RowType, WatchEventType> = { 0: 'ADDED', 1: 'MODIFIED', 2: 'DELETED' };
/**
 * Bytes of current rows kept in memory (see `recent`): enough for the working set of a busy
 * cluster's writes (10,000 pods and 1,000 EndpointSlices are ≈15 MB), so an update's read of the
 * current state and its precondition check do not go to the engine.
 */
const RECENT_BYTES = 32 * 1024 * 1024;
/** Revisions dropped per compaction transaction, so one chunk never stalls writers for long. */
const DROP_CHUNK = 2000;

/** Parses a stored document and stamps the revision it was read at. */
function decode(value: string, rev: number): StoredObject {
  const obj = JSON.parse(value) as StoredObject;
  const md = obj.metadata && typeof obj.metadata === 'object' ? obj.metadata : (obj.metadata = {});
  md.resourceVersion = String(rev);
  return obj;
}

/** A shallow copy of `obj` carrying `resourceVersion` = rev (the caller's object is not touched). */
function stamp(obj: StoredObject, rev: number): StoredObject {
  const md = obj.metadata && typeof obj.metadata === 'object' ? obj.metadata : {};
  return { ...obj, metadata: { ...md, resourceVersion: String(rev) } };
}

const parseRevision = (text: string, field: string): number => {
  if (!/^\d{1,15}$/.test(text)) throw new StoreError('BadRequest', `${field} ${JSON.stringify(text)}: must be a non-negative integer`);
  return Number(text);
};

/**
 * The Store semantics for single-writer backends over a revision log (`LogEngine`): MVCC reads
 * for continue tokens and exact-revision lists, watch replay from the log, compaction by the
 * history window. Writes are queued and group-committed (see `flush`): one synchronous step runs
 * precondition checks, the commit and the watch fan-out for a batch, so concurrent callers are
 * serialised by the event loop: call order = revision order = commit order = watch order, with no
 * locks, and concurrent writers share one fsync.
 */
export class LogStore implements Store {
  /** The newest revision readers see: committed and durable, published to watchers. */
  private rev: number;
  /** The newest revision committed to the engine (ahead of `rev` while its sync runs). */
  private head: number;
  /** Keys written by commits not yet durable → their newest such revision. */
  private readonly dirty = new Map<string, number>();
  /** Committed batches waiting for their sync, in revision order. */
  private awaiting: { rev: number; accepted: Accepted[] }[] = [];
  private syncing = false;
  private durableWaiters: { rev: number; resolve(): void; reject(err: unknown): void }[] = [];
  /** Set when a sync failed: nothing written since can be promised durable, so the store stops. */
  private failure: StoreError | undefined;
  private compacted: number;
  private dropped: number;
  private closed = false;
  private readonly hub = new WatchHub();
  private readonly policy: CompactionPolicy;
  private readonly timer: NodeJS.Timeout | undefined;
  private compaction: Promise<number> = Promise.resolve(0);
  private pending: PendingWrite[] = [];
  /**
   * Current rows read or updated lately, bounded by size: the API server reads the same objects
   * it writes (an update's current state, a create's namespace). The store is the only writer,
   * and `commitPending` refreshes or drops a kept key in the same step as its commit.
   */
  private readonly recent: RecentRows;
  private flushScheduled = false;

  constructor(
    private readonly engine: LogEngine,
    private readonly opts: LogStoreOptions = {},
  ) {
    const s = engine.loadState();
    this.rev = s.revision;
    this.head = s.revision;
    this.compacted = s.compacted;
    this.dropped = s.dropped;
    this.policy = new CompactionPolicy(opts.history);
    this.recent = new RecentRows(opts.recentBytes ?? RECENT_BYTES);
    const interval = opts.history?.intervalMs ?? DEFAULT_HISTORY.intervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.compact().catch((err: unknown) => {
          if (!this.closed) this.opts.onBackgroundError?.(err instanceof Error ? err : new Error(String(err)));
        });
      }, interval);
      this.timer.unref();
    }
  }

  async get(key: string): Promise<StoredObject | null> {
    const c = await this.currentRow(key);
    if (!c) return null;
    return decode(c.value, c.rev);
  }

  private async currentRow(key: string): Promise<CurrentRow | undefined> {
    this.assertOpen();
    assertObjectKey(key);
    // A key written by a commit whose sync still runs is read once that commit is durable (the
    // state of other keys is read at once: they have no newer, undurable version).
    for (let d = this.dirty.get(key); d !== undefined && d > this.rev; d = this.dirty.get(key)) await this.durable(d);
    let c = this.recent.get(key);
    if (!c) {
      c = this.engine.current(key);
      if (c) this.recent.put(c);
    }
    return c;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const range = keyRange(prefix);
    const limit = opts.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new StoreError('BadRequest', `limit ${limit}: must be a non-negative integer`);
    let at: number;
    let after = '';
    if (opts.continue) {
      const t = decodeContinue(opts.continue);
      if (t.revision > this.rev) throw new StoreError('BadRequest', 'continue token: from the future of this store');
      if (t.revision < this.compacted) {
        throw new StoreError('Expired', `continue token at revision ${t.revision} is older than the compacted revision ${this.compacted}`);
      }
      at = t.revision;
      after = t.lastKey;
    } else {
      at = this.listRevision(opts);
    }
    const rows = this.readAt(range, after, at, limit > 0 ? limit + 1 : -1);
    const more = limit > 0 && rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const result: ListResult = { items: page.map((r) => decode(r.value, r.rev)), revision: at };
    if (more) result.continue = encodeContinue({ revision: at, lastKey: page[page.length - 1]!.key });
    return result;
  }

  create(key: string, obj: StoredObject): Promise<StoredObject> {
    return this.enqueue({ op: 'create', key, obj });
  }

  update(key: string, obj: StoredObject, opts: UpdateOptions = {}): Promise<StoredObject> {
    return this.enqueue({ op: 'update', key, obj, expected: opts.expectedRevision });
  }

  guaranteedUpdate(
    key: string,
    fn: (current: StoredObject) => StoredObject | null | Promise<StoredObject | null>,
  ): Promise<StoredObject> {
    return retryUpdateOnConflict(this, key, fn);
  }

  delete(key: string, opts: DeleteOptions = {}): Promise<StoredObject> {
    return this.enqueue({ op: 'delete', key, expected: opts.expectedRevision });
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    let range: KeyRange;
    let initial: WatchEvent[];
    let after: number;
    try {
      this.assertOpen();
      range = keyRange(prefix);
      const from = opts.fromRevision ?? 0;
      if (!Number.isSafeInteger(from) || from < 0) {
        throw new StoreError('BadRequest', `fromRevision ${from}: must be a non-negative integer`);
      }
      after = from;
      if (from === 0) {
        const at = this.rev;
        after = at;
        initial = this.readAt(range, '', at, -1).map((r) => ({ type: 'ADDED', object: decode(r.value, r.rev), revision: at }));
      } else if (from < this.compacted) {
        throw new StoreError('Expired', `revision ${from} is older than the compacted revision ${this.compacted}`);
      } else {
        // Rows committed but not yet durable are published when their sync completes.
        initial = this.engine
          .tail(range, from)
          .filter((r) => r.rev <= this.rev)
          .map((r) => this.event(r));
      }
    } catch (err) {
      return this.hub.failed(opts, err instanceof Error ? err : new Error(String(err)));
    }
    return this.hub.add(range, after, opts, initial);
  }

  async currentRevision(): Promise<number> {
    this.assertOpen();
    return this.rev;
  }

  compact(): Promise<number> {
    const run = async (): Promise<number> => {
      this.assertOpen();
      const target = this.policy.target(this.rev);
      if (target > this.compacted) {
        this.engine.markCompacted(target);
        this.compacted = target;
      }
      while (this.dropped < this.compacted && !this.closed) {
        const to = Math.min(this.compacted, this.dropped + DROP_CHUNK);
        this.engine.dropHistory(this.dropped, to);
        this.dropped = to;
        if (to < this.compacted) await new Promise((r) => setImmediate(r));
      }
      return this.compacted;
    };
    this.compaction = this.compaction.then(run, run);
    return this.compaction;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // Writes queued before close are committed and acknowledged once durable (or rejected if a
    // sync fails); calls made from now on fail with Unavailable.
    while (!this.failure && (this.pending.length > 0 || this.syncing)) {
      if (this.syncing) await this.durable(this.head).catch(() => undefined);
      else this.commitPending();
    }
    this.hub.failAll(new StoreError('Unavailable', 'store closed'));
    await this.compaction.catch(() => undefined);
    this.engine.close();
  }

  private assertOpen(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new StoreError('Unavailable', 'store closed');
  }

  /** Resolves once revision `rev` is durable and visible (at once when it already is). */
  private durable(rev: number): Promise<void> {
    if (rev <= this.rev) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.durableWaiters.push({ rev, resolve, reject }));
  }

  /**
   * Runs one engine sync for every batch committed so far; batches committed while it runs wait
   * for the next one (so a sync covers everything that queued behind the previous one).
   */
  private startSync(): void {
    if (this.syncing || this.awaiting.length === 0 || this.failure) return;
    this.syncing = true;
    const upto = this.head;
    this.engine.sync!().then(
      () => {
        this.syncing = false;
        while (this.awaiting.length > 0 && this.awaiting[0]!.rev <= upto) {
          const b = this.awaiting.shift()!;
          this.release(b.accepted, b.rev);
        }
        if (this.pending.length > 0) this.commitPending();
        else this.startSync();
      },
      (err: unknown) => {
        this.syncing = false;
        this.fail(new StoreError('Unavailable', `store failed: syncing the log to disk failed: ${err instanceof Error ? err.message : String(err)}`));
      },
    );
  }

  /** Makes a durable batch visible: revision, watch events, then the writers' answers. */
  private release(accepted: Accepted[], rev: number): void {
    this.rev = rev;
    for (const a of accepted) if (this.dirty.get(a.row.key) === a.row.rev) this.dirty.delete(a.row.key);
    for (const a of accepted) this.publish(a.row.key, a.row.type, a.row.value, a.row.rev);
    for (const a of accepted) {
      // A create's or update's row value is exactly the result's serialisation.
      if (a.row.type !== 2) rememberJson(a.result, a.row.value);
      a.w.resolve(a.result);
    }
    if (this.durableWaiters.length > 0) {
      const ready = this.durableWaiters.filter((d) => d.rev <= rev);
      this.durableWaiters = this.durableWaiters.filter((d) => d.rev > rev);
      for (const d of ready) d.resolve();
    }
  }

  /**
   * After a failed sync the committed-but-unsynced writes may or may not be on disk, and the
   * kernel may have dropped the pages it could not write: no later write could be promised
   * durable either. Every waiting write and reader is rejected and the store answers Unavailable.
   */
  private fail(err: StoreError): void {
    this.failure = err;
    for (const b of this.awaiting) for (const a of b.accepted) a.w.reject(err);
    this.awaiting = [];
    for (const w of this.pending) w.reject(err);
    this.pending = [];
    for (const d of this.durableWaiters) d.reject(err);
    this.durableWaiters = [];
    this.hub.failAll(err);
  }

  private precondition(key: string, rev: number, expected: number | undefined): void {
    if (expected !== undefined && expected !== rev) {
      throw new StoreError('Conflict', `${key}: expected revision ${expected}, stored revision is ${rev}`, key);
    }
  }

  private enqueue(w: Omit<PendingWrite, 'resolve' | 'reject'>): Promise<StoredObject> {
    return new Promise((resolve, reject) => {
      try {
        this.assertOpen();
        assertObjectKey(w.key);
        if (w.obj !== undefined && (w.obj === null || typeof w.obj !== 'object' || Array.isArray(w.obj))) {
          throw new StoreError('BadRequest', 'object: must be a JSON object', w.key);
        }
      } catch (err) {
        reject(err);
        return;
      }
      this.pending.push({ ...w, resolve, reject });
      // While a sync runs, its completion commits what queued meanwhile.
      if (!this.flushScheduled && !this.syncing) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Group commit: every write queued since the last flush is checked in call order against the
   * committed state plus the batch's own earlier writes, and the accepted ones are committed in
   * one transaction (one fsync for the batch). Only then are revisions published, watchers fed and
   * callers resolved. A failed commit rejects the whole batch and consumes no revision.
   */
  private flush(): void {
    this.flushScheduled = false;
    if (!this.syncing) this.commitPending();
  }

  /**
   * Commits the queued writes as one batch. With an engine that syncs later this runs at most
   * once per sync: writes that queue while a sync runs are committed together when it completes
   * (one transaction, one sync for all of them, as when the commit itself waited for the disk).
   */
  private commitPending(): void {
    const batch = this.pending;
    this.pending = [];
    if (this.failure) {
      for (const w of batch) w.reject(this.failure);
      return;
    }
    const overlay = new Map<string, CurrentRow | null>();
    const live = (key: string): CurrentRow | undefined =>
      overlay.has(key) ? (overlay.get(key) ?? undefined) : (this.recent.get(key) ?? this.engine.current(key));
    const accepted: Accepted[] = [];
    let rev = this.head;
    for (const w of batch) {
      try {
        const curRev = overlay.has(w.key) ? overlay.get(w.key)?.rev : (this.recent.get(w.key)?.rev ?? this.engine.currentRev(w.key));
        let row: LogRow;
        let result: StoredObject;
        if (w.op === 'create') {
          if (curRev !== undefined) throw new StoreError('AlreadyExists', `${w.key} already exists`, w.key);
          result = stamp(w.obj!, rev + 1);
          row = { rev: rev + 1, key: w.key, type: 0, prev: 0, value: JSON.stringify(result) };
        } else {
          if (curRev === undefined) throw new StoreError('NotFound', `${w.key} not found`, w.key);
          this.precondition(w.key, curRev, w.expected);
          if (w.op === 'update') {
            result = stamp(w.obj!, rev + 1);
            row = { rev: rev + 1, key: w.key, type: 1, prev: curRev, value: JSON.stringify(result) };
          } else {
            const cur = live(w.key)!;
            result = decode(cur.value, rev + 1);
            row = { rev: rev + 1, key: w.key, type: 2, prev: cur.rev, value: cur.value };
          }
        }
        rev++;
        overlay.set(w.key, row.type === 2 ? null : { key: w.key, rev: row.rev, value: row.value });
        accepted.push({ w, row, result });
      } catch (err) {
        w.reject(err);
      }
    }
    if (accepted.length === 0) return;
    try {
      this.engine.append(accepted.map((a) => a.row));
    } catch (err) {
      for (const a of accepted) a.w.reject(err);
      return;
    }
    this.head = rev;
    // `recent` follows the committed state (later batches are checked against it); readers of a
    // key whose newest commit is not durable yet wait for it in `get`.
    // An update's row is kept (the next update of the key reads it); a create's is not (in a
    // create storm nothing reads the new rows again): its first update or read keeps it.
    for (const a of accepted) {
      const { key, type, value } = a.row;
      if (type === 1) this.recent.put({ key, rev: a.row.rev, value });
      else this.recent.drop(key);
    }
    if (!this.engine.sync) {
      this.release(accepted, rev);
      return;
    }
    for (const a of accepted) this.dirty.set(a.row.key, a.row.rev);
    this.awaiting.push({ rev, accepted });
    this.startSync();
  }

  private publish(key: string, type: RowType, value: string, rev: number): void {
    if (this.hub.size === 0 || !this.hub.interested(key)) return;
    if (type === 2) {
      // A delete's row holds the previous revision's state: its object needs the new revision.
      this.hub.publish(key, { type: EVENT[type], object: decode(value, rev), revision: rev });
      return;
    }
    // Parsing the stored text and setting the same resourceVersion it already carries gives it
    // back unchanged, so the text is the event object's JSON. The object is parsed on first use
    // only (once for all watchers): watch streams without selectors forward the text as it is.
    let object: StoredObject | undefined;
    const event: WatchEvent = {
      type: EVENT[type],
      revision: rev,
      get object(): StoredObject {
        if (object === undefined) {
          object = decode(value, rev);
          rememberJson(object, value);
        }
        return object;
      },
    };
    rememberEventJson(event, value);
    this.hub.publish(key, event);
  }

  private event(r: LogRow): WatchEvent {
    return { type: EVENT[r.type], object: decode(r.value, r.rev), revision: r.rev };
  }

  private listRevision(opts: ListOptions): number {
    const rv = opts.resourceVersion ?? '';
    const exact = opts.resourceVersionMatch === 'Exact';
    if (opts.resourceVersionMatch !== undefined && opts.resourceVersionMatch !== 'Exact' && opts.resourceVersionMatch !== 'NotOlderThan') {
      throw new StoreError('BadRequest', `resourceVersionMatch ${JSON.stringify(opts.resourceVersionMatch)}: must be NotOlderThan or Exact`);
    }
    if (rv === '' || rv === '0') {
      if (exact) throw new StoreError('BadRequest', 'resourceVersionMatch Exact: needs a resourceVersion other than "0"');
      return this.rev;
    }
    const n = parseRevision(rv, 'resourceVersion');
    if (n > this.rev) {
      throw new StoreError('TooLargeResourceVersion', `resourceVersion ${n} is newer than the store's revision ${this.rev}`);
    }
    if (!exact) return this.rev;
    if (n < this.compacted) throw new StoreError('Expired', `resourceVersion ${n} is older than the compacted revision ${this.compacted}`);
    return n;
  }

  /**
   * Live rows in `range` after key `after` as of revision `at`, by key, at most `want` (-1: all).
   * Keys untouched since `at` come from the current state; for keys changed after `at`, the state
   * at `at` is the row their first later change superseded (gone or a delete: absent at `at`).
   */
  private readAt(range: KeyRange, after: string, at: number, want: number): CurrentRow[] {
    const base = this.engine.listCurrent(range, after, at, want);
    if (at === this.head) return base;
    const older: CurrentRow[] = [];
    for (const c of this.engine.firstChangesAfter(range, after, at)) {
      if (c.prev === 0) continue;
      const row = this.engine.row(c.prev);
      if (row && row.type !== 2) older.push({ key: row.key, rev: row.rev, value: row.value });
    }
    if (older.length === 0) return base;
    older.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const out: CurrentRow[] = [];
    let i = 0;
    let j = 0;
    while ((want < 0 || out.length < want) && (i < base.length || j < older.length)) {
      if (j >= older.length || (i < base.length && base[i]!.key < older[j]!.key)) out.push(base[i++]!);
      else out.push(older[j++]!);
    }
    return out;
  }
}
