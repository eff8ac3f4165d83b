/**
 * A structural check of a DNS message's wire form, run before the decoding library sees it. The
 * library trusts counts and RDLENGTH: an A record with RDLENGTH 2 decodes as
 * `undefined.undefined`, a count larger than the packet yields phantom records, and a label with
 * a `.` byte (or bytes that are not ASCII) turns into other labels — all accepted, then refused
 * by the encoder (SERVFAIL). Checked here instead: every question and record lies inside the
 * packet, names are well formed (labels of ASCII bytes without `.`, names ≤ 255 bytes, pointers
 * only backwards, no reserved label types), and the RDATA of A, AAAA, CNAME, PTR, NS, SRV and
 * SOA has exactly the length its type defines. Returns a reason, or undefined when sound.
 */

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_SOA = 6;
const TYPE_PTR = 12;
const TYPE_AAAA = 28;
const TYPE_SRV = 33;

class WireError extends Error {}

/** Offset just after the name at `off` (in place: up to its terminator or first pointer). */
function skipName(buf: Buffer, off: number): number {
  let pos = off;
  let end = -1;
  let total = 1;
  let hops = 0;
  let limit = off;
  for (;;) {
    if (pos >= buf.length) throw new WireError(`name at ${off} runs past the end`);
    const len = buf[pos]!;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError(`name at ${off}: truncated pointer`);
      const target = ((len & 0x3f) << 8) | buf[pos + 1]!;
      if (end < 0) end = pos + 2;
      if (target >= limit || ++hops > 127) throw new WireError(`name at ${off}: pointer to ${target} does not point backwards`);
      limit = target;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new WireError(`name at ${off}: reserved label type 0x${kind.toString(16)}`);
    if (len === 0) return end < 0 ? pos + 1 : end;
    if (pos + 1 + len > buf.length) throw new WireError(`name at ${off}: label runs past the end`);
    for (let i = pos + 1; i <= pos + len; i++) if (buf[i] === 0x2e || buf[i]! >= 0x80) throw new WireError(`name at ${off}: a label contains a '.' or non-ASCII byte`);
    total += len + 1;
    if (total > 255) throw new WireError(`name at ${off}: longer than 255 bytes`);
    pos += 1 + len;
  }
}

function checkRdata(buf: Buffer, type: number, start: number, len: number): void {
  const fixed: Record<number, number> = { [TYPE_A]: 4, [TYPE_AAAA]: 16 };
  const want = fixed[type];
  if (want !== undefined) {
    if (len !== want) throw new WireError(`type ${type} record: RDLENGTH ${len}, must be ${want}`);
    return;
  }
  let end: number;
  if (type === TYPE_CNAME || type === TYPE_PTR || type === TYPE_NS) end = skipName(buf, start);
  else if (type === TYPE_SRV) end = len < 7 ? start + 7 : skipName(buf, start + 6);
  else if (type === TYPE_SOA) end = skipName(buf, skipName(buf, start)) + 20;
  else return;
  if (end !== start + len) throw new WireError(`type ${type} record: RDLENGTH ${len} does not match its data (${end - start} bytes)`);
}

/** The reason `buf` is not a sound DNS message, or undefined. Assumes at least a 12-byte header. */
export function wireProblem(buf: Buffer): string | undefined {
  try {
    const qd = buf.readUInt16BE(4);
    const rr = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
    let off = 12;
    for (let i = 0; i < qd; i++) {
      off = skipName(buf, off) + 4;
      if (off > buf.length) throw new WireError(`question ${i} runs past the end`);
    }
    for (let i = 0; i < rr; i++) {
      off = skipName(buf, off);
      if (off + 10 > buf.length) throw new WireError(`record ${i} header runs past the end`);
      const type = buf.readUInt16BE(off);
      const len = buf.readUInt16BE(off + 8);
      off += 10;
      if (off + len > buf.length) throw new WireError(`record ${i}: RDATA runs past the end`);
      checkRdata(buf, type, off, len);
      off += len;
    }
    return undefined;
  } catch (err) {
    if (err instanceof WireError || err instanceof RangeError) return err.message;
    throw err;
  }
}
