import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from './client.js';
import { createInformer, type Informer } from './informer.js';
import { KINDS } from './kinds.js';
import { FakeApiServer } from './fake-apiserver.test-helper.js';
import type { Pod } from './pod.js';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a fake server with pods, a client and an informer recording every handler call. */
async function setup(podNames: string[], pageSize = 2) {
  const fake = new FakeApiServer();
  await fake.start();
  for (const n of podNames) fake.put(n, { app: n });
  const client = new ApiClient({ server: fake.url });
  const errors: Error[] = [];
  const informer = createInformer<Pod>(client, KINDS.Pod, {
    namespace: 'default', pageSize, backoff: { initialMs: 10, maxMs: 100 }, onError: (e) => errors.push(e),
  });
  const log: string[] = [];
  let syncs = 0;
  informer.addHandlers({
    onAdd: (p) => log.push(`add ${p.metadata.name}@${p.metadata.resourceVersion}`),
    onUpdate: (o, n) => log.push(`update ${n.metadata.name} ${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`),
    onDelete: (p) => log.push(`delete ${p.metadata.name}`),
    onSynced: () => syncs++,
  });
  const cleanup = async () => {
    informer.stop();
    client.close();
    await fake.stop();
  };
  return { fake, client, informer, log, errors, syncs: () => syncs, cleanup };
}

const names = (inf: Informer<Pod>) => inf.list().map((p) => p.metadata.name).sort();

test('informer: paged initial list, then watch from its resourceVersion with bookmarks', async () => {
  const t = await setup(['a', 'b', 'c', 'd', 'e']);
  try {
    t.informer.start();
    await t.informer.synced();
    assert.equal(t.informer.hasSynced(), true);
    assert.deepEqual(names(t.informer), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(t.log, ['add a@2', 'add b@3', 'add c@4', 'add d@5', 'add e@6']);
    const lists = t.fake.requests.filter((r) => r.query.get('watch') === null && r.method === 'GET');
    assert.deepEqual(lists.map((r) => r.query.get('limit')), ['2', '2', '2']);
    await waitFor('a watch', () => t.fake.watchRequests().length === 1);
    const w = t.fake.watchRequests()[0]!;
    assert.equal(w.query.get('resourceVersion'), '6');
    assert.equal(w.query.get('allowWatchBookmarks'), 'true');
    t.log.length = 0;
    t.fake.put('b', { app: 'b', v: '2' });
    t.fake.del('c');
    t.fake.put('f');
    await waitFor('three events', () => t.log.length === 3);
    assert.deepEqual(t.log, ['update b 3->7', 'delete c', 'add f@9']);
    assert.equal(t.informer.get('default', 'b')?.metadata.labels?.v, '2');
    assert.equal(t.informer.get('default', 'c'), undefined);
    assert.equal(t.syncs(), 1);
  } finally {
    await t.cleanup();
  }
});

test('informer: a closed stream is re-watched from the last version, a bookmark advances it', async () => {
  const t = await setup(['a']);
  try {
    t.informer.start();
    await t.informer.synced();
    await waitFor('first watch', () => t.fake.watchRequests().length === 1);
    t.fake.put('b');
    await waitFor('add b', () => t.log.includes('add b@3'));
    t.fake.closeWatches();
    await waitFor('second watch', () => t.fake.watchRequests().length === 2);
    assert.equal(t.fake.watchRequests()[1]!.query.get('resourceVersion'), '3');
    // an unrelated revision the informer only learns from a bookmark
    t.fake.rv += 5;
    t.fake.bookmark();
    await new Promise((r) => setTimeout(r, 50));
    t.fake.closeWatches();
    await waitFor('third watch', () => t.fake.watchRequests().length === 3);
    assert.equal(t.fake.watchRequests()[2]!.query.get('resourceVersion'), '8');
    assert.deepEqual(t.log, ['add a@2', 'add b@3'], 'no duplicate events after reconnects');
    assert.equal(t.fake.requests.filter((r) => r.query.get('watch') === null).length, 1, 'no relist');
  } finally {
    await t.cleanup();
  }
});

test('informer: 410 Expired makes it relist and deliver the differences', async () => {
  const t = await setup(['a', 'b', 'c']);
  try {
    t.informer.start();
    await t.informer.synced();
    await waitFor('first watch', () => t.fake.watchRequests().length === 1);
    t.log.length = 0;
    t.fake.refuseWatches = true;
    t.fake.closeWatches();
    await waitFor('a refused watch', () => t.fake.watchRequests().length >= 2);
    t.fake.del('a');
    t.fake.put('b', { app: 'b', v: '2' });
    t.fake.put('d');
    t.fake.compact();
    t.fake.refuseWatches = false;
    await waitFor('relist', () => t.syncs() === 2);
    assert.deepEqual(t.log.sort(), ['add d@7', 'delete a', 'update b 3->6']);
    assert.deepEqual(names(t.informer), ['b', 'c', 'd']);
    assert.ok(t.errors.some((e) => /too old resource version/.test(e.message)), 'the expiry was reported');
    await waitFor('watch after relist', () => t.fake.watchRequests().at(-1)!.query.get('resourceVersion') === '7');
  } finally {
    await t.cleanup();
  }
});

test('informer: an expired continue token restarts the paged list', async () => {
  const t = await setup(['a', 'b', 'c', 'd', 'e'], 2);
  try {
    let first = true;
    const origList = t.client.list.bind(t.client);
    t.client.list = (async (kind: typeof KINDS.Pod, opts?: Parameters<typeof origList>[1]) => {
      const page = await origList(kind, opts);
      if (first) {
        first = false;
        t.fake.rv += 1;
        t.fake.compact();
      }
      return page;
    }) as typeof t.client.list;
    t.informer.start();
    await t.informer.synced();
    assert.deepEqual(names(t.informer), ['a', 'b', 'c', 'd', 'e']);
    const lists = t.fake.requests.filter((r) => r.query.get('watch') === null);
    assert.deepEqual(lists.map((r) => r.query.get('continue') ?? ''), ['', '6:2', '', '7:2', '7:4']);
  } finally {
    await t.cleanup();
  }
});

test('informer: survives a server restart and catches up with what changed meanwhile', async () => {
  const t = await setup(['a', 'b']);
  try {
    t.informer.start();
    await t.informer.synced();
    await waitFor('first watch', () => t.fake.watchRequests().length === 1);
    const port = t.fake.port;
    await t.fake.stop();
    await new Promise((r) => setTimeout(r, 100));
    t.fake.put('c');
    t.fake.del('a');
    await t.fake.start(port);
    await waitFor('catch-up', () => names(t.informer).join() === 'b,c');
    assert.deepEqual(t.log, ['add a@2', 'add b@3', 'add c@4', 'delete a']);
    assert.ok(t.errors.length > 0, 'the outage was reported');
    t.fake.put('d');
    await waitFor('live again', () => t.informer.get('default', 'd') !== undefined);
  } finally {
    await t.cleanup();
  }
});

test('informer: handlers added after sync get the cache as adds; stop ends the watch', async () => {
  const t = await setup(['a', 'b']);
  try {
    t.informer.start();
    await t.informer.synced();
    const late: string[] = [];
    t.informer.addHandlers({ onAdd: (p) => late.push(p.metadata.name ?? ''), onSynced: () => late.push('synced') });
    assert.deepEqual(late.sort(), ['a', 'b', 'synced']);
    await waitFor('watch', () => t.fake.watchRequests().length === 1);
    t.informer.stop();
    const before = t.log.length;
    t.fake.put('z');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(t.log.length, before, 'no events after stop');
  } finally {
    await t.cleanup();
  }
});
