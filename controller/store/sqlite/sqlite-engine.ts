import Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { startWorker, workerEntry } from '../../../daemon/worker-thread.js';
import { StoreError, type StoreErrorCode } from '../errors.js';
import { BatchRejected, type CurrentRow, type LogEngine, type LogRow } from '../core/engine.js';
import type { KeyRange } from '../core/keys.js';
import { openConnection, SCHEMA } from './sqlite-connection.js';
import { guarded } from './sqlite-errors.js';
import type { FromWriter, ToWriter, WriterInit } from './sqlite-writer-protocol.js';

export interface SqliteEngineOptions {
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  /** Database size quota in bytes (SQLite max_page_count); beyond it writes fail with StorageFull. */
  maxSizeBytes?: number;
}

const ROW_COLS = 'rev, key, type, prev, value';

/** The writer thread's entry: the bundle beside dist/sextant.mjs, or the source through tsx. */
const writerEntry = (): URL => workerEntry(import.meta.url, './sqlite-writer.ts', './sqlite-writer.mjs');

const coded = (code: StoreErrorCode, message: string): StoreError => new StoreError(code, message);

/**
 * The revision log in SQLite. `kv_log` holds every write (row id = revision, so appends hit the
 * end of the B-tree); `kv_live` maps each live key to its newest revision, which makes get and
 * list a key-range scan joined by primary key. No secondary index: MVCC reads and compaction
 * follow `prev` links instead, keeping a write at two B-tree inserts.
 *
 * Two connections. Writes run on a writer thread (`sqlite-writer.ts`) with its own connection:
 * `append` hands it the rows and returns, and `sync()` resolves once it reports them committed,
 * with `synchronous=FULL` (the default) fsynced to the WAL. So the B-tree work, the WAL writes,
 * their fsync and the checkpoints (SQLite's own, which sync the WAL before copying it) leave the
 * API server's thread. Reads run on this thread's connection; rows handed over but not yet
 * committed are kept here (`pending`) for `current`/`currentRev`, the only reads of state newer
 * than the store's durable revision (the LogStore reads everything else at a durable revision).
 *
 * A commit that fails (disk or quota full) rejects every sync waiting for it or later rows with
 * `BatchRejected`: the rows handed over after it were checked against its rows, so the writer
 * drops them too (it ignores appends of older epochs) and the LogStore takes them all back.
 *
 * One server per database: a lock file beside it (`<path>-lock`, an SQLite database held in
 * EXCLUSIVE locking mode) makes a second open fail with Unavailable, also from this process.
 */
export class SqliteEngine implements LogEngine {
  private readonly q;
  private epoch = 0;
  /** The newest revision handed to the writer, and the newest it committed. */
  private appended = 0;
  private committed = 0;
  /** Rows handed over and not committed yet: key → its newest such row (null: deleted). */
  private readonly pending = new Map<string, { rev: number; row: CurrentRow | null }>();
  /** The keys of each handed-over batch, oldest first, to drop from `pending` once committed. */
  private batches: { upto: number; keys: string[] }[] = [];
  private waiters: { upto: number; resolve(): void; reject(err: Error): void }[] = [];
  private readonly steps = new Map<number, { resolve(): void; reject(err: Error): void }>();
  private nextStep = 1;
  /** Set when the writer cannot go on: every later sync or step fails with it. */
  private broken: StoreError | undefined;
  private closing: Promise<void> | undefined;
  private exited = false;
  private readonly ended: Promise<void>;

