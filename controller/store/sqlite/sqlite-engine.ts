import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import type { CurrentRow, LogEngine, LogRow } from '../core/engine.js';
import type { KeyRange } from '../core/keys.js';
import { guarded } from './sqlite-errors.js';

export interface SqliteEngineOptions {
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  /** Database size quota in bytes (SQLite max_page_count); beyond it writes fail with StorageFull. */
  maxSizeBytes?: number;
}

const SCHEMA = `
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

const ROW_COLS = 'rev, key, type, prev, value';

/**
 * WAL frames (pages) between checkpoints: SQLite's own automatic checkpoint interval, which is
 * turned off in FULL mode (see `checkpoint`).
 */
const CHECKPOINT_FRAMES = 1000;

/**
 * WAL frames a commit of `rows` writes, estimated (an overestimate): the log's last leaf pages
 * for the row text, about one kv_live leaf per two rows, and the B-tree pages above them.
 * Measured with 1.5 KB rows: 3.0 frames for 1 row, 5.2 for 4, 13.2 for 16 (this gives 4, 6, 16).
 */
function framesOf(rows: LogRow[], pageSize: number): number {
  let bytes = 0;
  for (const r of rows) bytes += r.value.length + r.key.length + 20;
  return 2 + Math.ceil(bytes / pageSize) + Math.ceil(rows.length / 2);
}

/**
 * The revision log in SQLite. `kv_log` holds every write (row id = revision, so appends hit the
 * end of the B-tree); `kv_live` maps each live key to its newest revision, which makes get and
 * list a key-range scan joined by primary key. No secondary index: MVCC reads and compaction
 * follow `prev` links instead, keeping a write at three B-tree inserts (log, live, nothing else).
 *
 * Durability: WAL journal; `synchronous=FULL` (the default) fsyncs the WAL at every commit, so an
 * acknowledged write survives process death and power loss. `NORMAL` would survive `kill -9`
 * (the WAL write already reached the kernel) but not a power cut or kernel crash, so it is opt-in.
 * `locking_mode=EXCLUSIVE` makes the store the database's only user (a second server on the same
 * file fails at open with Unavailable) and keeps the WAL index in process memory.
 *
 * FULL without blocking: SQLite would fsync the WAL inside every commit, on the JavaScript thread
 * (≈0.8 ms of a ≈1 ms commit here, during which the API server does nothing else). Instead
 * commits run with `synchronous=OFF` (the WAL frames reach the kernel at commit) and `sync()`
 * fdatasyncs the WAL file on libuv's thread pool; the LogStore acknowledges and publishes a batch
 * only after a sync that began after its commit has completed, and commits further batches
 * meanwhile. Checkpoints, which copy the WAL into the database file and later let SQLite reuse
 * the WAL from its start, run inside `sync()` once its fdatasync of the WAL has completed and
 * nothing was written since it began (so every frame copied is durable): the copy runs with
 * `synchronous=OFF` on the thread, and the fdatasync of the database file that makes the copy
 * durable on the pool, before `sync()` resolves. SQLite reuses the WAL from its start at the next
 * write after a complete checkpoint, so a write that comes while the database file's sync is still
 * pending (the LogStore commits nothing while a sync runs; compaction might) first syncs the
 * database file on the thread: a WAL frame is never overwritten before its copy is durable. The
 * final checkpoint at close runs with `synchronous=FULL`.
 */
const datasync = (fd: number): Promise<void> => new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

export class SqliteEngine implements LogEngine {
  private readonly db: Database.Database;
  private readonly q;
  private readonly appendTx: (rows: LogRow[]) => void;
  private readonly dropTx: (from: number, to: number) => void;
  /** The WAL file, opened for fdatasync in FULL mode. */
  private readonly walFd: number | undefined;
  /** The database file, opened for fdatasync of checkpoints in FULL mode. */
  private readonly dbFd: number | undefined;
  private walFrames = 0;
  /** Writes (transactions) made, so `sync` can tell whether any came while it ran. */
  private writes = 0;
  /** A checkpoint copied pages into the database file and their fdatasync has not completed. */
  private dbUnsynced = false;
  private checkpointCount = 0;
  private pageSize = 4096;
  readonly sync?: () => Promise<void>;

  constructor(opts: SqliteEngineOptions) {
    const db = guarded('open', () => new Database(opts.path));
    this.db = db;
    try {
      guarded('open', () => {
        db.pragma('locking_mode = EXCLUSIVE');
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${opts.synchronous}`);
        db.pragma('cache_size = -32768');
        db.pragma('journal_size_limit = 67108864');
        if (opts.maxSizeBytes !== undefined) {
          const pageSize = db.pragma('page_size', { simple: true }) as number;
          db.pragma(`max_page_count = ${Math.max(1, Math.floor(opts.maxSizeBytes / pageSize))}`);
        }
        db.exec(SCHEMA);
        db.prepare(`INSERT OR IGNORE INTO kv_meta (name, value) VALUES ('schema', 1)`).run();
      });
      if (opts.synchronous === 'FULL') {
        // A write in FULL mode creates the WAL file (and syncs it and its directory entry), so
        // it exists from here on; EXCLUSIVE mode keeps it until close.
        guarded('open', () => db.prepare(`INSERT INTO kv_meta (name, value) VALUES ('opened', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value`).run(Date.now()));
        try {
          this.walFd = openSync(`${opts.path}-wal`, 'r');
          this.dbFd = openSync(opts.path, 'r');
        } catch (err) {
          throw new StoreError('Unavailable', `sqlite open: the write-ahead log ${opts.path}-wal: ${err instanceof Error ? err.message : String(err)}`);
        }
        guarded('open', () => {
          db.pragma('wal_autocheckpoint = 0');
          db.pragma('synchronous = OFF');
        });
        this.pageSize = guarded('open', () => db.pragma('page_size', { simple: true }) as number);
        const walFd = this.walFd;
        const dbFd = this.dbFd!;
        this.sync = async () => {
          const before = this.writes;
          await datasync(walFd);
          if (this.walFrames < CHECKPOINT_FRAMES || this.writes !== before) return;
          this.checkpoint();
          await datasync(dbFd);
          this.dbUnsynced = false;
        };
      }
    } catch (err) {
      if (this.walFd !== undefined) closeSync(this.walFd);
      if (this.dbFd !== undefined) closeSync(this.dbFd);
      db.close();
      throw err;
    }
    this.q = {
      liveRev: db.prepare<[string], number>('SELECT rev FROM kv_live WHERE key = ?').pluck(),
      live: db.prepare<[string], { rev: number; value: string }>(
        'SELECT l.rev AS rev, l.value AS value FROM kv_live c JOIN kv_log l ON l.rev = c.rev WHERE c.key = ?',
      ),
      insLog: db.prepare<[number, string, number, number, string]>(
        'INSERT INTO kv_log (rev, key, type, prev, value) VALUES (?, ?, ?, ?, ?)',
      ),
      insLive: db.prepare<[string, number]>('INSERT INTO kv_live (key, rev) VALUES (?, ?)'),
      updLive: db.prepare<[number, string]>('UPDATE kv_live SET rev = ? WHERE key = ?'),
      delLive: db.prepare<[string]>('DELETE FROM kv_live WHERE key = ?'),
      list: db.prepare<[string, string, string, number, number], CurrentRow>(
        `SELECT c.key AS key, c.rev AS rev, l.value AS value FROM kv_live c JOIN kv_log l ON l.rev = c.rev
         WHERE c.key >= ? AND c.key < ? AND c.key > ? AND c.rev <= ? ORDER BY c.key LIMIT ?`,
      ),
      firstChanges: db.prepare<[number, string, string, string], { key: string; prev: number }>(
        `SELECT key, prev, min(rev) AS first FROM kv_log
         WHERE rev > ? AND key >= ? AND key < ? AND key > ? GROUP BY key`,
      ),
      row: db.prepare<[number], LogRow>(`SELECT ${ROW_COLS} FROM kv_log WHERE rev = ?`),
      tail: db.prepare<[number, string, string], LogRow>(
        `SELECT ${ROW_COLS} FROM kv_log WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev`,
      ),
      maxRev: db.prepare<[], number | null>('SELECT max(rev) FROM kv_log').pluck(),
      getMeta: db.prepare<[string], number>('SELECT value FROM kv_meta WHERE name = ?').pluck(),
      setMeta: db.prepare<[string, number]>(
        'INSERT INTO kv_meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value',
      ),
      dropSuperseded: db.prepare<[number, number]>(
        'DELETE FROM kv_log WHERE rev IN (SELECT prev FROM kv_log WHERE rev > ? AND rev <= ? AND prev > 0)',
      ),
      dropDeletes: db.prepare<[number, number]>('DELETE FROM kv_log WHERE rev > ? AND rev <= ? AND type = 2'),
    };
    const q = this.q;
    this.appendTx = db.transaction((rows: LogRow[]) => {
      this.beforeWrite();
      for (const row of rows) {
        q.insLog.run(row.rev, row.key, row.type, row.prev, row.value);
        if (row.type === 0) q.insLive.run(row.key, row.rev);
        else if (row.type === 1) q.updLive.run(row.rev, row.key);
        else q.delLive.run(row.key);
      }
    });
    this.dropTx = db.transaction((from: number, to: number) => {
      this.beforeWrite();
      q.dropSuperseded.run(from, to);
      q.dropDeletes.run(from, to);
      q.setMeta.run('dropped', to);
    });
  }

  loadState(): { revision: number; compacted: number; dropped: number } {
    return guarded('load', () => {
      const compacted = this.q.getMeta.get('compacted') ?? 0;
      const dropped = this.q.getMeta.get('dropped') ?? 0;
      return { revision: Math.max(this.q.maxRev.get() ?? 0, compacted), compacted, dropped };
    });
  }

  currentRev(key: string): number | undefined {
    return guarded('get', () => this.q.liveRev.get(key));
  }

  current(key: string): CurrentRow | undefined {
    return guarded('get', () => {
      const r = this.q.live.get(key);
      return r && { key, rev: r.rev, value: r.value };
    });
  }

  append(rows: LogRow[]): void {
    guarded('write', () => this.appendTx(rows));
    if (this.walFd === undefined) return;
    this.walFrames += framesOf(rows, this.pageSize);
  }

  /** Checkpoints run so far (for tests). */
  checkpoints(): number {
    return this.checkpointCount;
  }

  /**
   * Inside every write transaction: a checkpoint's copy whose fdatasync is still pending is made
   * durable first, since this write may restart the WAL over the frames it copied.
   */
  private beforeWrite(): void {
    this.writes++;
    if (!this.dbUnsynced) return;
    fdatasyncSync(this.dbFd!);
    this.dbUnsynced = false;
  }

  /**
   * Copies the WAL into the database file, every ~1000 WAL frames (estimated), as SQLite's
   * automatic checkpoint did; called by `sync` when every frame is durable. Without syncing
   * (`synchronous=OFF`): the caller fdatasyncs the database file (`dbUnsynced` until then). A
   * checkpoint that could not write the database file (disk full) is tried again after another
   * half interval, as SQLite's own automatic checkpoint would be on a later commit; what it did
   * copy is synced all the same.
   */
  private checkpoint(): void {
    this.walFrames = 0;
    this.checkpointCount++;
    this.dbUnsynced = true;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      this.walFrames = CHECKPOINT_FRAMES / 2;
    }
  }

  listCurrent(range: KeyRange, after: string, maxRev: number, limit: number): CurrentRow[] {
    return guarded('list', () => this.q.list.all(range.start, range.end, after, maxRev, limit));
  }

  firstChangesAfter(range: KeyRange, after: string, rev: number): { key: string; prev: number }[] {
    return guarded('list', () => this.q.firstChanges.all(rev, range.start, range.end, after));
  }

  row(rev: number): LogRow | undefined {
    return guarded('read', () => this.q.row.get(rev));
  }

  tail(range: KeyRange, rev: number): LogRow[] {
    return guarded('watch replay', () => this.q.tail.all(rev, range.start, range.end));
  }

  markCompacted(to: number): void {
    guarded('compact', () => {
      this.beforeWrite();
      this.q.setMeta.run('compacted', to);
    });
  }

  dropHistory(from: number, to: number): void {
    guarded('compact', () => this.dropTx(from, to));
  }

  close(): void {
    guarded('close', () => {
      try {
        // Closing checkpoints the WAL into the database file and deletes it: synced, as above.
        if (this.walFd !== undefined && this.db.open) this.db.pragma('synchronous = FULL');
      } finally {
        if (this.walFd !== undefined) closeSync(this.walFd);
        if (this.dbFd !== undefined) closeSync(this.dbFd);
        this.db.close();
      }
    });
  }
}
