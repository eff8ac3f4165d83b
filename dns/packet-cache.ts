/**
 * The fast path: a bounded cache of encoded responses keyed by the question, so a repeated query
 * is answered by copying bytes and patching the ID, the flags and the question's letter case —
 * no decode, no chain, no encode. Only responses a plugin declares stable until the next zone
 * change are stored (the kubernetes and external answers); `clear()` runs on every change.
 */

/** What the fast parser learnt from a query: enough to find and patch a cached response. */
export interface QueryKey {
  key: string;
  id: number;
  /** RD and CD bits of the query, copied into the response. */
  flagBits: number;
  /** Offset just past the question name (the name starts at 12). */
  nameEnd: number;
  /** The requester's EDNS UDP size, or undefined without EDNS. */
  ednsSize: number | undefined;
}

/**
 * Parses the common case — a standard query with one question, no compression, and at most an OPT
 * record — without allocating more than the key string. Returns undefined for anything else, which
 * then takes the full path.
 */
export function parseQueryKey(buf: Buffer): QueryKey | undefined {
  const len = buf.length;
  if (len < 17 || len > 512) return undefined;
  const flags = buf.readUInt16BE(2);
  if ((flags & 0xf800) !== 0) return undefined; // response bit or non-zero opcode
  if (buf[4] !== 0 || buf[5] !== 1 || buf[6] !== 0 || buf[7] !== 0 || buf[8] !== 0 || buf[9] !== 0 || buf[10] !== 0) return undefined;
  const arcount = buf[11]!;
  if (arcount > 1) return undefined;
  let off = 12;
  let key = '';
  for (;;) {
    const l = buf[off];
    if (l === undefined || l > 63) return undefined;
    off++;
    if (l === 0) break;
    if (off + l > len) return undefined;
    for (let i = off; i < off + l; i++) {
      const c = buf[i]!;
      if (c === 0x2e || c < 0x21 || c > 0x7e) return undefined; // keep keys unambiguous and printable
      key += String.fromCharCode(c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
    }
    key += '.';
    off += l;
  }
  const nameEnd = off;
  if (nameEnd - 12 > 255 || off + 4 > len) return undefined;
  const qtype = buf.readUInt16BE(off);
  const qclass = buf.readUInt16BE(off + 2);
  off += 4;
  let ednsSize: number | undefined;
  if (arcount === 1) {
    if (off + 11 > len || buf[off] !== 0 || buf.readUInt16BE(off + 1) !== 41) return undefined;
    if (buf[off + 6] !== 0) return undefined; // EDNS version other than 0: BADVERS on the full path
    if ((buf[off + 7]! & 0x80) !== 0) return undefined; // DO bit: let the full path decide
    ednsSize = buf.readUInt16BE(off + 3);
    off += 11 + buf.readUInt16BE(off + 9);
  }
  if (off !== len) return undefined;
  return { key: `${qtype}/${qclass}/${ednsSize === undefined ? 0 : 1}/${key}`, id: buf.readUInt16BE(0), flagBits: flags & 0x0110, nameEnd, ednsSize };
}

interface Entry {
  full: Buffer;
  /** The same response truncated to `limit` bytes (TC set, the records that fit), built on need. */
  truncated?: { limit: number; bytes: Buffer };
  /** Response code and answer count, for metrics and logs on the fast path. */
  rcode: number;
}

/** A bounded map of encoded responses, oldest-inserted evicted first. */
export class PacketCache {
  private map = new Map<string, Entry>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 20_000) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): Entry | undefined {
    const e = this.map.get(key);
    if (e) this.hits++;
    else this.misses++;
    return e;
  }

  set(key: string, full: Buffer, rcode: number): void {
    if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, { full, rcode });
  }

  clear(): void {
    this.map = new Map();
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