  private constructor(
    private readonly db: Database.Database,
    private readonly lock: Database.Database,
    private readonly writer: Worker,
  ) {
    writer.on('message', (m: FromWriter) => this.receive(m));
    writer.on('error', (err) => this.breakDown(coded('Unavailable', `sqlite writer thread failed: ${err.message}`)));
    this.ended = new Promise((resolve) =>
      writer.once('exit', () => {
        this.exited = true;
        this.breakDown(coded('Unavailable', 'sqlite writer thread ended'));
        resolve();
      }),
    );
    this.q = {
      liveRev: db.prepare<[string], number>('SELECT rev FROM kv_live WHERE key = ?').pluck(),
      live: db.prepare<[string], { rev: number; value: string }>(
        'SELECT l.rev AS rev, l.value AS value FROM kv_live c JOIN kv_log l ON l.rev = c.rev WHERE c.key = ?',
      ),
      list: db.prepare<[string, string, string, number, number], CurrentRow>(
        `SELECT c.key AS key, c.rev AS rev, l.value AS value FROM kv_live c JOIN kv_log l ON l.rev = c.rev
         WHERE c.key >= ? AND c.key < ? AND c.key > ? AND c.rev <= ? ORDER BY c.key LIMIT ?`,
      ),
      firstChanges: db.prepare<[number, string, string, string], { key: string; prev: number }>(
        `SELECT key, prev, min(rev) AS first FROM kv_log
         WHERE rev > ? AND key >= ? AND key < ? AND key > ? GROUP BY key`,
      ),
      row: db.prepare<[number], LogRow>(`SELECT ${ROW_COLS} FROM kv_log WHERE rev = ?`),
      tail: db.prepare<[number, string, string], LogRow>(`SELECT ${ROW_COLS} FROM kv_log WHERE rev > ? AND key >= ? AND key < ? ORDER BY rev`),
      maxRev: db.prepare<[], number | null>('SELECT max(rev) FROM kv_log').pluck(),
      getMeta: db.prepare<[string], number>('SELECT value FROM kv_meta WHERE name = ?').pluck(),
    };
    const tx = db.transaction((fn: () => unknown) => fn());
    this.readTx = <T>(fn: () => T): T => tx(fn) as T;
  }

  private readonly readTx: <T>(fn: () => T) => T;

  /** Opens (creating if needed) the database at `opts.path` and starts its writer thread. */
  static async open(opts: SqliteEngineOptions): Promise<SqliteEngine> {
    const lock = guarded('open', () => new Database(`${opts.path}-lock`));
    let db: Database.Database | undefined;
    let writer: Worker | undefined;
    try {
      guarded('open', () => {
        lock.pragma('locking_mode = EXCLUSIVE');
        lock.exec('BEGIN EXCLUSIVE; COMMIT');
      });
      const main = guarded('open', () => openConnection(opts.path));
      db = main;
      let maxPages: number | undefined;
      guarded('open', () => {
        main.exec(SCHEMA);
        main.prepare(`INSERT OR IGNORE INTO kv_meta (name, value) VALUES ('schema', 1)`).run();
        if (opts.maxSizeBytes !== undefined) {
          const pageSize = main.pragma('page_size', { simple: true }) as number;
          maxPages = Math.max(1, Math.floor(opts.maxSizeBytes / pageSize));
        }
        main.pragma('query_only = 1');
      });
      const init: WriterInit = { role: 'sextant-sqlite-writer', path: opts.path, synchronous: opts.synchronous, ...(maxPages !== undefined ? { maxPages } : {}) };
      const w = startWorker(writerEntry(), { workerData: init });
      writer = w;
      await new Promise<void>((resolve, reject) => {
        const onMessage = (m: FromWriter) => {
          w.off('error', onError);
          w.off('message', onMessage);
          if (m.t === 'ready') resolve();
          else if (m.t === 'failed') reject(coded(m.code, m.message));
          else reject(coded('Unavailable', `sqlite writer thread: unexpected first message ${m.t}`));
        };
        const onError = (err: Error) => {
          w.off('message', onMessage);
          reject(coded('Unavailable', `sqlite writer thread failed to start: ${err.message}`));
        };
        w.on('message', onMessage);
        w.once('error', onError);
      });
      return new SqliteEngine(main, lock, w);
    } catch (err) {
      if (writer) await writer.terminate();
      db?.close();
      lock.close();
      throw err;
    }
  }

