/**
 * The fast path: a bounded cache of encoded responses keyed by the question, so a repeated query
 * is answered by copying bytes and patching the ID, the flags and the question's letter case —
 * no decode, no chain, no encode. Only responses a plugin declares stable until the next zone
 * change are stored (the kubernetes and external answers); `clear()` runs on every change.
 */

/** What the fast parser learnt from a query: enough to find and patch a cached response. */
export interface QueryKey {
  /** A hash of the lower-cased question (name, type, class) and whether EDNS is present. */
  hash: number;
  id: number;
  /** RD and CD bits of the query, copied into the response. */
  flagBits: number;
  /** Offset just past the question name (the name starts at 12). */
  nameEnd: number;
  /** The requester's EDNS UDP size, or undefined without EDNS. */
  ednsSize: number | undefined;
}

// The functions and the class below are self-contained (they use only each other and globals):
// the UDP worker threads run their source text (see udp-worker.ts).

export function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
}

/**
 * Parses the common case — a standard query with one question, no compression, and at most an OPT
 * record — without allocating anything but the result. Returns undefined for anything else, which
 * then takes the full path. The key is a number (FNV-1a over the lower-cased question bytes), so a
 * lookup costs no string building or string hashing; entries compare the bytes to rule out
 * collisions.
 */
export function parseQueryKey(buf: Buffer): QueryKey | undefined {
  const len = buf.length;
  if (len < 17 || len > 512) return undefined;
  const flags = (buf[2]! << 8) | buf[3]!;
  if ((flags & 0xf800) !== 0) return undefined; // response bit or non-zero opcode
  if (buf[4] !== 0 || buf[5] !== 1 || buf[6] !== 0 || buf[7] !== 0 || buf[8] !== 0 || buf[9] !== 0 || buf[10] !== 0) return undefined;
  const arcount = buf[11]!;
  if (arcount > 1) return undefined;
  let off = 12;
  let h = 0x811c9dc5;
  for (;;) {
    const l = buf[off];
    if (l === undefined || l > 63) return undefined;
    h = Math.imul(h ^ l, 0x01000193);
    off++;
    if (l === 0) break;
    const end = off + l;
    if (end > len) return undefined;
    for (let i = off; i < end; i++) {
      const c = buf[i]!;
      if (c === 0x2e || c < 0x21 || c > 0x7e) return undefined; // keep names unambiguous and printable
      h = Math.imul(h ^ lower(c), 0x01000193);
    }
    off = end;
  }
  const nameEnd = off;
  if (nameEnd - 12 > 255 || off + 4 > len) return undefined;
  for (let i = off; i < off + 4; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  off += 4;
  let ednsSize: number | undefined;
  if (arcount === 1) {
    if (off + 11 > len || buf[off] !== 0 || buf[off + 1] !== 0 || buf[off + 2] !== 41) return undefined;
    if (buf[off + 6] !== 0) return undefined; // EDNS version other than 0: BADVERS on the full path
    if ((buf[off + 7]! & 0x80) !== 0) return undefined; // DO bit: let the full path decide
    ednsSize = (buf[off + 3]! << 8) | buf[off + 4]!;
    off += 11 + ((buf[off + 9]! << 8) | buf[off + 10]!);
    h = Math.imul(h ^ 0xff, 0x01000193);
  }
  if (off !== len) return undefined;
  return { hash: h >>> 0, id: (buf[0]! << 8) | buf[1]!, flagBits: flags & 0x0110, nameEnd, ednsSize };
}

/** The question's name in dotted form, as the client spelt it (for logs on the fast path). */
export function keyName(buf: Buffer, k: QueryKey): string {
  const parts: string[] = [];
  let off = 12;
  while (off < k.nameEnd - 1) {
    const l = buf[off]!;
    parts.push(buf.toString('latin1', off + 1, off + 1 + l));
    off += 1 + l;
  }
  return parts.length === 0 ? '.' : parts.join('.');
}

export interface Entry {
  /**
   * The complete response. Its question section (from offset 12, as the first asker spelt it) is
   * the entry's question: no separate copy per entry (at 20,000 entries in each of three caches,
   * a Buffer object apiece adds up).
   */
  full: Buffer;
  /** Whether the query had EDNS (answers with and without differ). */
  edns: boolean;
  /** The same response truncated to `limit` bytes (TC set, the records that fit), built on need. */
  truncated?: { limit: number; bytes: Buffer };
  /** Response code, for metrics and logs on the fast path. */
  rcode: number;
  next: Entry | undefined;
}

/** Whether `e` answers the query in `query`/`k`: same EDNS presence, name (any letter case), type and class. */
export function sameQuestion(e: Entry, query: Buffer, k: QueryKey): boolean {
  const f = e.full;
  const end = k.nameEnd + 4;
  if (e.edns !== (k.ednsSize !== undefined) || f.length < end) return false;
  for (let i = 12; i < k.nameEnd; i++) if (lower(f[i]!) !== lower(query[i]!)) return false;
  for (let i = k.nameEnd; i < end; i++) if (f[i] !== query[i]) return false;
  return true;
}

/** A bounded map of encoded responses, oldest-inserted evicted first. */
export class PacketCache {
  private map = new Map<number, Entry>();
  private count = 0;
  private clearListeners: (() => void)[] = [];
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 20_000) {}

  /** Runs `cb` after every clear (the UDP worker threads drop their copies then). */
  onClear(cb: () => void): void {
    this.clearListeners.push(cb);
  }

  get size(): number {
    return this.count;
  }

  /** The entry for the query `query` parsed as `k`, if cached. */
  get(query: Buffer, k: QueryKey): Entry | undefined {
    const e = this.find(query, k);
    if (e) this.hits++;
    else this.misses++;
    return e;
  }

  private find(query: Buffer, k: QueryKey): Entry | undefined {
    for (let e = this.map.get(k.hash); e; e = e.next) if (sameQuestion(e, query, k)) return e;
    return undefined;
  }

  set(query: Buffer, k: QueryKey, full: Buffer, rcode: number): void {
    if (this.find(query, k)) return;
    const entry: Entry = { full, edns: k.ednsSize !== undefined, rcode, next: undefined };
    // A response whose question section is not this query's could never be found again.
    if (!sameQuestion(entry, query, k)) return;
    if (this.count >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) {
        for (let e = this.map.get(oldest.value); e; e = e.next) this.count--;
        this.map.delete(oldest.value);
      }
    }
    entry.next = this.map.get(k.hash);
    this.map.set(k.hash, entry);
    this.count++;
  }

  clear(): void {
    this.map = new Map();
    this.count = 0;
    for (const cb of this.clearListeners) cb();
  }
}

/**
 * Copies a cached response for the query in `q`/`query`: its ID, RD/CD bits and the question name
 * exactly as the client spelt it (0x20 case randomisation survives).
 */
export function patchResponse(cached: Buffer, query: Buffer, q: QueryKey): Buffer {
  const out = Buffer.allocUnsafe(cached.length);
  cached.copy(out);
  out.writeUInt16BE(q.id, 0);
  out[2] = (out[2]! & ~0x01) | ((q.flagBits >> 8) & 0x01);
  out[3] = (out[3]! & ~0x10) | (q.flagBits & 0x10);
  query.copy(out, 12, 12, q.nameEnd);
  return out;
}
