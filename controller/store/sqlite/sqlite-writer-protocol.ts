/** Messages between the SQLite engine (the API server's thread) and its writer thread. */
import type { LogRow } from '../core/engine.js';
import type { StoreErrorCode } from '../errors.js';

export interface WriterInit {
  role: 'sextant-sqlite-writer';
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  /** SQLite max_page_count, from the size quota. */
  maxPages?: number;
}

export type ToWriter =
  /** Rows to commit, in revision order; ignored unless `epoch` is the writer's (see `rejected`). */
  | { t: 'append'; epoch: number; rows: LogRow[] }
  /** Compaction steps, in order with the appends; answered with `done` carrying the same id. */
  | { t: 'meta'; id: number; name: 'compacted'; value: number }
  | { t: 'drop'; id: number; from: number; to: number }
  | { t: 'close' };

export type FromWriter =
  | { t: 'ready' }
  /** The database could not be opened or set up (or a bug); the writer ends. */
  | { t: 'failed'; code: StoreErrorCode; message: string }
  /** Every row up to revision `upto` is committed (and, in FULL mode, fsynced). */
  | { t: 'durable'; upto: number }
  /**
   * The commit of the rows from revision `from` on failed and nothing of it was written. The
   * writer ignores appends of older epochs from now on: they were checked against the failed rows.
   */
  | { t: 'rejected'; from: number; epoch: number; code: StoreErrorCode; message: string }
  | { t: 'done'; id: number; error?: { code: StoreErrorCode; message: string } }
  | { t: 'closed' };

export const isWriterInit = (v: unknown): v is WriterInit =>
  typeof v === 'object' && v !== null && (v as { role?: unknown }).role === 'sextant-sqlite-writer' && typeof (v as { path?: unknown }).path === 'string';
