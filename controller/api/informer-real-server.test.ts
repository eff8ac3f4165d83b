/**
 * The informer against the real API server (in-process, memory store) with a label selector,
 * watches cut every 1-2 s and history compacted to 2 revisions, so resumes, bookmarks and 410
 * relists all happen while pods churn. The cache and what the handlers saw must end equal to the
 * server's list. (Written while chasing pods the cluster bench never saw Ready: the informer was
 * not the cause — the agent's out-of-order status writes were — and this keeps it that way.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../daemon/logger.js';
import { startApiServer } from '../server/api-server.js';
import { serverParts } from '../server/parts.js';
import { createMemoryStore } from '../store/memory/index.js';
import { ApiClient } from './client.js';
import { createInformer } from './informer.js';
import { allKinds, KINDS } from './kinds.js';
import type { Pod } from './pod.js';

const isReady = (p: Pod) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

test('informer on the real server: resumes, bookmarks and relists under churn leave nothing behind', { timeout: 60_000 }, async () => {
  const srv = await startApiServer({
    store: createMemoryStore({ history: { revisions: 2, ageMs: 0, intervalMs: 50 } }),
    log: createLogger('test', { silent: true }),
    listen: '127.0.0.1:0',
    bookmarkIntervalMs: 100,
    ...serverParts(allKinds()),
  });
  const client = new ApiClient({ server: srv.url });
  let watches = 0;
  const watch = client.watch.bind(client);
  // One resume (the third watch) is held back while unrelated writes advance and compact the
  // history, so it always starts from a version that is gone: a 410 relist happens on every run
  // (the churn alone made one only when the informer lagged).
  const other = new ApiClient({ server: srv.url });
  client.watch = async (kind, opts) => {
    if (++watches === 3) {
      for (let i = 0; i < 5; i++) await other.create(KINDS.Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `held-${i}`, namespace: 'default', labels: { app: 'other' } }, spec: { containers: [{ name: 'c', image: 'img' }] } } as Pod);
      await new Promise((r) => setTimeout(r, 300));
    }
    return watch(kind, opts);
  };
  const errors: string[] = [];
  const informer = createInformer<Pod>(client, KINDS.Pod, {
    namespace: 'default', labelSelector: 'app=web', watchTimeoutSeconds: 1, backoff: { initialMs: 10, maxMs: 50 }, onError: (e) => errors.push(e.message),
  });
  // What the handlers told, as the cluster bench keeps it: name → ready.
  const seen = new Map<string, boolean>();
  informer.addHandlers({
    onAdd: (p) => seen.set(p.metadata.name!, isReady(p)),
    onUpdate: (_old, p) => seen.set(p.metadata.name!, isReady(p)),
    onDelete: (p) => seen.delete(p.metadata.name!),
  });
  const create = (name: string, app: string) =>
    client.create(KINDS.Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app } }, spec: { containers: [{ name: 'c', image: 'img' }] } } as Pod);
  const setReady = (name: string, ready: boolean) =>
    client.patch(KINDS.Pod, 'default', name, { status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }, 'merge', { subresource: 'status' });
  try {
    informer.start();
    await informer.synced();
    for (let round = 0; round < 2; round++) {
      const names = Array.from({ length: 20 }, (_, i) => `web-${round}-${i}`);
      await Promise.all(names.map((n) => create(n, 'web')));
      const until = Date.now() + 2_500;
      for (let k = 0; Date.now() < until; k++) {
        await Promise.all([...names.map((n) => setReady(n, Math.random() < 0.5)), create(`other-${round}-${k}`, 'other')]);
      }
      await Promise.all(names.map((n) => setReady(n, true)));
      if (round > 0) await Promise.all(Array.from({ length: 20 }, (_, i) => client.delete(KINDS.Pod, 'default', `web-${round - 1}-${i}`, { gracePeriodSeconds: 0 })));
    }
    const live = (await client.list(KINDS.Pod, { namespace: 'default', labelSelector: 'app=web' })).items;
    const want = live.map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`).sort();
    const deadline = Date.now() + 20_000;
    const cached = () => informer.list().map((p) => `${p.metadata.name}@${p.metadata.resourceVersion}`).sort();
    while (JSON.stringify(cached()) !== JSON.stringify(want) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(cached(), want, 'the cache holds exactly the server\'s objects at their versions');
    assert.deepEqual([...seen].sort(), live.map((p) => [p.metadata.name!, isReady(p)]).sort(), 'the handlers saw the final state of every pod');
    assert.ok(live.every(isReady) && live.length === 20);
    assert.ok(watches >= 3, `watches were resumed (${watches} started)`);
    assert.ok(errors.some((e) => /too old/.test(e)), 'a resume fell behind compaction and relisted');
  } finally {
    informer.stop();
    client.close();
    other.close();
    await srv.close();
    await srv.registry.store.close();
  }
});
