import type { CurrentRow } from './engine.js';

/** Bytes a kept row is counted as besides its text (the map entry and the row object). */
const ROW_OVERHEAD = 96;

/**
 * The current rows a log store keeps in memory, bounded by their size (oldest insertion goes
 * first): reads and precondition checks of keys updated or read lately skip the engine. The
 * store is the only writer, so it keeps every kept row equal to the engine's current row (it
 * calls `put` or `drop` in the same step as each commit). Only text is kept: keeping the parsed
 * objects too cost more in garbage collection than the parses it saved (bench endpoints).
 */
export class RecentRows {
  private readonly rows = new Map<string, CurrentRow>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): CurrentRow | undefined {
    return this.rows.get(key);
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  /** Keeps (or replaces) the row of `row.key` as the newest entry, dropping the oldest over budget. */
  put(row: CurrentRow): void {
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

  size(): number {
    return this.rows.size;
  }

  sizeBytes(): number {
    return this.bytes;
  }
}

const sizeOf = (r: CurrentRow): number => r.value.length + r.key.length + ROW_OVERHEAD;
