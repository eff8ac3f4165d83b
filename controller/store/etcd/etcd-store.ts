/**
 * The Store contract on etcd v3 (unary calls through our own HTTP/2 client, etcd-kv-client.ts;
 * watches through the maintained `etcd3` client):
 *
 * - key `K` is the etcd key `<prefix>K`; the value is the object's JSON without resourceVersion;
 * - resourceVersion = etcd's revision: `mod_revision` of a key, the header revision of a read;
 * - create = txn(create_revision(k) == 0 → put), update = txn(mod_revision(k) == expected → put;
 *   else read k to tell NotFound from Conflict), delete likewise with `prev_kv`;
 * - list = range at one revision (continue tokens carry it, so later pages read the same MVCC
 *   snapshot); watch = etcd watch from a revision with prev_kv (see etcd-watch.ts), one per key
 *   range shared by every watch of that range (etcd-watch-mux.ts);
 * - getCached: Namespaces from a cache fed by the shared watch (etcd-prefix-cache.ts), for the
 *   namespace check before a create — no etcd read on the create path;
 * - compaction: the history window of core/history.ts, then etcd Compact. It writes nothing (every
 *   revision stays a real change); when several API servers compact, the loser of a race finds
 *   the winner's revision by reading; reads and watches below it → `Expired`.
 *
 * Every unary call is bounded by `requestTimeoutMs`: on quorum loss the caller gets
 * `Unavailable` after at most that long, never a hang.
 */
import type { Etcd3 } from 'etcd3';
import { StoreError, isStoreError } from '../errors.js';
import { decodeContinue, encodeContinue } from '../core/continue-token.js';
import { CompactionPolicy, DEFAULT_HISTORY, type HistoryWindow } from '../core/history.js';
import { assertObjectKey, keyRange, type KeyRange } from '../core/keys.js';
import { retryUpdateOnConflict } from '../core/guaranteed-update.js';
import type { DeleteOptions, ListOptions, ListResult, Store, StoredObject, UpdateOptions, Watch, WatchOptions } from '../store.js';
import { decodeObject, encodeWrite, stampObject, type EncodedWrite } from './etcd-codec.js';
import { rememberJson } from '../core/serialized.js';
import { toStoreError } from './etcd-errors.js';
import { EtcdStoreWatch } from './etcd-watch.js';
import { EtcdWatchMux } from './etcd-watch-mux.js';
import { WatchedPrefixCache } from './etcd-prefix-cache.js';
import type { EtcdKvClient } from './etcd-kv-client.js';
import type { Compare, KeyValue, RequestOp, TxnResponse } from './etcd-proto.js';

export interface EtcdStoreConfig {
  /** etcd3's client of every member: watches. */
  client: Etcd3;
  /** Unary calls (Range, Txn, Compact) over our own HTTP/2 client (h2/), to the leader by default (etcd-kv-client.ts). */
  kv: EtcdKvClient;
  prefix: string;
  requestTimeoutMs: number;
  history?: HistoryWindow;
  /** One etcd watch per key range for all watches of it (default true). */
  shareWatches?: boolean;
  onBackgroundError?: (err: Error) => void;
}


const parseRevision = (text: string, field: string): number => {
  if (!/^\d{1,15}$/.test(text)) throw new StoreError('BadRequest', `${field} ${JSON.stringify(text)}: must be a non-negative integer`);
  return Number(text);
};

/**
 * The object a create or update returns, stamped with its revision, carrying its JSON text
 * (core/serialized.ts) so the API server answers without serialising it again.
 */
function written(obj: StoredObject, enc: EncodedWrite, rev: number): StoredObject {
  const out = stampObject(obj, rev);
  rememberJson(out, enc.textAt(rev));
  return out;
}

