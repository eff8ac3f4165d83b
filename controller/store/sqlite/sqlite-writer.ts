/**
 * The SQLite store's writer thread: commits the rows the API server's thread hands it, so the
 * B-tree work, the WAL writes, their fsync and the checkpoints run on another core. Appends that
 * arrive while it is busy are committed together (one transaction, one fsync). It answers with
 * the newest revision committed, or which commit failed; the engine (`sqlite-engine.ts`) keeps
 * the API server's view consistent with that.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { LogRow } from '../core/engine.js';
import { StoreError } from '../errors.js';
import { openConnection, writeStatements, type WriteStatements } from './sqlite-connection.js';
import { toStoreError } from './sqlite-errors.js';
import { isWriterInit, type FromWriter, type ToWriter, type WriterInit } from './sqlite-writer-protocol.js';

const asCoded = (err: unknown, what: string): { code: StoreError['code']; message: string } => {
  const e = toStoreError(err, what);
  return e instanceof StoreError ? { code: e.code, message: e.message.replace(/^store: /, '') } : { code: 'Unavailable', message: `sqlite ${what}: ${e.message}` };
};

class Writer {
  private epoch = 0;
  private queue: ToWriter[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Database.Database,
    private readonly w: WriteStatements,
    private readonly tell: (m: FromWriter) => void,
  ) {}

  receive(m: ToWriter): void {
    this.queue.push(m);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Everything that queued: consecutive appends as one commit, other steps in their place. */
  private drain(): void {
    this.scheduled = false;
    const queue = this.queue;
    this.queue = [];
    let rows: LogRow[] = [];
    for (const m of queue) {
      if (m.t === 'append') {
        if (m.epoch === this.epoch) for (const r of m.rows) rows.push(r);
        continue;
      }
      this.commit(rows);
      rows = [];
      if (m.t === 'close') {
        this.close();
        return;
      }
      try {
        if (m.t === 'meta') this.w.setMeta(m.name, m.value);
        else this.w.dropHistory(m.from, m.to);
        this.tell({ t: 'done', id: m.id });
      } catch (err) {
        this.tell({ t: 'done', id: m.id, error: asCoded(err, 'compact') });
      }
    }
    this.commit(rows);
  }

  private commit(rows: LogRow[]): void {
    if (rows.length === 0) return;
    try {
      this.w.append(rows);
    } catch (err) {
      this.epoch++;
      this.tell({ t: 'rejected', from: rows[0]!.rev, epoch: this.epoch, ...asCoded(err, 'write') });
      return;
    }
    this.tell({ t: 'durable', upto: rows[rows.length - 1]!.rev });
  }

  private close(): void {
    try {
      // The last connection to close checkpoints the WAL into the database file and removes it.
      this.db.close();
    } finally {
      this.tell({ t: 'closed' });
      parentPort?.close();
    }
  }
}

function open(init: WriterInit): { db: Database.Database; w: WriteStatements } {
  const db = openConnection(init.path);
  try {
    // FULL: every commit fsyncs the WAL before the engine hears of it; checkpoints (SQLite's
    // automatic one, every 1000 pages) sync the WAL before copying and the database file after.
    db.pragma(`synchronous = ${init.synchronous}`);
    db.pragma('journal_size_limit = 67108864');
    if (init.maxPages !== undefined) db.pragma(`max_page_count = ${init.maxPages}`);
    return { db, w: writeStatements(db) };
  } catch (err) {
    db.close();
    throw err;
  }
}

function main(): void {
  const port = parentPort;
  if (!port || !isWriterInit(workerData)) throw new Error('sqlite-writer runs only as the SQLite store\'s writer thread');
  const tell = (m: FromWriter) => port.postMessage(m);
  let opened: ReturnType<typeof open>;
  try {
    opened = open(workerData);
  } catch (err) {
    tell({ t: 'failed', ...asCoded(err, 'open') });
    port.close();
    return;
  }
  const writer = new Writer(opened.db, opened.w, tell);
  port.on('message', (m: ToWriter) => writer.receive(m));
  tell({ t: 'ready' });
}

main();
