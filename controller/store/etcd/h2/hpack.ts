/**
 * HPACK (RFC 7541) for the unary gRPC client (h2-connection.ts): a full decoder — static and
 * dynamic table, table size updates, Huffman-coded strings — for what etcd (Go's hpack encoder)
 * sends, and an encoder that writes literals without indexing only (our side never adds to the
 * peer's dynamic table, so it needs no state).
 */
import { HpackError } from './hpack-error.js';
import { huffmanDecode } from './huffman.js';

export { HpackError };

export type HeaderList = [name: string, value: string][];

/** RFC 7541 Appendix A, index 1..61 (index 0 unused). */
const STATIC: readonly (readonly [string, string])[] = [
  ['', ''],
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_COUNT = STATIC.length - 1;

/** The decoding side of one connection: its dynamic table lives as long as the connection. */
export class HpackDecoder {
  /** Newest first (index 62 is entries[0]). */
  private readonly entries: [string, string][] = [];
  private size = 0;
  private maxSize: number;

  /** `limit`: the SETTINGS_HEADER_TABLE_SIZE we announced (default 4096); updates above it are errors. */
  constructor(private readonly limit = 4096) {
    this.maxSize = limit;
  }

  /** The dynamic table's size in octets (RFC 7541 §4.1), for tests. */
  get tableSize(): number {
    return this.size;
  }

  /** The dynamic table, newest first, for tests. */
  get table(): readonly (readonly [string, string])[] {
    return this.entries;
  }

  /** Decodes one complete header block (HEADERS plus any CONTINUATION fragments). */
  decode(block: Buffer): HeaderList {
    const out: HeaderList = [];
    const r = { pos: 0 };
    let fieldSeen = false;
    while (r.pos < block.length) {
      const b = block[r.pos]!;
      if (b & 0x80) {
        out.push(this.at(readInt(block, r, 7)));
        fieldSeen = true;
      } else if (b & 0x40) {
        const f = this.literal(block, r, 6);
        this.add(f[0], f[1]);
        out.push(f);
        fieldSeen = true;
      } else if (b & 0x20) {
        // A size update is only allowed at the start of a block (§4.2).
        if (fieldSeen) throw new HpackError('dynamic table size update after a header field');
        const n = readInt(block, r, 5);
        if (n > this.limit) throw new HpackError(`dynamic table size update to ${n} above the limit ${this.limit}`);
        this.maxSize = n;
        this.evict(0);
      } else {
        // 0000xxxx without indexing, 0001xxxx never indexed: same shape, table untouched.
        out.push(this.literal(block, r, 4));
        fieldSeen = true;
      }
    }
    return out;
  }

  private at(index: number): [string, string] {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_COUNT) {
      const e = STATIC[index]!;
      return [e[0], e[1]];
    }
    const e = this.entries[index - STATIC_COUNT - 1];
    if (!e) throw new HpackError(`index ${index} beyond the dynamic table (${this.entries.length} entries)`);
    return [e[0], e[1]];
  }

  private literal(block: Buffer, r: { pos: number }, prefix: number): [string, string] {
    const index = readInt(block, r, prefix);
    const name = index === 0 ? readString(block, r) : this.at(index)[0];
    return [name, readString(block, r)];
  }

  private add(name: string, value: string): void {
    const need = entrySize(name, value);
    this.evict(need);
    // An entry larger than the whole table empties it and is not added (§4.4).
    if (need > this.maxSize) return;
    this.entries.unshift([name, value]);
    this.size += need;
  }

  /** Drops the oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.entries.length > 0 && this.size + room > this.maxSize) {
      const e = this.entries.pop()!;
      this.size -= entrySize(e[0], e[1]);
    }
  }
}

/** §4.1: name + value octets + 32. */
function entrySize(name: string, value: string): number {
  // Strings are decoded as latin1: one character per octet.
  return name.length + value.length + 32;
}

/** §5.1: an integer with an N-bit prefix, starting at block[r.pos]. */
function readInt(block: Buffer, r: { pos: number }, prefix: number): number {
  const max = (1 << prefix) - 1;
  let n = block[r.pos++]! & max;
  if (n < max) return n;
  let shift = 0;
  for (;;) {
    if (r.pos >= block.length) throw new HpackError('truncated integer');
    const b = block[r.pos++]!;
    n += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
    if (shift > 28) throw new HpackError('integer too large');
  }
  return n;
}

/** §5.2: a string literal, Huffman-coded when its H bit is set. */
function readString(block: Buffer, r: { pos: number }): string {
  if (r.pos >= block.length) throw new HpackError('truncated string');
  const huffman = (block[r.pos]! & 0x80) !== 0;
  const len = readInt(block, r, 7);
  if (r.pos + len > block.length) throw new HpackError('truncated string');
  const bytes = block.subarray(r.pos, r.pos + len);
  r.pos += len;
  return huffman ? huffmanDecode(bytes) : bytes.toString('latin1');
}

/** §5.1 encoding: `value` with an N-bit prefix whose high bits are `flags`. */
function pushInt(out: number[], value: number, prefix: number, flags: number): void {
  const max = (1 << prefix) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let rest = value - max;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

function pushString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'latin1');
  pushInt(out, bytes.length, 7, 0);
  for (const b of bytes) out.push(b);
}

/** The static-table index of a name (first match), or 0. */
function staticNameIndex(name: string): number {
  for (let i = 1; i <= STATIC_COUNT; i++) if (STATIC[i]![0] === name) return i;
  return 0;
}

/**
 * Encodes header fields as HPACK: a field found whole in the static table as its index,
 * every other as a literal without indexing (by static name index when there is one), no
 * Huffman coding. Stateless, so blocks can be cached and concatenated.
 */
export function encodeHeaders(fields: HeaderList): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    let whole = 0;
    for (let i = 1; i <= STATIC_COUNT && whole === 0; i++) if (STATIC[i]![0] === name && STATIC[i]![1] === value && value !== '') whole = i;
    if (whole > 0) {
      pushInt(out, whole, 7, 0x80);
      continue;
    }
    const nameIndex = staticNameIndex(name);
    pushInt(out, nameIndex, 4, 0x00);
    if (nameIndex === 0) pushString(out, name);
    pushString(out, value);
  }
  return Buffer.from(out);
}
