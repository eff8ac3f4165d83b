/**
 * The in-process transport against the real API server (memory store): the same verbs, errors,
 * watches and identity step as over TCP, a watch stopped by the client ends on the server, a
 * request timeout still fires, and a closed transport refuses requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from './client.js';
import { ApiError } from './errors.js';
import { InProcessTransport } from './in-process-transport.js';
import { KINDS } from './kinds.js';
import { verbsAsOverTcp, watchAsOverTcp, withTransportServer, type TransportServer } from './transport-cases.test-helper.js';

type Side = { transport: InProcessTransport; close(): void };

/** The client under test takes the server's in-process transport itself. */
const withServer = (fn: (s: TransportServer<Side> & { transport: InProcessTransport }) => Promise<void>) =>
  withTransportServer((inProcess): Side => ({ transport: inProcess, close: () => undefined }), (s) => fn({ ...s, transport: s.inProcess }));

test('in-process: create, get, update, patch, list, delete and API errors as over TCP', () => withServer(verbsAsOverTcp));

test('in-process: a watch streams events and stopping it ends the stream on the server', () => withServer(watchAsOverTcp));

test('in-process: a server-side watch timeout ends the stream cleanly', async () => {
  await withServer(async ({ client }) => {
    const closed = new Promise<string>((resolve) => {
      void client.watch(KINDS.Pod, { namespace: 'default', timeoutSeconds: 1, onEvent: () => undefined, onClose: (err) => resolve(err?.message ?? 'clean') });
    });
    assert.equal(await closed, 'clean');
  });
});

test('in-process: the client request timeout still fires, and a closed transport refuses requests', async () => {
  await withServer(async ({ transport }) => {
    // a handler that never answers
    const silent = new InProcessTransport(() => undefined);
    const slow = new ApiClient({ server: 'http://x', transport: silent, requestTimeoutMs: 200 });
    const err = await slow.get(KINDS.Pod, 'default', 'x').catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'ConnectionError');
    assert.match(err.message, /timed out after 200 ms/);
    slow.close();
    silent.close();
    transport.close();
    const after = new ApiClient({ server: 'http://x', transport });
    const refused = await after.get(KINDS.Pod, 'default', 'x').catch((e: unknown) => e);
    assert.ok(refused instanceof ApiError);
    assert.equal(refused.reason, 'ConnectionError');
    after.close();
  });
});

test('in-process: a refused watch rejects with the server\'s Status, and a response cut mid-stream closes the watch with a connection error', async () => {
  await withServer(async ({ client, transport }) => {
    const refused = await client.watch(KINDS.Pod, { namespace: 'default', labelSelector: 'a in (', onEvent: () => undefined, onClose: () => undefined }).catch((e: unknown) => e);
    assert.ok(refused instanceof ApiError);
    assert.equal(refused.code, 400);
    const closed = new Promise<Error | undefined>((resolve) => {
      void client.watch(KINDS.Pod, { namespace: 'default', onEvent: () => undefined, onClose: resolve });
    });
    await new Promise((r) => setTimeout(r, 100));
    transport.close();
    const err = await closed;
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'ConnectionError');
  });
});
