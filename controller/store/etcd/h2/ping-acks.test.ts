/**
 * PING acks (ping-acks.ts): every PING gets an ACK with its payload, held until the delay is up and
 * then written with the others waiting in one buffer; nothing is written after close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAG_ACK, PING } from './frames.js';
import { PingAcks } from './ping-acks.js';

/** The PING frames in `buf`: [flags, payload] each. */
function pings(buf: Buffer): [number, string][] {
  const out: [number, string][] = [];
  for (let at = 0; at < buf.length; ) {
    const len = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
    assert.equal(buf[at + 3], PING);
    out.push([buf[at + 4]!, buf.subarray(at + 9, at + 9 + len).toString('latin1')]);
    at += 9 + len;
  }
  return out;
}

test('acks wait for the delay, then go out together in one write, each with its PING payload', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const writes: Buffer[] = [];
  const acks = new PingAcks((b) => writes.push(b), 10);
  acks.add(Buffer.from('payload1'));
  t.mock.timers.tick(4);
  acks.add(Buffer.from('payload2'));
  assert.equal(writes.length, 0, 'nothing before the delay');
  t.mock.timers.tick(6);
  assert.equal(writes.length, 1);
  assert.deepEqual(pings(writes[0]!), [
    [FLAG_ACK, 'payload1'],
    [FLAG_ACK, 'payload2'],
  ]);
  // The next PING waits its own delay again.
  acks.add(Buffer.from('payload3'));
  t.mock.timers.tick(9);
  assert.equal(writes.length, 1);
  t.mock.timers.tick(1);
  assert.deepEqual(pings(writes[1]!), [[FLAG_ACK, 'payload3']]);
});

test('the payload is copied: the read buffer it came from may be reused before the ack is written', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const writes: Buffer[] = [];
  const acks = new PingAcks((b) => writes.push(b), 10);
  const chunk = Buffer.from('abcdefgh');
  acks.add(chunk);
  chunk.fill(0);
  t.mock.timers.tick(10);
  assert.deepEqual(pings(writes[0]!), [[FLAG_ACK, 'abcdefgh']]);
});

test('flush writes waiting acks at once; close drops them and ignores later PINGs; delay 0 answers at once', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const writes: Buffer[] = [];
  const acks = new PingAcks((b) => writes.push(b), 10);
  acks.add(Buffer.from('aaaaaaaa'));
  acks.flush();
  assert.deepEqual(pings(writes[0]!), [[FLAG_ACK, 'aaaaaaaa']]);
  t.mock.timers.tick(10);
  assert.equal(writes.length, 1, 'the flushed ack is not written twice');
  acks.add(Buffer.from('bbbbbbbb'));
  acks.close();
  acks.add(Buffer.from('cccccccc'));
  t.mock.timers.tick(20);
  assert.equal(writes.length, 1);

  const immediate: Buffer[] = [];
  new PingAcks((b) => immediate.push(b), 0).add(Buffer.from('dddddddd'));
  assert.deepEqual(pings(immediate[0]!), [[FLAG_ACK, 'dddddddd']]);
});