export class EtcdStore implements Store {
  private closed = false;
  private readonly watches = new Set<EtcdStoreWatch>();
  /** The shared etcd watches (undefined when every watch has its own). */
  readonly watchMux: EtcdWatchMux | undefined;
  private readonly policy: CompactionPolicy;
  private readonly timer: NodeJS.Timeout | undefined;
  private compaction: Promise<number> = Promise.resolve(0);
  /** A key no object uses (NUL cannot occur in store keys): reads of it cost nothing but return the revision. */
  private readonly probeKey: Buffer;
  /** The newest compaction this store performed or observed. */
  private compacted = 0;
  /** Namespaces for `getCached` (the check before every namespaced create), fed by a watch. */
  private readonly namespaces = new WatchedPrefixCache(this, '/core/namespaces/');

  constructor(private readonly cfg: EtcdStoreConfig) {
    this.policy = new CompactionPolicy(cfg.history);
    this.watchMux = cfg.shareWatches === false ? undefined : new EtcdWatchMux({ client: cfg.client, prefix: cfg.prefix, isCompacted: (r) => this.isCompacted(r) });
    this.probeKey = Buffer.from(`${cfg.prefix}\0probe`);
    const interval = cfg.history?.intervalMs ?? DEFAULT_HISTORY.intervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => {
        this.compact().catch((err: unknown) => {
          if (!this.closed) cfg.onBackgroundError?.(err instanceof Error ? err : new Error(String(err)));
        });
      }, interval);
      this.timer.unref();
    }
  }

  private k(key: string): Buffer {
    return Buffer.from(this.cfg.prefix + key);
  }

  /** Runs one etcd call with the request timeout (the client enforces it); maps failures to StoreErrors. */
  private async call<T>(what: string, fn: (kv: EtcdKvClient, timeoutMs: number) => Promise<T>, key?: string): Promise<T> {
    this.assertOpen();
    try {
      return await fn(this.cfg.kv, this.cfg.requestTimeoutMs);
    } catch (err) {
      if (this.closed) throw new StoreError('Unavailable', 'store closed', key);
      const e = toStoreError(err, key);
      if (e.code === 'Unavailable' && /timed out/.test(e.message)) {
        throw new StoreError('Unavailable', `etcd: ${what} did not complete within the request timeout of ${this.cfg.requestTimeoutMs} ms (is quorum lost?)`, key);
      }
      throw e;
    }
  }

  private txn(what: string, key: string, compare: Compare[], success: RequestOp[], failure: RequestOp[]): Promise<TxnResponse & { ambiguous: boolean }> {
    return this.call(what, (kv, ms) => kv.txn({ compare, success, failure }, ms), key);
  }

  async get(key: string): Promise<StoredObject | null> {
    this.assertOpen();
    assertObjectKey(key);
    const res = await this.call('get', (kv, ms) => kv.range({ key: this.k(key) }, ms), key);
    const kv = res.kvs[0];
    return kv ? decodeObject(kv.value, kv.modRevision) : null;
  }

  /** Namespaces from the watch-fed cache (etcd-prefix-cache.ts); any other key, or a miss, is `get`. */
  getCached(key: string): Promise<StoredObject | null> {
    const hit = this.namespaces.covers(key) ? this.namespaces.lookup(key) : undefined;
    return hit ? Promise.resolve(hit) : this.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    const range = keyRange(prefix);
    const limit = opts.limit ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new StoreError('BadRequest', `limit ${limit}: must be a non-negative integer`);
    let at = 0;
    let start = range.start;
    let floor: number | undefined;
    let exact = false;
    if (opts.continue) {
      const t = decodeContinue(opts.continue);
      at = t.revision;
      start = `${t.lastKey}\0`;
      exact = true;
    } else {
      const rv = opts.resourceVersion ?? '';
      const match = opts.resourceVersionMatch;
      if (match !== undefined && match !== 'Exact' && match !== 'NotOlderThan') {
        throw new StoreError('BadRequest', `resourceVersionMatch ${JSON.stringify(match)}: must be NotOlderThan or Exact`);
      }
      if (rv === '' || rv === '0') {
        if (match === 'Exact') throw new StoreError('BadRequest', 'resourceVersionMatch Exact: needs a resourceVersion other than "0"');
      } else {
        const n = parseRevision(rv, 'resourceVersion');
        if (match === 'Exact') {
          at = n;
          exact = true;
        } else floor = n;
      }
    }
    let res;
    try {
      res = await this.call('list', (kv, ms) =>
        kv.range(
          {
            key: this.k(start),
            rangeEnd: this.k(range.end),
            ...(at > 0 ? { revision: at } : {}),
            ...(limit > 0 ? { limit: limit + 1 } : {}),
          },
          ms,
        ),
      );
    } catch (err) {
      if (opts.continue && isStoreError(err, 'TooLargeResourceVersion')) throw new StoreError('BadRequest', 'continue token: from the future of this store');
      if (isStoreError(err, 'TooLargeResourceVersion')) {
        throw new StoreError('TooLargeResourceVersion', `resourceVersion ${at} is newer than the store's revision`);
      }
      if (isStoreError(err, 'Expired')) {
        throw new StoreError('Expired', `${opts.continue ? 'continue token at revision' : 'resourceVersion'} ${at} is older than the compacted revision`);
      }
      throw err;
    }
    const current = res.header.revision;
    if (floor !== undefined && floor > current) {
      throw new StoreError('TooLargeResourceVersion', `resourceVersion ${floor} is newer than the store's revision ${current}`);
    }
    const readAt = exact ? at : current;
    const more = limit > 0 && res.kvs.length > limit;
    const page = more ? res.kvs.slice(0, limit) : res.kvs;
    const result: ListResult = { items: page.map((kv) => decodeObject(kv.value, kv.modRevision)), revision: readAt };
    if (more) {
      const last = page[page.length - 1]!.key.toString('utf8').slice(this.cfg.prefix.length);
      result.continue = encodeContinue({ revision: readAt, lastKey: last });
    }
    return result;
  }

  async create(key: string, obj: StoredObject): Promise<StoredObject> {
    this.checkWrite(key, obj);
    const enc = encodeWrite(obj);
    const value = enc.value;
    const k = this.k(key);
    const res = await this.txn('create', key, [{ key: k, target: 'create', result: 'equal', value: 0 }], [{ put: { key: k, value } }], [{ range: { key: k } }]);
    if (res.succeeded) return written(obj, enc, res.header.revision);
    // Repeated after an attempt that may have been applied: the key holding exactly this value,
    // created by one revision, is this create.
    const cur = res.responses[0]?.range?.kvs[0];
    if (res.ambiguous && cur && cur.version === 1 && cur.value.equals(value)) return written(obj, enc, cur.modRevision);
    throw new StoreError('AlreadyExists', `${key} already exists`, key);
  }

  async update(key: string, obj: StoredObject, opts: UpdateOptions = {}): Promise<StoredObject> {
    this.checkWrite(key, obj);
    const enc = encodeWrite(obj);
    const k = this.k(key);
    const res = await this.txn('update', key, [this.precondition(k, opts.expectedRevision)], [{ put: { key: k, value: enc.value } }], [{ range: { key: k, keysOnly: true } }]);
    if (!res.succeeded) this.failedPrecondition(key, res, opts.expectedRevision);
    return written(obj, enc, res.header.revision);
  }

  guaranteedUpdate(
    key: string,
    fn: (current: StoredObject) => StoredObject | null | Promise<StoredObject | null>,
  ): Promise<StoredObject> {
    return retryUpdateOnConflict(this, key, fn);
  }

  async delete(key: string, opts: DeleteOptions = {}): Promise<StoredObject> {
    this.assertOpen();
    assertObjectKey(key);
    const k = this.k(key);
    const res = await this.txn('delete', key, [this.precondition(k, opts.expectedRevision)], [{ deleteRange: { key: k, prevKv: true } }], [{ range: { key: k, keysOnly: true } }]);
    if (!res.succeeded) this.failedPrecondition(key, res, opts.expectedRevision);
    const prev: KeyValue | undefined = res.responses[0]?.deleted?.[0];
    if (!prev) throw new StoreError('NotFound', `${key} not found`, key);
    return decodeObject(prev.value, res.header.revision);
  }

  watch(prefix: string, opts: WatchOptions): Watch {
    let range: KeyRange | undefined;
    let error: Error | undefined;
    try {
      this.assertOpen();
      range = keyRange(prefix);
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    const w = new EtcdStoreWatch(
      {
        client: this.cfg.client,
        prefix: this.cfg.prefix,
        snapshot: (r) => this.snapshot(r),
        isCompacted: (revision) => this.isCompacted(revision),
        forget: (x) => this.watches.delete(x),
        ...(this.watchMux ? { share: (r, sub) => this.watchMux!.join(r, sub) } : {}),
      },
      range ?? { start: '/', end: '0' },
      opts,
    );
    if (error) {
      w.fail(error);
      return w;
    }
    this.watches.add(w);
    w.start();
    return w;
  }

  async currentRevision(): Promise<number> {
    const res = await this.call('revision', (kv, ms) => kv.range({ key: this.probeKey }, ms));
    return res.header.revision;
  }

  compact(): Promise<number> {
    const run = async (): Promise<number> => {
      const target = this.policy.target(await this.currentRevision());
      if (target <= this.compacted) return this.compacted;
      try {
        await this.call('compact', (kv, ms) => kv.compact(target, true, ms));
        this.compacted = target;
      } catch (err) {
        if (!isStoreError(err, 'Expired')) throw err;
        // Another API server compacted further: find its revision (reads below it fail).
        this.compacted = await this.findCompacted(target);
      }
      return this.compacted;
    };
    this.compaction = this.compaction.then(run, run);
    return this.compaction;
  }

  /** The smallest readable revision ≥ `low` (binary search; only after a compaction race). */
  private async findCompacted(low: number): Promise<number> {
    let lo = low;
    let hi = await this.currentRevision();
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await this.isCompacted(mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.namespaces.close();
    const err = new StoreError('Unavailable', 'store closed');
    for (const w of [...this.watches]) w.fail(err);
    this.watches.clear();
    await this.compaction.catch(() => undefined);
    this.cfg.kv.close();
    this.cfg.client.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('Unavailable', 'store closed');
  }

  private checkWrite(key: string, obj: StoredObject): void {
    this.assertOpen();
    assertObjectKey(key);
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new StoreError('BadRequest', 'object: must be a JSON object', key);
  }

  /** `k` (an etcd key) exists, or has mod_revision `expected`. */
  private precondition(k: Buffer, expected: number | undefined): Compare {
    return expected === undefined ? { key: k, target: 'create', result: 'greater', value: 0 } : { key: k, target: 'mod', result: 'equal', value: expected };
  }

  private failedPrecondition(key: string, res: TxnResponse, expected: number | undefined): never {
    const cur = res.responses[0]?.range?.kvs[0];
    if (!cur) throw new StoreError('NotFound', `${key} not found`, key);
    throw new StoreError('Conflict', `${key}: expected revision ${expected}, stored revision is ${cur.modRevision}`, key);
  }

  private async snapshot(r: KeyRange): Promise<{ revision: number; kvs: KeyValue[] }> {
    const res = await this.call('watch snapshot', (kv, ms) => kv.range({ key: this.k(r.start), rangeEnd: this.k(r.end) }, ms));
    return { revision: res.header.revision, kvs: res.kvs };
  }

  private async isCompacted(revision: number): Promise<boolean> {
    if (revision <= 0) return false;
    try {
      await this.call('compaction check', (kv, ms) => kv.range({ key: this.probeKey, revision }, ms));
      return false;
    } catch (err) {
      return isStoreError(err, 'Expired');
    }
  }
}
