/**
 * The control plane's storage: the Store contract, its coded errors and the two embedded
 * backends. The conformance suite is not re-exported here (it imports node:test); tests import
 * `controller/store/conformance.js` directly.
 */
export type {
  StoredObject,
  ListOptions,
  ListResult,
  WatchEventType,
  WatchEvent,
  WatchOptions,
  Watch,
  UpdateOptions,
  DeleteOptions,
  Store,
} from './store.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export type { HistoryWindow } from './core/history.js';
export { createMemoryStore, type MemoryStoreOptions } from './memory/index.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite/index.js';
export { openEtcdStore, type EtcdStoreOptions, type EtcdTlsFiles } from './etcd/index.js';
