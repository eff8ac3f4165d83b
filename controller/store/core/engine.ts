import type { KeyRange } from './keys.js';

/** What a log row records: 0 created (ADDED), 1 updated (MODIFIED), 2 deleted (DELETED). */
export type RowType = 0 | 1 | 2;

/**
 * One write. `rev` is the global revision (the row id); `prev` is the revision of the row this one
 * supersedes for the same key (0 for a create); `value` is the object's JSON (for a delete: the
 * last state). Keeping `prev` lets a backend read the state at an older revision and compact
 * history using only the revision index.
 */
export interface LogRow {
  rev: number;
  key: string;
  type: RowType;
  prev: number;
  value: string;
}

/** A live object: its key, the revision of its newest row and that row's JSON. */
export interface CurrentRow {
  key: string;
  rev: number;
  value: string;
}

/**
 * The storage primitives a single-writer, revision-log backend provides (memory, SQLite). All are
 * synchronous: the shared `LogStore` runs every write and its watch fan-out in one synchronous
 * step, which is what makes commit order, revision order and watch order the same thing. Errors
 * are thrown already mapped to `StoreError`.
 */
export interface LogEngine {
  /**
   * As persisted: the newest revision written, the compacted revision, and how far rows were
   * physically dropped (≤ compacted; a crash between the two is finished on the next compaction).
   */
  loadState(): { revision: number; compacted: number; dropped: number };
  currentRev(key: string): number | undefined;
  current(key: string): CurrentRow | undefined;
  /**
   * Appends `rows` (consecutive revisions) in ONE transaction and makes each the key's current
   * state (or removes the key for a delete). All or nothing: on failure none is written. Durable
   * on return unless the engine has `sync`.
   */
  append(rows: LogRow[]): void;
  /**
   * Present on engines whose `append` commits without waiting for the disk: resolves once
   * everything appended before the call is durable (the fsync runs off the JavaScript thread, so
   * later batches commit meanwhile). A rejection means durability can no longer be promised.
   */
  sync?(): Promise<void>;
  /** Live objects in `range` with key > `after` and revision ≤ `maxRev`, by key, at most `limit` (-1: all). */
  listCurrent(range: KeyRange, after: string, maxRev: number, limit: number): CurrentRow[];
  /** For each key in `range` with key > `after` changed after `rev`: its first such row's `prev`. */
  firstChangesAfter(range: KeyRange, after: string, rev: number): { key: string; prev: number }[];
  row(rev: number): LogRow | undefined;
  /** Rows in `range` with revision > `rev`, by revision. */
  tail(range: KeyRange, rev: number): LogRow[];
  /** Persists that history up to `to` is gone (logical compaction, done before deleting rows). */
  markCompacted(to: number): void;
  /**
   * Physically drops rows in (`from`, `to`] that no read at a revision ≥ `to` can need: rows
   * superseded by a row in (`from`, `to`], and deletes in (`from`, `to`]; records `to` as dropped.
   * Called in chunks, in order, so each transaction stays short.
   */
  dropHistory(from: number, to: number): void;
  close(): void;
}
