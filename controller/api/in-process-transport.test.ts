/**
 * The in-process transport against the real API server (memory store): the same verbs, errors,
 * watches and identity step as over TCP, a watch stopped by the client ends on the server, a
 * request timeout still fires, and a closed transport refuses requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
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

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'img' }] } } as Pod);

async function withServer(fn: (o: { transport: InProcessTransport; client: ApiClient; tcp: ApiClient; users: string[]; openWatches: () => number }) => Promise<void>): Promise<void> {
  let transport: InProcessTransport | undefined;
  const users: string[] = [];
  // The identity step names in-process callers apart; everyone else is anonymous.
  const authenticate = (req: http.IncomingMessage): UserInfo => {
    const u = transport?.owns(req) ? { name: 'in-process', groups: ['system:masters'] } : { name: 'tcp', groups: ['system:masters'] };
    users.push(u.name);
    return u;
  };
  const srv = await startApiServer({ store: createMemoryStore(), log: createLogger('test', { silent: true }), listen: '127.0.0.1:0', authenticate, ...serverParts(allKinds()) });
  transport = new InProcessTransport(srv.handler.handle);
  const client = new ApiClient({ server: 'https://unused.invalid', transport, requestTimeoutMs: 5000 });
  const tcp = new ApiClient({ server: srv.url });
  try {
    await fn({ transport, client, tcp, users, openWatches: () => srv.handler.openWatches() });
  } finally {
    client.close();
    tcp.close();
    transport.close();
    await srv.close();
  }
}

test('in-process: create, get, update, patch, list, delete and API errors as over TCP', async () => {
  await withServer(async ({ client, tcp, users }) => {
    const created = await client.create(KINDS.Pod, pod('a'));
    assert.equal(created.metadata.name, 'a');
    assert.ok(created.metadata.resourceVersion);
    // the object is the server's: TCP clients see it
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
    const stale = await client.update(KINDS.Pod, created).catch((e: unknown) => e);
    assert.ok(stale instanceof ApiError);
    assert.equal(stale.code, 409);
    await client.delete(KINDS.Pod, 'default', 'a', { gracePeriodSeconds: 0 });
    const gone = await client.get(KINDS.Pod, 'default', 'a').catch((e: unknown) => e);
    assert.ok(gone instanceof ApiError);
    assert.equal(gone.code, 404);
    assert.ok(users.includes('in-process') && users.includes('tcp'));
    // every request of the in-process client went through the identity step as in-process
    assert.equal(users.filter((u) => u === 'tcp').length, 1);
  });
});

test('in-process: a watch streams events and stopping it ends the stream on the server', async () => {
  await withServer(async ({ client, tcp, openWatches }) => {
    const list = await client.list(KINDS.Pod, { namespace: 'default' });
    const events: WatchEvent<Pod>[] = [];
    let closedWith: string | undefined;
    const handle = await client.watch(KINDS.Pod, { namespace: 'default', resourceVersion: list.metadata.resourceVersion, onEvent: (e) => events.push(e), onClose: (err) => (closedWith = err?.message ?? 'clean') });
    for (const n of ['w1', 'w2', 'w3']) await tcp.create(KINDS.Pod, pod(n));
    await tcp.delete(KINDS.Pod, 'default', 'w2', { gracePeriodSeconds: 0 });
    for (let i = 0; i < 200 && events.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(events.map((e) => `${e.type} ${(e.object as Pod).metadata.name}`), ['ADDED w1', 'ADDED w2', 'ADDED w3', 'DELETED w2']);
    assert.equal(openWatches(), 1);
    handle.stop();
    for (let i = 0; i < 200 && openWatches() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(openWatches(), 0);
    assert.equal(closedWith, undefined);
  });
});

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
