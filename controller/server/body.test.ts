/**
 * readBody: a socket request's body is read from its stream under the limit; an in-process
 * request's body (already in memory) is taken whole, without stream events, under the same limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { Readable } from 'node:stream';
import { LocalRequest } from '../api/local-http.js';
import { ApiServerError } from './errors.js';
import { readBody } from './body.js';

const conn = { remoteAddress: '127.0.0.1', remotePort: 0, encrypted: false as const };
const local = (body?: Buffer) => new LocalRequest({ method: 'PUT', url: '/api/v1/namespaces/default/pods/p', headers: { 'content-type': 'application/json' }, ...(body ? { body } : {}) }, conn);
const asIncoming = (r: Readable) => r as unknown as http.IncomingMessage;

test('an in-process body is handed over as it is, without stream events', async () => {
  const body = Buffer.from('{"kind":"Pod"}');
  const req = local(body);
  let events = 0;
  req.on('data', () => events++);
  assert.equal(await readBody(asIncoming(req)), body);
  assert.equal(events, 0);
  assert.equal(req.headers['content-length'], String(body.length));
});

test('an in-process body over the limit is refused as too large', async () => {
  await assert.rejects(readBody(asIncoming(local(Buffer.alloc(64, 0x20))), 16), (e: unknown) => e instanceof ApiServerError && e.code === 'RequestEntityTooLarge');
});

test('an in-process request without a body reads as empty', async () => {
  assert.equal((await readBody(asIncoming(local()))).length, 0);
});

test('an in-process request still reads as a stream; its body is not taken twice', async () => {
  const req = local(Buffer.from('abc'));
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'abc');
  assert.equal(req.takeBody(), undefined);
  const taken = local(Buffer.from('xyz'));
  assert.equal(taken.takeBody()?.toString(), 'xyz');
  const rest: Buffer[] = [];
  for await (const c of taken) rest.push(c as Buffer);
  assert.equal(rest.length, 0);
});

test('a socket request is read from its stream, chunks joined, under the limit', async () => {
  const stream = () => {
    const r = Readable.from([Buffer.from('{"a":'), Buffer.from('1}')], { objectMode: false });
    Object.assign(r, { headers: {} });
    return asIncoming(r);
  };
  assert.equal((await readBody(stream())).toString(), '{"a":1}');
  await assert.rejects(readBody(stream(), 4), (e: unknown) => e instanceof ApiServerError && e.code === 'RequestEntityTooLarge');
});
