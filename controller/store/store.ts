/**
 * The storage contract of the control plane. Every backend (sqlite/, etcd/) implements it and
 * passes the same conformance suite. Objects are opaque JSON documents (the API server owns their
 * meaning); the store owns the revision: one global, monotonically increasing counter, written
 * into `metadata.resourceVersion` (as a decimal string) of every object it returns.
 *
 * Keys: `/<group or "core">/<resource>/<namespace>/<name>` for namespaced kinds and
 * `/<group or "core">/<resource>/<name>` for cluster-scoped ones. A list or watch takes a key
 * prefix ending in `/` (`/core/pods/`, `/core/pods/default/`) or an exact key. A prefix matches
 * by whole segments: `/core/pods/default/` never matches `/core/pods/default2/x`. Lists return
 * items sorted by key (byte order). Keys start with `/` and contain no NUL; object keys do not end
 * in `/`. A malformed key is `BadRequest`.
 *
 * Objects handed out (returned values, watch event objects) must be treated as read-only: a
 * backend may share one event object among all its watchers.
 */

/** A JSON object as stored; `metadata.resourceVersion` is set by the store on the way out. */
export type StoredObject = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface ListOptions {
  /** At most this many items; the result then carries `continue` when more remain. */
  limit?: number;
  /** Opaque token from a previous page; the page is read at that page's revision. */
  continue?: string;
  /**
   * Kubernetes semantics: undefined = latest (a consistent read); "0" = any (latest is fine);
   * "N" = not older than N (latest satisfies it once the store has reached N).
   */
  resourceVersion?: string;
  /**
   * How `resourceVersion` "N" is read (Kubernetes `resourceVersionMatch`): `NotOlderThan`
   * (default) reads the latest state, `Exact` reads the state at revision N (`Expired` when N is
   * compacted). Either way N beyond the store's revision is `TooLargeResourceVersion`.
   */
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
}

export interface ListResult {
  items: StoredObject[];
  /** The store revision the list was read at. */
  revision: number;
  /** Set when `limit` cut the list short. */
  continue?: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  /** For DELETED, the last state of the object with the deletion's revision. */
  object: StoredObject;
  revision: number;
}

export interface WatchOptions {
  /**
   * Deliver every change with a revision greater than this (it may be ahead of the store: the
   * watch then waits). Undefined or 0: first a synthetic ADDED for every current object (event
   * `revision` = the snapshot's revision, the object keeps its own resourceVersion), then changes
   * after the snapshot. Events are always delivered asynchronously, never inside `watch()`.
   */
  fromRevision?: number;
  /** Called for each event, in revision order. */
  onEvent(event: WatchEvent): void;
  /**
   * Called once when the watch can no longer continue: `StoreError` with code `Expired` when
   * `fromRevision` is older than the retained history, or `Unavailable` when the backend fails.
   */
  onError(err: Error): void;
}

export interface Watch {
  /** Stop delivering events; idempotent. */
  stop(): void;
}

export interface UpdateOptions {
  /** Precondition: the stored object's revision must equal this, else `Conflict`. */
  expectedRevision?: number;
}

export interface DeleteOptions {
  expectedRevision?: number;
}

export interface Store {
  /** The object at `key`, or null. */
  get(key: string): Promise<StoredObject | null>;
  /**
   * Optional: the object at `key` from a watch-fed cache where the backend keeps one (the etcd
   * store does for `/core/namespaces/<name>`), else as `get`. It may lag the latest write by the
   * watch delay: a change or deletion is seen once its watch event has arrived. A key the cache
   * does not hold (or a cache not synced yet) falls back to `get`, so an object created before
   * the call is never missed. The result is shared: treat it as read-only. For admission checks
   * that tolerate this lag (the namespace check before a create), never for read-modify-write.
   */
  getCached?(key: string): Promise<StoredObject | null>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Fails with `AlreadyExists` when the key exists. Returns the object as stored. */
  create(key: string, obj: StoredObject): Promise<StoredObject>;
  /** Fails with `NotFound` or `Conflict`. Returns the object as stored. */
  update(key: string, obj: StoredObject, opts?: UpdateOptions): Promise<StoredObject>;
  /**
   * Read-modify-write with retry on conflict: `fn` gets a private copy of the current object
   * (it may mutate and return it, and may be async) and returns the new one, or null to leave it
   * unchanged (the current object is then returned). Fails with `NotFound` when the key does not
   * exist; errors thrown by `fn` propagate unchanged.
   */
  guaranteedUpdate(
    key: string,
    fn: (current: StoredObject) => StoredObject | null | Promise<StoredObject | null>,
  ): Promise<StoredObject>;
  /** Fails with `NotFound` or `Conflict`. Returns the deleted object with the deletion revision. */
  delete(key: string, opts?: DeleteOptions): Promise<StoredObject>;
  watch(prefix: string, opts: WatchOptions): Watch;
  /** The newest revision the store has committed. */
  currentRevision(): Promise<number>;
  /**
   * Drops history now according to the backend's history window (backends also do this
   * periodically on their own) and returns the compacted revision C: afterwards a watch from a
   * revision < C, a continue token read at a revision < C and an `Exact` list below C fail with
   * `Expired`; a watch from C or later still sees every event after it.
   */
  compact(): Promise<number>;
  /** Ends every watch (their `onError` gets `Unavailable`) and releases the backend; idempotent. */
  close(): Promise<void>;
}
