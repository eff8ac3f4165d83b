/** The protobuf wire format: a reader of tagged fields (varint, 64-bit, length-delimited, 32-bit). */
export type WireField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1; value: Buffer }
  | { field: number; wire: 2; value: Buffer }
  | { field: number; wire: 5; value: Buffer };

export class WireError extends Error {}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new WireError('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
  throw new WireError('varint longer than 10 bytes');
}

/** Every field of one message, in wire order. */
export function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p] = readVarint(buf, pos);
    pos = p;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, q] = readVarint(buf, pos);
      pos = q;
      out.push({ field, wire: 0, value: v });
    } else if (wire === 2) {
      const [len, q] = readVarint(buf, pos);
      const end = q + Number(len);
      if (end > buf.length) throw new WireError(`field ${field}: length beyond the message`);
      out.push({ field, wire: 2, value: buf.subarray(q, end) });
      pos = end;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > buf.length) throw new WireError(`field ${field}: truncated fixed-width value`);
      out.push({ field, wire, value: buf.subarray(pos, pos + n) });
      pos += n;
    } else throw new WireError(`field ${field}: unsupported wire type ${wire}`);
  }
  return out;
}

/** A varint as a signed 64-bit integer (int32/int64 fields), as a JS number. */
export const signed = (v: bigint): number => Number(BigInt.asIntN(64, v));