  loadState(): { revision: number; compacted: number; dropped: number } {
    return guarded('load', () =>
      this.readTx(() => {
        const compacted = this.q.getMeta.get('compacted') ?? 0;
        const dropped = this.q.getMeta.get('dropped') ?? 0;
        return { revision: Math.max(this.q.maxRev.get() ?? 0, compacted), compacted, dropped };
      }),
    );
  }

  currentRev(key: string): number | undefined {
    const p = this.pending.get(key);
    if (p) return p.row?.rev;
    return guarded('get', () => this.q.liveRev.get(key));
  }

  current(key: string): CurrentRow | undefined {
    const p = this.pending.get(key);
    if (p) return p.row ?? undefined;
    return guarded('get', () => {
      const r = this.q.live.get(key);
      return r && { key, rev: r.rev, value: r.value };
    });
  }

  append(rows: LogRow[]): void {
    if (rows.length === 0) return;
    if (this.broken) throw this.broken;
    for (const r of rows) this.pending.set(r.key, { rev: r.rev, row: r.type === 2 ? null : { key: r.key, rev: r.rev, value: r.value } });
    this.appended = rows[rows.length - 1]!.rev;
    this.batches.push({ upto: this.appended, keys: rows.map((r) => r.key) });
    this.post({ t: 'append', epoch: this.epoch, rows });
  }

  sync(): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    const upto = this.appended;
    if (upto <= this.committed) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ upto, resolve, reject }));
  }

  read<T>(fn: () => T): T {
    return guarded('read', () => this.readTx(fn));
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

  markCompacted(to: number): Promise<void> {
    return this.step((id) => ({ t: 'meta', id, name: 'compacted', value: to }));
  }

  dropHistory(from: number, to: number): Promise<void> {
    return this.step((id) => ({ t: 'drop', id, from, to }));
  }

  /** Lets the writer commit what it has, then closes both connections (the WAL is checkpointed away). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // This connection first: the writer's, closing last, checkpoints and removes the WAL.
      this.db.close();
      if (!this.exited) this.writer.postMessage({ t: 'close' } satisfies ToWriter);
      await this.ended;
      this.lock.close();
    })();
    return this.closing;
  }

  private step(make: (id: number) => ToWriter): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextStep++;
    return new Promise((resolve, reject) => {
      this.steps.set(id, { resolve, reject });
      this.post(make(id));
    });
  }

  private post(m: ToWriter): void {
    this.writer.postMessage(m);
  }

  private receive(m: FromWriter): void {
    switch (m.t) {
      case 'durable': {
        this.committed = m.upto;
        while (this.batches.length > 0 && this.batches[0]!.upto <= m.upto) {
          for (const k of this.batches.shift()!.keys) if ((this.pending.get(k)?.rev ?? Infinity) <= m.upto) this.pending.delete(k);
        }
        const ready = this.waiters.filter((w) => w.upto <= m.upto);
        this.waiters = this.waiters.filter((w) => w.upto > m.upto);
        for (const w of ready) w.resolve();
        return;
      }
      case 'rejected': {
        const err = coded(m.code, m.message);
        if (m.code !== 'StorageFull') {
          this.breakDown(err);
          return;
        }
        // Everything from `from` on was handed over after the last commit: none of it is written.
        this.epoch = m.epoch;
        this.appended = m.from - 1;
        this.batches = [];
        this.pending.clear();
        const waiting = this.waiters;
        this.waiters = [];
        for (const w of waiting) w.reject(new BatchRejected(m.from, err));
        return;
      }
      case 'done': {
        const s = this.steps.get(m.id);
        this.steps.delete(m.id);
        if (m.error) s?.reject(coded(m.error.code, m.error.message));
        else s?.resolve();
        return;
      }
      case 'failed':
        this.breakDown(coded(m.code, m.message));
        return;
      default:
        return;
    }
  }

  /** The writer cannot go on: nothing handed over can be promised durable any more. */
  private breakDown(err: StoreError): void {
    if (this.broken || this.closing) return;
    this.broken = err;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.reject(err);
    for (const s of this.steps.values()) s.reject(err);
    this.steps.clear();
  }
}
