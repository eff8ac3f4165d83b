import type { CurrentRow, LogEngine, LogRow } from '../core/engine.js';
import { inRange, type KeyRange } from '../core/keys.js';

const byKey = (a: { key: string }, b: { key: string }): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Index of the first element of ascending `revs` greater than `rev`. */
function upperBound(revs: number[], rev: number): number {
  let lo = 0;
  let hi = revs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (revs[mid]! <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The revision log in plain maps: rows by revision, revisions in order, and the current row per
 * key. Simple rather than fast (lists sort on every call); meant for unit tests and as the
 * executable reference of the log semantics the SQLite engine implements in SQL.
 */
export class MemoryEngine implements LogEngine {
  private readonly rows = new Map<number, LogRow>();
  private revs: number[] = [];
  private readonly live = new Map<string, LogRow>();
  private revision = 0;
  private compacted = 0;
  private dropped = 0;

  loadState(): { revision: number; compacted: number; dropped: number } {
    return { revision: this.revision, compacted: this.compacted, dropped: this.dropped };
  }

  currentRev(key: string): number | undefined {
    return this.live.get(key)?.rev;
  }

  current(key: string): CurrentRow | undefined {
    const r = this.live.get(key);
    return r && { key, rev: r.rev, value: r.value };
  }

  append(rows: LogRow[]): void {
    for (const row of rows) {
      this.rows.set(row.rev, row);
      this.revs.push(row.rev);
      this.revision = row.rev;
      if (row.type === 2) this.live.delete(row.key);
      else this.live.set(row.key, row);
    }
  }

  listCurrent(range: KeyRange, after: string, maxRev: number, limit: number): CurrentRow[] {
    const out: CurrentRow[] = [];
    for (const r of this.live.values()) {
      if (inRange(range, r.key) && r.key > after && r.rev <= maxRev) out.push({ key: r.key, rev: r.rev, value: r.value });
    }
    out.sort(byKey);
    return limit < 0 ? out : out.slice(0, limit);
  }

  firstChangesAfter(range: KeyRange, after: string, rev: number): { key: string; prev: number }[] {
    const seen = new Map<string, number>();
    for (let i = upperBound(this.revs, rev); i < this.revs.length; i++) {
      const r = this.rows.get(this.revs[i]!)!;
      if (inRange(range, r.key) && r.key > after && !seen.has(r.key)) seen.set(r.key, r.prev);
    }
    return [...seen].map(([key, prev]) => ({ key, prev }));
  }

  row(rev: number): LogRow | undefined {
    return this.rows.get(rev);
  }

  tail(range: KeyRange, rev: number): LogRow[] {
    const out: LogRow[] = [];
    for (let i = upperBound(this.revs, rev); i < this.revs.length; i++) {
      const r = this.rows.get(this.revs[i]!)!;
      if (inRange(range, r.key)) out.push(r);
    }
    return out;
  }

  markCompacted(to: number): void {
    this.compacted = to;
  }

  dropHistory(from: number, to: number): void {
    const gone = new Set<number>();
    for (let i = upperBound(this.revs, from); i < this.revs.length && this.revs[i]! <= to; i++) {
      const r = this.rows.get(this.revs[i]!)!;
      if (r.prev > 0) gone.add(r.prev);
      if (r.type === 2) gone.add(r.rev);
    }
    for (const rev of gone) this.rows.delete(rev);
    this.revs = this.revs.filter((rev) => !gone.has(rev));
    this.dropped = to;
  }

  close(): void {
    this.rows.clear();
    this.live.clear();
    this.revs = [];
  }
}
