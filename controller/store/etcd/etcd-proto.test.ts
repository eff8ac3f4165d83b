/**
 * The one-pass request encoders (etcd-proto.ts) against a plain reference encoder that builds every
 * nested message on its own and concatenates them: the same bytes for every request shape the
 * store sends, small and large (lengths and numbers with 1-8 byte varints), with and without room
 * left at the front.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeCompactionRequest, encodeRangeRequest, encodeTxnRequest, type Compare, type RangeRequest, type RequestOp, type TxnRequest } from './etcd-proto.js';

// ---- reference: each message built apart, then wrapped ----
const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
};
const uint = (field: number, n: number) => Buffer.concat([varint(field * 8), varint(n)]);
const bytes = (field: number, b: Buffer) => Buffer.concat([varint(field * 8 + 2), varint(b.length), b]);
const refRange = (r: RangeRequest) =>
  Buffer.concat([
    bytes(1, r.key),
    r.rangeEnd ? bytes(2, r.rangeEnd) : Buffer.alloc(0),
    r.limit ? uint(3, r.limit) : Buffer.alloc(0),
    r.revision ? uint(4, r.revision) : Buffer.alloc(0),
    r.keysOnly ? uint(8, 1) : Buffer.alloc(0),
  ]);
const refOp = (op: RequestOp) =>
  'range' in op
    ? bytes(1, refRange(op.range))
    : 'put' in op
      ? bytes(2, Buffer.concat([bytes(1, op.put.key), bytes(2, op.put.value)]))
      : bytes(3, Buffer.concat([bytes(1, op.deleteRange.key), op.deleteRange.prevKv ? uint(3, 1) : Buffer.alloc(0)]));
const refCompare = (c: Compare) =>
  Buffer.concat([c.result === 'greater' ? uint(1, 1) : Buffer.alloc(0), uint(2, c.target === 'create' ? 1 : 2), bytes(3, c.key), uint(c.target === 'create' ? 5 : 6, c.value)]);
const refTxn = (t: TxnRequest) =>
  Buffer.concat([...t.compare.map((c) => bytes(1, refCompare(c))), ...t.success.map((op) => bytes(2, refOp(op))), ...t.failure.map((op) => bytes(3, refOp(op)))]);

const key = (n: number) => Buffer.from(`/sextant/core/pods/default/${'k'.repeat(n)}`);
const value = (n: number) => Buffer.alloc(n, 0x61);
const sizes = [0, 1, 90, 127, 128, 700, 16_383, 16_384, 300_000];
const numbers = [0, 1, 127, 128, 16_384, 2 ** 31, 2 ** 53 - 1];

test('Txn requests: the bytes of the reference encoder, for creates, updates, deletes and reads of any size', () => {
  for (const v of sizes) {
    for (const n of numbers) {
      const k = key(v % 200);
      const txns: TxnRequest[] = [
        { compare: [{ key: k, target: 'create', result: 'equal', value: 0 }], success: [{ put: { key: k, value: value(v) } }], failure: [{ range: { key: k } }] },
        { compare: [{ key: k, target: 'mod', result: 'equal', value: n }], success: [{ put: { key: k, value: value(v) } }], failure: [{ range: { key: k, keysOnly: true } }] },
        { compare: [{ key: k, target: 'create', result: 'greater', value: 0 }], success: [{ deleteRange: { key: k, prevKv: true } }], failure: [{ range: { key: k, keysOnly: true } }] },
        { compare: [], success: [{ range: { key: k, rangeEnd: key(3), limit: n, revision: n } }, { deleteRange: { key: k } }], failure: [] },
      ];
      for (const t of txns) {
        assert.deepEqual(encodeTxnRequest(t), refTxn(t));
        assert.deepEqual(encodeTxnRequest(t, 5).subarray(5), refTxn(t));
      }
    }
  }
});

test('Range and Compaction requests: the bytes of the reference encoder; room is left at the front', () => {
  for (const n of numbers) {
    const ranges: RangeRequest[] = [{ key: key(1) }, { key: key(2), rangeEnd: key(3), limit: n, revision: n, keysOnly: true }, { key: Buffer.alloc(0), revision: n }];
    for (const r of ranges) {
      assert.deepEqual(encodeRangeRequest(r), refRange(r));
      const framed = encodeRangeRequest(r, 5);
      assert.equal(framed.length, 5 + refRange(r).length);
      assert.deepEqual(framed.subarray(5), refRange(r));
    }
    assert.deepEqual(encodeCompactionRequest(n, true), Buffer.concat([uint(1, n), uint(2, 1)]));
    assert.deepEqual(encodeCompactionRequest(n, false, 5).subarray(5), uint(1, n));
  }
});
