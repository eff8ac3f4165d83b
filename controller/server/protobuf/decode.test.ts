import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobufObject, ProtobufError } from './decode.js';

/** A minimal protobuf encoder for building test bodies. */
const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
};
const bytes = (field: number, payload: Buffer | string) => {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.from([...varint((field << 3) | 2), ...varint(p.length), ...p]);
};
const int = (field: number, n: number) => Buffer.from([...varint(field << 3), ...varint(n)]);
const msg = (...parts: Buffer[]) => Buffer.concat(parts);
const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), msg(bytes(1, msg(bytes(1, apiVersion), bytes(2, kind))), bytes(2, raw))]);

test('decodes a Service with labels, ports and an int-or-string targetPort', () => {
  const meta = msg(bytes(1, 'web'), bytes(3, ''), bytes(11, msg(bytes(1, 'app'), bytes(2, 'web'))));
  const port = msg(bytes(1, 'http'), bytes(2, 'TCP'), int(3, 80), bytes(4, msg(int(1, 1), bytes(3, 'http-alt'))), int(5, 0));
  const spec = msg(bytes(1, port), bytes(2, msg(bytes(1, 'app'), bytes(2, 'web'))), bytes(4, 'NodePort'));
  const obj = decodeProtobufObject(envelope('v1', 'Service', msg(bytes(1, meta), bytes(2, spec))));
  assert.deepEqual(obj, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http-alt' }], selector: { app: 'web' }, type: 'NodePort' },
  });
});

test('pointer fields keep zero (replicas: 0), plain ones drop it', () => {
  const obj = decodeProtobufObject(envelope('apps/v1', 'Deployment', msg(bytes(1, bytes(1, 'd')), bytes(2, msg(int(1, 0), int(5, 0))))));
  assert.deepEqual(obj.spec, { replicas: 0 });
});

const refusals: [string, Buffer, RegExp][] = [
  ['no magic', Buffer.from('{"kind":"Pod"}'), /magic/],
  ['a kind without tables', envelope('v1', 'Pod', Buffer.alloc(0)), /v1\/Pod are not supported/],
  ['an unknown field', envelope('v1', 'Namespace', msg(bytes(1, bytes(99, 'x')))), /field 99 of ObjectMeta is not supported/],
  ['a truncated message', Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x10, 0x01])]), /malformed protobuf/],
];
for (const [name, body, re] of refusals) {
  test(`refuses ${name}`, () => {
    assert.throws(() => decodeProtobufObject(body), (e: unknown) => e instanceof ProtobufError && re.test(e.message));
  });
}
