/**
 * `getCached` on a real etcd: once the namespace cache has synced, namespace lookups make no etcd
 * read at all (counted by etcd itself); the cache follows updates and deletions through the
 * watch; an object created after the last event is never missed (a miss reads etcd); keys the
 * cache does not cover are plain gets; a closed store answers Unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStoreError } from '../errors.js';
import type { Store, StoredObject } from '../store.js';
import { etcdForTestFile } from './etcd-cluster.test-helper.js';

const etcd = etcdForTestFile(1);

async function store(): Promise<Store & { getCached(key: string): Promise<StoredObject | null> }> {
  const s = await etcd.openStore('sxcache');
  assert.ok(s.getCached, 'the etcd store has getCached');
  return s as Store & { getCached(key: string): Promise<StoredObject | null> };
}

/** Range calls etcd has answered (its own counter, from /metrics). */
async function etcdRanges(): Promise<number> {
  const text = await (await fetch(`${etcd.cluster().endpoints[0]}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^grpc_server_handled_total\{[^}]*grpc_method="Range"[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

async function until(what: string, f: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const labelsOf = (o: StoredObject | null) => (o?.metadata?.labels ?? {}) as Record<string, string>;

/** Waits until a lookup of `key` is answered without an etcd read (the cache has synced). */
async function synced(s: Store & { getCached(key: string): Promise<StoredObject | null> }, key: string): Promise<void> {
  await until('a getCached answered without an etcd read', async () => {
    const before = await etcdRanges();
    await s.getCached(key);
    return (await etcdRanges()) === before;
  });
}

test('a synced namespace cache answers without reading etcd and follows updates and deletions', async () => {
  const s = await store();
  await s.create('/core/namespaces/a', ns('a'));
  const first = await s.getCached('/core/namespaces/a');
  assert.equal(first?.metadata?.name, 'a', 'the first lookup (a miss while the cache syncs) reads etcd');
  await synced(s, '/core/namespaces/a');

  const before = await etcdRanges();
  for (let i = 0; i < 50; i++) assert.equal((await s.getCached('/core/namespaces/a'))?.metadata?.name, 'a');
  assert.equal(await etcdRanges(), before, '50 cached lookups, no etcd Range');
  await s.get('/core/namespaces/a');
  assert.equal(await etcdRanges(), before + 1, 'a get is one Range (the counter counts)');

  // A hit is served from the cache, so seeing the change proves the watch fed it.
  const stored = await s.update('/core/namespaces/a', ns('a', { phase: 'changed' }));
  await until('the cache sees the update', async () => labelsOf(await s.getCached('/core/namespaces/a')).phase === 'changed');
  assert.equal((await s.getCached('/core/namespaces/a'))?.metadata?.resourceVersion, stored.metadata?.resourceVersion);

  await s.delete('/core/namespaces/a');
  await until('the cache sees the deletion', async () => (await s.getCached('/core/namespaces/a')) === null);
});

test('a namespace created after the last cached event is found at once (a miss reads etcd)', async () => {
  const s = await store();
  await s.create('/core/namespaces/old', ns('old'));
  await s.getCached('/core/namespaces/old');
  await synced(s, '/core/namespaces/old');
  for (let i = 0; i < 20; i++) {
    await s.create(`/core/namespaces/new-${i}`, ns(`new-${i}`));
    assert.equal((await s.getCached(`/core/namespaces/new-${i}`))?.metadata?.name, `new-${i}`);
  }
  assert.equal(await s.getCached('/core/namespaces/never'), null);
});

test('keys outside the cache are plain gets; a closed store answers Unavailable', async () => {
  const s = await store();
  await s.create('/core/namespaces/n', ns('n'));
  await s.create('/core/pods/n/p', { kind: 'Pod', metadata: { name: 'p', namespace: 'n' } });
  await s.getCached('/core/namespaces/n');
  await synced(s, '/core/namespaces/n');
  const before = await etcdRanges();
  assert.equal((await s.getCached('/core/pods/n/p'))?.metadata?.name, 'p');
  assert.equal(await etcdRanges(), before + 1, 'a pod lookup reads etcd');
  await s.update('/core/pods/n/p', { kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { v: '2' } } });
  assert.equal(labelsOf(await s.getCached('/core/pods/n/p')).v, '2', 'never stale outside the cache');
  await s.close();
  await assert.rejects(s.getCached('/core/namespaces/n'), (e: unknown) => isStoreError(e, 'Unavailable'));
});
