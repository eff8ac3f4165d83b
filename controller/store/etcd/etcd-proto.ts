/**
 * The few etcd v3 protobuf messages the store's unary calls use, encoded and decoded by hand
 * (field numbers from etcd's api/etcdserverpb/rpc.proto and api/mvccpb/kv.proto, v3.4). Only the
 * fields Sextant sends or reads are handled; unknown fields in responses are skipped, as protobuf
 * requires. Revisions and counts are int64 on the wire and numbers here (etcd revisions stay far
 * below 2^53); member ids are full uint64 and kept as bigint.
 */

export interface KeyValue {
  key: Buffer;
  value: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
}

export interface RangeRequest {
  key: Buffer;
  rangeEnd?: Buffer;
  limit?: number;
  revision?: number;
  keysOnly?: boolean;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
}

export interface DeleteRangeRequest {
  key: Buffer;
  prevKv?: boolean;
}

export type RequestOp = { range: RangeRequest } | { put: PutRequest } | { deleteRange: DeleteRangeRequest };

export interface Compare {
  key: Buffer;
  /** Which of the key's numbers is compared (a missing key has 0 for each). */
  target: 'create' | 'mod';
  result: 'equal' | 'greater';
  value: number;
}

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface ResponseHeader {
  memberId: bigint;
  revision: number;
  raftTerm: number;
}

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
}

