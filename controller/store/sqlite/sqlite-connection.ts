/**
 * What both connections to a store's database share: the schema, the pragmas, and the write
 * statements (used by the writer thread, `sqlite-writer.ts`).
 */
import Database from 'better-sqlite3';
import type { LogRow } from '../core/engine.js';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv_log (
  rev   INTEGER PRIMARY KEY,
  key   TEXT    NOT NULL,
  type  INTEGER NOT NULL,
  prev  INTEGER NOT NULL,
  value TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS kv_live (
  key TEXT PRIMARY KEY,
  rev INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kv_meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** How long a connection waits for a lock the other one holds (a WAL reader almost never waits). */
const BUSY_TIMEOUT_MS = 5000;

/** Opens `path` in WAL mode with the store's cache size; the caller closes it. */
export function openConnection(path: string): Database.Database {
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('cache_size = -32768');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export interface WriteStatements {
  /** Appends rows (consecutive revisions) in one transaction, each the key's current state. */
  append(rows: LogRow[]): void;
  setMeta(name: string, value: number): void;
  /** Drops rows in (from, to] superseded within it, and deletes in it; records `to` as dropped. */
  dropHistory(from: number, to: number): void;
}

export function writeStatements(db: Database.Database): WriteStatements {
  const insLog = db.prepare<[number, string, number, number, string]>('INSERT INTO kv_log (rev, key, type, prev, value) VALUES (?, ?, ?, ?, ?)');
  const insLive = db.prepare<[string, number]>('INSERT INTO kv_live (key, rev) VALUES (?, ?)');
  const updLive = db.prepare<[number, string]>('UPDATE kv_live SET rev = ? WHERE key = ?');
  const delLive = db.prepare<[string]>('DELETE FROM kv_live WHERE key = ?');
  const setMeta = db.prepare<[string, number]>('INSERT INTO kv_meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value');
  const dropSuperseded = db.prepare<[number, number]>('DELETE FROM kv_log WHERE rev IN (SELECT prev FROM kv_log WHERE rev > ? AND rev <= ? AND prev > 0)');
  const dropDeletes = db.prepare<[number, number]>('DELETE FROM kv_log WHERE rev > ? AND rev <= ? AND type = 2');
  return {
    append: db.transaction((rows: LogRow[]) => {
      for (const row of rows) {
        insLog.run(row.rev, row.key, row.type, row.prev, row.value);
        if (row.type === 0) insLive.run(row.key, row.rev);
        else if (row.type === 1) updLive.run(row.rev, row.key);
        else delLive.run(row.key);
      }
    }),
    setMeta: (name, value) => void setMeta.run(name, value),
    dropHistory: db.transaction((from: number, to: number) => {
      dropSuperseded.run(from, to);
      dropDeletes.run(from, to);
      setMeta.run('dropped', to);
    }),
  };
}
