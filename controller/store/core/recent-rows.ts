import type { StoredObject } from '../store.js';
import type { CurrentRow } from './engine.js';

/** A kept row, with the object its text parses to once someone needed it (deeply frozen, shared). */
export interface KeptRow extends CurrentRow {
  obj?: StoredObject;
}

/** Bytes a kept row is counted as besides its text (the map entry and the row object). */
const ROW_OVERHEAD = 96;
/** A parsed object is counted as this many times its JSON text (measured ≈2-3× for pods and slices). */
const OBJECT_FACTOR = 3;

/**
 * The current rows a log store keeps in memory, bounded by their size (oldest insertion goes
 * first): reads and precondition checks of keys written or read lately skip the engine, and
 * shared reads skip parsing. The store is the only writer, so it keeps every kept row equal to
 * the engine's current row (it calls `put` or `drop` in the same step as each commit).
 */
export class RecentRows {
  private readonly rows = new Map<string, KeptRow>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): KeptRow | undefined {
    return this.rows.get(key);
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  /** Keeps (or replaces) the row of `row.key` as the newest entry, dropping the oldest over budget. */
  put(row: KeptRow): void {
    this.drop(row.key);
    const size = sizeOf(row);
    if (size > this.maxBytes) return;
    this.rows.set(row.key, row);
    this.bytes += size;
    while (this.bytes > this.maxBytes) {
      const oldest = this.rows.values().next().value!;
      this.drop(oldest.key);
    }
  }

  drop(key: string): void {
    const old = this.rows.get(key);
    if (!old) return;
    this.rows.delete(key);
    this.bytes -= sizeOf(old);
  }

  /** Attaches the parsed object to the kept row of `row.key` (which must be `row`), counting its size. */
  attach(row: KeptRow, obj: StoredObject): void {
    if (this.rows.get(row.key) !== row || row.obj !== undefined) return;
    this.bytes -= sizeOf(row);
    row.obj = obj;
    this.bytes += sizeOf(row);
    while (this.bytes > this.maxBytes && this.rows.size > 1) {
      const oldest = this.rows.values().next().value!;
      this.drop(oldest.key);
    }
  }

  size(): number {
    return this.rows.size;
  }

  sizeBytes(): number {
    return this.bytes;
  }
}

const sizeOf = (r: KeptRow): number => r.value.length * (r.obj ? 1 + OBJECT_FACTOR : 1) + r.key.length + ROW_OVERHEAD;