export interface ResponseOp {
  range?: RangeResponse;
  /** prev_kvs of a delete (with `prevKv`). */
  deleted?: KeyValue[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface StatusResponse {
  header: ResponseHeader;
  leader: bigint;
}

// ---- encoding ----
//
// Each request is encoded in one pass into one buffer of its exact size: the sizes of the nested
// messages are computed first (protobuf puts a message's length before it), so no message is
// built apart and copied into its parent. `room` bytes are left free at the front for the caller's
// framing (the 5-byte gRPC message prefix), so the message is not copied again to get it.

/** Bytes of `n` as a varint (n ≥ 0, up to 2^53). */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** Bytes of a length-delimited field of `len` bytes (tag, length, body); field numbers < 16. */
const lenField = (len: number): number => 1 + varintSize(len) + len;
/** Bytes of a varint field (tag, value); field numbers < 16. */
const uintField = (n: number): number => 1 + varintSize(n);

/** Writes protobuf fields into a buffer sized beforehand. */
class Out {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
  ) {
    this.pos = start;
  }

  varint(n: number): void {
    const buf = this.buf;
    while (n >= 0x80) {
      buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    buf[this.pos++] = n;
  }

  /** Tag of a field with number < 16. */
  tag(field: number, wire: number): void {
    this.buf[this.pos++] = field * 8 + wire;
  }

  uint(field: number, n: number): void {
    this.tag(field, 0);
    this.varint(n);
  }

  bool(field: number, b: boolean | undefined): void {
    if (b) this.uint(field, 1);
  }

  bytes(field: number, b: Buffer): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.pos += b.copy(this.buf, this.pos);
  }

  /** The tag and length of a nested message; its fields follow. */
  open(field: number, len: number): void {
    this.tag(field, 2);
    this.varint(len);
  }

  /** The buffer, which must be exactly full. */
  done(): Buffer {
    if (this.pos !== this.buf.length) throw new Error(`etcd request encoding: wrote ${this.pos} of ${this.buf.length} bytes`);
    return this.buf;
  }
}

function rangeSize(r: RangeRequest): number {
  return (
    lenField(r.key.length) +
    (r.rangeEnd ? lenField(r.rangeEnd.length) : 0) +
    (r.limit ? uintField(r.limit) : 0) +
    (r.revision ? uintField(r.revision) : 0) +
    (r.keysOnly ? 2 : 0)
  );
}

function writeRange(w: Out, r: RangeRequest): void {
  w.bytes(1, r.key);
  if (r.rangeEnd) w.bytes(2, r.rangeEnd);
  if (r.limit) w.uint(3, r.limit);
  if (r.revision) w.uint(4, r.revision);
  w.bool(8, r.keysOnly);
}

/** The size of the message inside a RequestOp (RangeRequest, PutRequest or DeleteRangeRequest). */
function opBodySize(op: RequestOp): number {
  if ('range' in op) return rangeSize(op.range);
  if ('put' in op) return lenField(op.put.key.length) + lenField(op.put.value.length);
  return lenField(op.deleteRange.key.length) + (op.deleteRange.prevKv ? 2 : 0);
}

/** A RequestOp's own size: its one oneof member, a nested message. */
const opSize = (op: RequestOp): number => lenField(opBodySize(op));

function writeOp(w: Out, op: RequestOp, size: number): void {
  const body = opBodySize(op);
  w.varint(size);
  if ('range' in op) {
    w.open(1, body);
    writeRange(w, op.range);
  } else if ('put' in op) {
    w.open(2, body);
    w.bytes(1, op.put.key);
    w.bytes(2, op.put.value);
  } else {
    w.open(3, body);
    w.bytes(1, op.deleteRange.key);
    w.bool(3, op.deleteRange.prevKv);
  }
}

const COMPARE_RESULT = { equal: 0, greater: 1 } as const;
const COMPARE_TARGET = { create: 1, mod: 2 } as const;

function compareSize(c: Compare): number {
  const result = COMPARE_RESULT[c.result];
  return (result !== 0 ? uintField(result) : 0) + uintField(COMPARE_TARGET[c.target]) + lenField(c.key.length) + uintField(c.value);
}

function writeCompare(w: Out, c: Compare, size: number): void {
  w.varint(size);
  const result = COMPARE_RESULT[c.result];
  if (result !== 0) w.uint(1, result);
  w.uint(2, COMPARE_TARGET[c.target]);
  w.bytes(3, c.key);
  // A oneof member: written even when 0 (it says which number is compared).
  w.uint(c.target === 'create' ? 5 : 6, c.value);
}

export function encodeRangeRequest(r: RangeRequest, room = 0): Buffer {
  const w = new Out(Buffer.allocUnsafe(room + rangeSize(r)), room);
  writeRange(w, r);
  return w.done();
}

export function encodeTxnRequest(t: TxnRequest, room = 0): Buffer {
  const compares = t.compare.map(compareSize);
  const success = t.success.map(opSize);
  const failure = t.failure.map(opSize);
  let total = 0;
  for (const n of compares) total += lenField(n);
  for (const n of success) total += lenField(n);
  for (const n of failure) total += lenField(n);
  const w = new Out(Buffer.allocUnsafe(room + total), room);
  for (let i = 0; i < compares.length; i++) {
    w.tag(1, 2);
    writeCompare(w, t.compare[i]!, compares[i]!);
  }
  for (let i = 0; i < success.length; i++) {
    w.tag(2, 2);
    writeOp(w, t.success[i]!, success[i]!);
  }
  for (let i = 0; i < failure.length; i++) {
    w.tag(3, 2);
    writeOp(w, t.failure[i]!, failure[i]!);
  }
  return w.done();
}

export function encodeCompactionRequest(revision: number, physical: boolean, room = 0): Buffer {
  const w = new Out(Buffer.allocUnsafe(room + uintField(revision) + (physical ? 2 : 0)), room);
  w.uint(1, revision);
  w.bool(2, physical);
  return w.done();
}

// ---- decoding ----

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('etcd response: truncated varint');
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
  }

  bigVarint(): bigint {
    let n = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('etcd response: truncated varint');
      const b = this.buf[this.pos++]!;
      n |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return n;
      shift += 7n;
    }
  }

  /** A length-delimited field: its [start, end) in the buffer. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new Error('etcd response: truncated field');
    return [start, this.pos];
  }

  bytes(): Buffer {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }

  sub(): Reader {
    const [s, e] = this.span();
    return new Reader(this.buf, s, e);
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.span();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`etcd response: unsupported wire type ${wire}`);
  }

  /** Calls `fn(field, wire)` for each field; `fn` returns false to have the field skipped. */
  fields(fn: (field: number, wire: number) => boolean): void {
    while (!this.done()) {
      const t = this.varint();
      const field = Math.floor(t / 8);
      const wire = t & 7;
      if (!fn(field, wire)) this.skip(wire);
    }
  }
}

