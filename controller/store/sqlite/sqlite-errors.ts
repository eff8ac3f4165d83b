import { StoreError } from '../errors.js';

/**
 * Maps a better-sqlite3 failure to a StoreError: `SQLITE_FULL` (disk or quota full) is
 * `StorageFull`; every other SQLite failure (I/O error, locked by another process, corrupt or not
 * a database, read-only file) is `Unavailable`. Anything that is not an SQLite error is a bug and
 * is rethrown unchanged.
 */
export function toStoreError(err: unknown, what: string): Error {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err instanceof Error ? err : new Error(String(err));
  const message = `sqlite ${what}: ${(err as Error).message} (${code})`;
  if (code === 'SQLITE_FULL') return new StoreError('StorageFull', message);
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_')) {
    return new StoreError('Unavailable', `${message}: the database is in use by another process`);
  }
  return new StoreError('Unavailable', message);
}

/** Runs `fn`, mapping SQLite errors as `toStoreError` does. */
export function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStoreError(err, what);
  }
}
