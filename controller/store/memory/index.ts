import { LogStore } from '../core/log-store.js';
import type { HistoryWindow } from '../core/history.js';
import type { Store } from '../store.js';
import { MemoryEngine } from './memory-engine.js';

export interface MemoryStoreOptions {
  /** History kept for watches and continue tokens (default: newest 1000 revisions or 5 minutes). */
  history?: HistoryWindow;
}

/**
 * An in-memory Store with the full semantics of the SQLite one (global revision, history window,
 * watch replay, Expired, paging at a fixed revision, preconditions). For controller unit tests and
 * as the reference the conformance suite is checked against; nothing survives the process.
 */
export function createMemoryStore(opts: MemoryStoreOptions = {}): Store {
  return new LogStore(new MemoryEngine(), opts.history ? { history: opts.history } : {});
}