function readHeader(r: Reader): ResponseHeader {
  const h: ResponseHeader = { memberId: 0n, revision: 0, raftTerm: 0 };
  r.fields((f, wire) => {
    if (wire !== 0) return false;
    if (f === 2) h.memberId = r.bigVarint();
    else if (f === 3) h.revision = r.varint();
    else if (f === 4) h.raftTerm = r.varint();
    else return false;
    return true;
  });
  return h;
}

function readKv(r: Reader): KeyValue {
  const kv: KeyValue = { key: EMPTY, value: EMPTY, createRevision: 0, modRevision: 0, version: 0 };
  r.fields((f, wire) => {
    if (f === 1 && wire === 2) kv.key = r.bytes();
    else if (f === 5 && wire === 2) kv.value = r.bytes();
    else if (f === 2 && wire === 0) kv.createRevision = r.varint();
    else if (f === 3 && wire === 0) kv.modRevision = r.varint();
    else if (f === 4 && wire === 0) kv.version = r.varint();
    else return false;
    return true;
  });
  return kv;
}

const EMPTY = Buffer.alloc(0);
const noHeader = (): ResponseHeader => ({ memberId: 0n, revision: 0, raftTerm: 0 });

function readRangeResponse(r: Reader): RangeResponse {
  const res: RangeResponse = { header: noHeader(), kvs: [], more: false };
  r.fields((f, wire) => {
    if (f === 1 && wire === 2) res.header = readHeader(r.sub());
    else if (f === 2 && wire === 2) res.kvs.push(readKv(r.sub()));
    else if (f === 3 && wire === 0) res.more = r.varint() !== 0;
    else return false;
    return true;
  });
  return res;
}

function readDeleteResponse(r: Reader): KeyValue[] {
  const prev: KeyValue[] = [];
  r.fields((f, wire) => {
    if (f === 3 && wire === 2) prev.push(readKv(r.sub()));
    else return false;
    return true;
  });
  return prev;
}

function readResponseOp(r: Reader): ResponseOp {
  const op: ResponseOp = {};
  r.fields((f, wire) => {
    if (f === 1 && wire === 2) op.range = readRangeResponse(r.sub());
    else if (f === 3 && wire === 2) op.deleted = readDeleteResponse(r.sub());
    else return false;
    return true;
  });
  return op;
}

export function decodeRangeResponse(buf: Buffer): RangeResponse {
  return readRangeResponse(new Reader(buf));
}

export function decodeTxnResponse(buf: Buffer): TxnResponse {
  const res: TxnResponse = { header: noHeader(), succeeded: false, responses: [] };
  const r = new Reader(buf);
  r.fields((f, wire) => {
    if (f === 1 && wire === 2) res.header = readHeader(r.sub());
    else if (f === 2 && wire === 0) res.succeeded = r.varint() !== 0;
    else if (f === 3 && wire === 2) res.responses.push(readResponseOp(r.sub()));
    else return false;
    return true;
  });
  return res;
}

/** A response of which only the header is read (CompactionResponse). */
export function decodeHeaderOnly(buf: Buffer): ResponseHeader {
  let header = noHeader();
  const r = new Reader(buf);
  r.fields((f, wire) => {
    if (f === 1 && wire === 2) header = readHeader(r.sub());
    else return false;
    return true;
  });
  return header;
}

export function decodeStatusResponse(buf: Buffer): StatusResponse {
  const res: StatusResponse = { header: noHeader(), leader: 0n };
  const r = new Reader(buf);
  r.fields((f, wire) => {
    if (f === 1 && wire === 2) res.header = readHeader(r.sub());
    else if (f === 4 && wire === 0) res.leader = r.bigVarint();
    else return false;
    return true;
  });
  return res;
}
