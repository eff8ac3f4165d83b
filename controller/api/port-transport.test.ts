/**
 * The in-process transport across a MessagePort, against the real API server (memory store):
 * verbs, errors and bodies arrive as over TCP, watches stream and end on the server when the
 * client stops them, and either side closing cuts what is open as a connection error. Both ends
 * run in this thread here; `sextant server` puts the client end in its controller worker thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { ApiError } from './errors.js';
import { KINDS } from './kinds.js';
import type { LocalRequestInit, ResponseSink } from './local-http.js';
import { PortTransport, servePort } from './port-transport.js';
import { pod, until, verbsAsOverTcp, watchAsOverTcp, withTransportServer, type TransportServer } from './transport-cases.test-helper.js';

type Side = { transport: PortTransport; served: { close(): void }; close(): void };

/** The client under test sends over a MessagePort whose other end the server's in-process transport answers. */
const withServer = (fn: (s: TransportServer<Side>) => Promise<void>) =>
  withTransportServer((inProcess): Side => {
    const { port1, port2 } = new MessageChannel();
    const served = servePort(port1, inProcess);
    const transport = new PortTransport(port2);
    return { transport, served, close: () => (transport.close(), served.close()) };
  }, fn);

test('port: create, get, update, patch, list, delete and API errors as over TCP', () => withServer(verbsAsOverTcp));

test('port: a watch streams events, and stopping it ends the stream on the server', () => withServer(watchAsOverTcp));

test('port: bodies cross byte for byte (small pooled buffers, bodies larger than a pool, non-ASCII text)', async () => {
  await withServer(async ({ client, tcp }) => {
    // Small bodies are slices of Node's shared buffer pool: only their own bytes may cross.
    const small = await client.create(KINDS.Pod, { ...pod('small'), metadata: { name: 'small', namespace: 'default', annotations: { k: 'v' } } });
    assert.deepEqual(small.metadata.annotations, { k: 'v' });
    const big = 'x'.repeat(100_000);
    const text = 'grüße, 世界, 🚀';
    await client.create(KINDS.Pod, { ...pod('big'), metadata: { name: 'big', namespace: 'default', annotations: { big, text } } });
    const back = await tcp.get(KINDS.Pod, 'default', 'big');
    assert.equal(back.metadata.annotations?.big, big);
    assert.equal(back.metadata.annotations?.text, text);
    // and the answer crosses back whole
    assert.equal((await client.get(KINDS.Pod, 'default', 'big')).metadata.annotations?.text, text);
  });
});

/** Either end closing cuts an open watch with a connection error, ends it on the server, and refuses later requests. */
for (const [end, close] of [
  ['the serving side', (s: Side) => s.served.close()],
  ['the client side', (s: Side) => s.transport.close()],
] as const) {
  test(`port: ${end} closing cuts an open watch with a connection error, and later requests are refused`, async () => {
    await withServer(async ({ client, side, openWatches }) => {
      const closed = new Promise<Error | undefined>((resolve) => {
        void client.watch(KINDS.Pod, { namespace: 'default', onEvent: () => undefined, onClose: resolve });
      });
      await until('the watch to open', () => openWatches() === 1);
      close(side);
      const err = await closed;
      assert.ok(err instanceof ApiError);
      assert.equal(err.reason, 'ConnectionError');
      await until('the server-side watch to end', () => openWatches() === 0);
      const refused = await client.get(KINDS.Pod, 'default', 'x').catch((e: unknown) => e);
      assert.ok(refused instanceof ApiError);
      assert.equal(refused.reason, 'ConnectionError');
    });
  });
}

test('port: the bytes a side sends are copied, never taken from under their owner', async () => {
  // A buffer with an ArrayBuffer of its own could be transferred as it is, which would empty it
  // for whoever still holds it: a request body the client may send again, a chunk also written elsewhere.
  const fill = (n: number) => {
    const b = Buffer.allocUnsafeSlow(n);
    for (let i = 0; i < n; i++) b[i] = i % 251;
    return b;
  };
  const body = fill(16_384);
  const chunk = fill(20_000);
  let served: Buffer | undefined;
  const answering = {
    url: 'http://unused.invalid',
    exchange(init: LocalRequestInit, sink: ResponseSink) {
      served = init.body;
      sink.head(200, {});
      sink.data(chunk);
      sink.end();
      return { abort() {} };
    },
  };
  const { port1, port2 } = new MessageChannel();
  const server = servePort(port1, answering);
  const client = new PortTransport(port2);
  try {
    const got: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      client.exchange({ method: 'PUT', url: '/x', headers: {}, body }, {
        head: () => undefined,
        data: (c) => got.push(Buffer.isBuffer(c) ? c : Buffer.from(c)),
        end: resolve,
        fail: reject,
      });
    });
    assert.equal(body.length, 16_384, 'the request body is still the client\'s');
    assert.equal(chunk.length, 20_000, 'the answer chunk is still the server\'s');
    assert.ok(served && served.equals(body), 'the server got the body byte for byte');
    assert.ok(Buffer.concat(got).equals(chunk), 'the client got the chunk byte for byte');
  } finally {
    client.close();
    server.close();
  }
});
