/**
 * The informer of controller/api against a real `sextant server` process: it keeps its cache
 * right across a server restart, and across an expired resourceVersion (410 → relist), with
 * the changes made meanwhile delivered as add/delete events.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ApiClient } from '../../controller/api/client.js';
import { createInformer } from '../../controller/api/informer.js';
import { KINDS } from '../../controller/api/kinds.js';
import type { Pod } from '../../controller/api/pod.js';
import { openSqliteStore } from '../../controller/store/sqlite/index.js';
import { startTestServer, type TestServer } from './harness.js';

let s: TestServer;
before(async () => {
  s = await startTestServer(['--history-revisions', '3', '--history-age', '0s', '--compact-interval', '100ms']);
});
after(async () => {
  await s?.cleanup();
});

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

async function eventually(what: string, fn: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('informer survives a server restart and an expired resourceVersion', async () => {
  const client = ApiClient.fromKubeconfig(s.kubeconfig);
  const informer = createInformer<Pod>(client, KINDS.Pod, { namespace: 'default', backoff: { initialMs: 100, maxMs: 500 } });
  const added: string[] = [];
  const deleted: string[] = [];
  informer.addHandlers({ onAdd: (p) => added.push(p.metadata.name!), onDelete: (p) => deleted.push(p.metadata.name!) });
  informer.start();
  try {
    await client.create(KINDS.Pod, pod('before'));
    await informer.synced();
    await eventually('the informer has "before"', () => informer.get('default', 'before') !== undefined);
    const names = () => informer.list().map((p) => p.metadata.name).sort();

    await s.restart();
    await client.create(KINDS.Pod, pod('after-restart'));
    await eventually('the informer sees a pod created after the restart', () => informer.get('default', 'after-restart') !== undefined);

    // While the server is down, history moves far past what the informer has seen and is compacted.
    const lastSeen = Number(informer.get('default', 'after-restart')!.metadata.resourceVersion);
    await s.stop();
    const store = await openSqliteStore({ path: join(s.dir, 'data', 'state.db'), history: { revisions: 2, ageMs: 0, intervalMs: 20 } });
    await store.delete('/core/pods/default/before');
    for (let i = 0; i < 10; i++) await store.create(`/core/pods/default/offline-${i}`, { ...pod(`offline-${i}`), metadata: { name: `offline-${i}`, namespace: 'default', uid: `u${i}` } });
    let expired = false;
    for (let i = 0; i < 100 && !expired; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const w = store.watch('/core/pods/', { fromRevision: lastSeen, onEvent: () => {}, onError: () => (expired = true) });
      await new Promise((r) => setTimeout(r, 10));
      w.stop();
    }
    assert.ok(expired, 'compaction passed the informer\'s resourceVersion');
    await store.close();
    await s.restart();

    const first = await new Promise<{ type: string; object: unknown }>((resolveProbe) => {
      const events: { type: string; object: unknown }[] = [];
      client.watch(KINDS.Pod, {
        namespace: 'default',
        resourceVersion: String(lastSeen),
        onEvent: (e) => events.push(e as { type: string; object: unknown }),
        onClose: () => resolveProbe(events[0] ?? { type: 'none', object: {} }),
      });
    });
    assert.equal(first.type, 'ERROR', 'the informer\'s resourceVersion is really expired');
    assert.equal((first.object as { code?: number }).code, 410);

    await eventually('the informer relisted', () => informer.get('default', 'offline-9') !== undefined && informer.get('default', 'before') === undefined);
    assert.deepEqual(names(), ['after-restart', ...Array.from({ length: 10 }, (_, i) => `offline-${i}`)].sort());
    assert.ok(deleted.includes('before'), 'the pod deleted while the informer was away arrives as a delete');
    for (let i = 0; i < 10; i++) assert.ok(added.includes(`offline-${i}`));
  } finally {
    informer.stop();
  }
});
