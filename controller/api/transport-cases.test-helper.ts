/**
 * What every in-process client transport must do like TCP (in-process-transport.test.ts,
 * port-transport.test.ts): a real API server (memory store) whose identity step names in-process
 * callers apart, an ApiClient on the transport under test beside a TCP client, and the cases
 * both transports share.
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { createLogger } from '../../daemon/logger.js';
import { startApiServer } from '../server/api-server.js';
import { serverParts } from '../server/parts.js';
import type { UserInfo } from '../server/identity.js';
import { createMemoryStore } from '../store/memory/index.js';
import { ApiClient } from './client.js';
import { ApiError } from './errors.js';
import { InProcessTransport, type ExchangeTransport } from './in-process-transport.js';
import { allKinds, KINDS } from './kinds.js';
import type { Pod } from './pod.js';
import type { WatchEvent } from './list.js';

export const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'img' }] } } as Pod);

export interface TransportServer<X> {
  /** The server's in-process transport. */
  inProcess: InProcessTransport;
  /** A client on the transport under test. */
  client: ApiClient;
  tcp: ApiClient;
  /** Who the identity step saw, request by request: `in-process` or `tcp`. */
  users: string[];
  openWatches: () => number;
  /** What the transport under test's setup returned. */
  side: X;
}

/** Runs `fn` against a fresh server; `clientSide` builds the transport under test over its in-process transport. */
export async function withTransportServer<X extends { transport: ExchangeTransport; close(): void }>(
  clientSide: (inProcess: InProcessTransport) => X,
  fn: (s: TransportServer<X>) => Promise<void>,
): Promise<void> {
  let inProcess: InProcessTransport | undefined;
  const users: string[] = [];
  const authenticate = (req: http.IncomingMessage): UserInfo => {
    const u = inProcess?.owns(req) ? { name: 'in-process', groups: ['system:masters'] } : { name: 'tcp', groups: ['system:masters'] };
    users.push(u.name);
    return u;
  };
  const srv = await startApiServer({ store: createMemoryStore(), log: createLogger('test', { silent: true }), listen: '127.0.0.1:0', authenticate, ...serverParts(allKinds()) });
  inProcess = new InProcessTransport(srv.handler.handle);
  const side = clientSide(inProcess);
  const client = new ApiClient({ server: 'https://unused.invalid', transport: side.transport, requestTimeoutMs: 5000 });
  const tcp = new ApiClient({ server: srv.url });
  try {
    await fn({ inProcess, client, tcp, users, openWatches: () => srv.handler.openWatches(), side });
  } finally {
    client.close();
    tcp.close();
    side.close();
    inProcess.close();
    await srv.close();
  }
}

export async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

/** Create, get, update, patch, list, delete and API errors answer as over TCP, every request identified as in-process. */
export async function verbsAsOverTcp({ client, tcp, users }: TransportServer<unknown>): Promise<void> {
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
  // every request but the TCP client's one went through the identity step as in-process
  assert.equal(users.filter((u) => u === 'tcp').length, 1);
  assert.equal(users.filter((u) => u === 'in-process').length, 8);
}

/** A watch streams events in order, and stopping it ends the stream on the server. */
export async function watchAsOverTcp({ client, tcp, openWatches }: TransportServer<unknown>): Promise<void> {
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
}
