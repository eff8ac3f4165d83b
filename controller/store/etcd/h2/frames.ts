/** HTTP/2 (RFC 9113) frame types, flags, settings and error codes the unary client uses, and frame building. */

export const DATA = 0x0;
export const HEADERS = 0x1;
export const RST_STREAM = 0x3;
export const SETTINGS = 0x4;
export const PUSH_PROMISE = 0x5;
export const PING = 0x6;
export const GOAWAY = 0x7;
export const WINDOW_UPDATE = 0x8;
export const CONTINUATION = 0x9;

export const FLAG_END_STREAM = 0x1;
export const FLAG_ACK = 0x1;
export const FLAG_END_HEADERS = 0x4;
export const FLAG_PADDED = 0x8;
export const FLAG_PRIORITY = 0x20;

export const SETTINGS_HEADER_TABLE_SIZE = 0x1;
export const SETTINGS_ENABLE_PUSH = 0x2;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
export const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
export const SETTINGS_MAX_FRAME_SIZE = 0x5;

export const NO_ERROR = 0x0;
export const PROTOCOL_ERROR = 0x1;
export const FLOW_CONTROL_ERROR = 0x3;
export const FRAME_SIZE_ERROR = 0x6;
export const REFUSED_STREAM = 0x7;
export const CANCEL = 0x8;
export const COMPRESSION_ERROR = 0x9;

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** The largest frame payload before SETTINGS_MAX_FRAME_SIZE says otherwise (both directions). */
export const DEFAULT_MAX_FRAME = 16_384;
export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 2 ** 31 - 1;

/** Writes a frame header at `at` in `buf`; returns the offset after it. */
export function putFrameHeader(buf: Buffer, at: number, length: number, type: number, flags: number, stream: number): number {
  buf[at] = (length >>> 16) & 0xff;
  buf[at + 1] = (length >>> 8) & 0xff;
  buf[at + 2] = length & 0xff;
  buf[at + 3] = type;
  buf[at + 4] = flags;
  buf.writeUInt32BE(stream & 0x7fffffff, at + 5);
  return at + 9;
}

/** One frame as a buffer. */
export function frame(type: number, flags: number, stream: number, payload: Buffer | undefined): Buffer {
  const len = payload?.length ?? 0;
  const buf = Buffer.allocUnsafe(9 + len);
  putFrameHeader(buf, 0, len, type, flags, stream);
  payload?.copy(buf, 9);
  return buf;
}

export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** A SETTINGS payload from [identifier, value] pairs. */
export function settingsPayload(pairs: [number, number][]): Buffer {
  const b = Buffer.allocUnsafe(6 * pairs.length);
  pairs.forEach(([id, value], i) => {
    b.writeUInt16BE(id, 6 * i);
    b.writeUInt32BE(value >>> 0, 6 * i + 2);
  });
  return b;
}

/** A GOAWAY payload: the last stream we processed (none: 0) and the error code. */
export function goawayPayload(lastStream: number, code: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32BE(lastStream, 0);
  b.writeUInt32BE(code, 4);
  return b;
}
