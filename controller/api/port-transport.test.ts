/**
 * The in-process transport across a MessagePort, against the real API server (memory store):
 * verbs, errors and bodies arrive as over TCP, watches stream and end on the server when the
 * client stops them, and either side closing cuts what is open as a connection error. Both ends
 * run in this thread here; `sextant server` puts the client end in its controller worker thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import type http from 'node:http';
import { createLogger } from '../../daemon/logger.js';
import { startApiServer } from '../server/api-server.js';
import { serverParts } from '../server/parts.js';
import type { UserInfo } from '../server/identity.js';
import { createMemoryStore } from '../store/memory/index.js';
import { ApiClient } from './client.js';
import { ApiError } from './errors.js';
import { InProcessTransport } from './in-process-transport.js';
import { allKinds, KINDS } from './kinds.js';
import type { Pod } from './pod.js';
import type { WatchEvent } from './list.js';
import { PortTransport, servePort } from './port-transport.js';

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'img' }] } } as Pod);

interface Setup {
  client: ApiClient;
  tcp: ApiClient;
  port: PortTransport;
  served: { close(): void };
  users: string[];
  openWatches: () => number;
}

async function withServer(fn: (o: Setup) => Promise<void>): Promise<void> {
  let transport: InProcessTransport | undefined;
  const users: string[] = [];
  const authenticate = (req: http.IncomingMessage): UserInfo => {
    const u = transport?.owns(req) ? { name: 'in-process', groups: ['system:masters'] } : { name: 'tcp', groups: ['system:masters'] };
    users.push(u.name);
    return u;
  };
  const srv = await startApiServer({ store: createMemoryStore(), log: createLogger('test', { silent: true }), listen: '127.0.0.1:0', authenticate, ...serverParts(allKinds()) });
  transport = new InProcessTransport(srv.handler.handle);
  const { port1, port2 } = new MessageChannel();
  const served = servePort(port1, transport);
  const port = new PortTransport(port2);
  const client = new ApiClient({ server: 'https://unused.invalid', transport: port, requestTimeoutMs: 5000 });
  const tcp = new ApiClient({ server: srv.url });
  try {
    await fn({ client, tcp, port, served, users, openWatches: () => srv.handler.openWatches() });
  } finally {
    client.close();
    tcp.close();
    port.close();
    served.close();
    transport.close();
    await srv.close();
  }
}

const until = async (what: string, ok: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), `timed out waiting for ${what}`);
};

test('port: verbs, API errors and the in-process identity, as over TCP', async () => {
  await withServer(async ({ client, tcp, users }) => {
    const created = await client.create(KINDS.Pod, pod('a'));
    assert.equal((await tcp.get(KINDS.Pod, 'default', 'a')).metadata.uid, created.metadata.uid);
    const updated = await client.updateStatus(KINDS.Pod, { ...created, status: { phase: 'Running' } });
    assert.equal(updated.status?.phase, 'Running');
    const patched = await client.patch(KINDS.Pod, 'default', 'a', { metadata: { labels: { x: 'y' } } }, 'merge');
    assert.deepEqual(patched.metadata.labels, { x: 'y' });
    assert.deepEqual((await client.list(KINDS.Pod, { namespace: 'default' })).items.map((p) => p.metadata.name), ['a']);
    const dup = await client.create(KINDS.Pod, pod('a')).catch((e: unknown) => e);
    assert.ok(dup instanceof ApiError);
    assert.equal(dup.code, 409);
    assert.equal(dup.reason, 'AlreadyExists');
    await client.delete(KINDS.Pod, 'default', 'a', { gracePeriodSeconds: 0 });
    const gone = await client.get(KINDS.Pod, 'default', 'a').catch((e: unknown) => e);
    assert.ok(gone instanceof ApiError);
    assert.equal(gone.code, 404);
    assert.equal(users.filter((u) => u === 'tcp').length, 1);
    assert.ok(users.filter((u) => u === 'in-process').length >= 7);
  });
});

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

test('port: a watch streams events, and stopping it ends the stream on the server', async () => {
  await withServer(async ({ client, tcp, openWatches }) => {
    const list = await client.list(KINDS.Pod, { namespace: 'default' });
    const events: WatchEvent<Pod>[] = [];
    let closedWith: string | undefined;
    const handle = await client.watch(KINDS.Pod, { namespace: 'default', resourceVersion: list.metadata.resourceVersion, onEvent: (e) => events.push(e), onClose: (err) => (closedWith = err?.message ?? 'clean') });
    for (const n of ['w1', 'w2', 'w3']) await tcp.create(KINDS.Pod, pod(n));
    await tcp.delete(KINDS.Pod, 'default', 'w2', { gracePeriodSeconds: 0 });
    await until('four events', () => events.length >= 4);
    assert.deepEqual(events.map((e) => `${e.type} ${(e.object as Pod).metadata.name}`), ['ADDED w1', 'ADDED w2', 'ADDED w3', 'DELETED w2']);
    assert.equal(openWatches(), 1);
    handle.stop();
    await until('the server-side watch to end', () => openWatches() === 0);
    assert.equal(closedWith, undefined);
  });
});

test('port: the serving side closing cuts an open watch with a connection error, and later requests are refused', async () => {
  await withServer(async ({ client, served, openWatches }) => {
    const closed = new Promise<Error | undefined>((resolve) => {
      void client.watch(KINDS.Pod, { namespace: 'default', onEvent: () => undefined, onClose: resolve });
    });
    await until('the watch to open', () => openWatches() === 1);
    served.close();
    const err = await closed;
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'ConnectionError');
    await until('the server-side watch to end', () => openWatches() === 0);
    const refused = await client.get(KINDS.Pod, 'default', 'x').catch((e: unknown) => e);
    assert.ok(refused instanceof ApiError);
    assert.equal(refused.reason, 'ConnectionError');
  });
});

test('port: closing the client side fails what is open and refuses new requests', async () => {
  await withServer(async ({ client, port, openWatches }) => {
    const closed = new Promise<Error | undefined>((resolve) => {
      void client.watch(KINDS.Pod, { namespace: 'default', onEvent: () => undefined, onClose: resolve });
    });
    await until('the watch to open', () => openWatches() === 1);
    port.close();
    const err = await closed;
    assert.ok(err instanceof ApiError);
    assert.equal(err.reason, 'ConnectionError');
    await until('the server-side watch to end', () => openWatches() === 0);
    const refused = await client.get(KINDS.Pod, 'default', 'x').catch((e: unknown) => e);
    assert.ok(refused instanceof ApiError);
    assert.equal(refused.reason, 'ConnectionError');
  });
});
