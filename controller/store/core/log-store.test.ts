// Group-commit behaviour of the shared log store (beyond the conformance suite, which does not
// assume any ordering between writes that are in flight at the same time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, isStoreError } from '../errors.js';
import type { WatchEvent } from '../store.js';
import { MemoryEngine } from '../memory/memory-engine.js';
import type { LogRow } from './engine.js';
import { LogStore } from './log-store.js';
import { storedEventJson, storedJson } from './serialized.js';

class FlakyEngine extends MemoryEngine {
  failNext = false;
  batches: number[] = [];
  override append(rows: LogRow[]): void {
    this.batches.push(rows.length);
    if (this.failNext) {
      this.failNext = false;
      throw new StoreError('StorageFull', 'disk full (test)');
    }
    super.append(rows);
  }
}

const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: true as const, v }), (e: unknown) => ({ ok: false as const, e }));

test('writes in flight together commit as one batch, in call order, each with its own outcome', async () => {
  const engine = new FlakyEngine();
  const s = new LogStore(engine, { history: { intervalMs: 0 } });
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  s.watch('/a/', { fromRevision: 0, onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
  const results = await Promise.all([
    settle(s.create('/a/x', { metadata: { name: 'x' }, data: { v: 1 } })),
    settle(s.update('/a/x', { metadata: { name: 'x' }, data: { v: 2 } }, { expectedRevision: 1 })),
    settle(s.create('/a/x', { metadata: { name: 'x' } })),
    settle(s.update('/a/x', { metadata: { name: 'x' } }, { expectedRevision: 1 })),
    settle(s.delete('/a/x')),
    settle(s.update('/a/x', { metadata: { name: 'x' } })),
    settle(s.create('/a/x', { metadata: { name: 'x' }, data: { v: 3 } })),
  ]);
  assert.deepEqual(engine.batches, [4], 'one commit for the whole batch');
  const outcome = results.map((r) => (r.ok ? Number(r.v.metadata?.resourceVersion) : isStoreError(r.e) ? r.e.code : String(r.e)));
  assert.deepEqual(outcome, [1, 2, 'AlreadyExists', 'Conflict', 3, 'NotFound', 4]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events.map((e) => `${e.type}@${e.revision}`), ['ADDED@1', 'MODIFIED@2', 'DELETED@3', 'ADDED@4']);
  assert.deepEqual(errors, []);
  await s.close();
});

test('a failed commit rejects the whole batch, takes no revision and publishes nothing', async () => {
  const engine = new FlakyEngine();
  const s = new LogStore(engine, { history: { intervalMs: 0 } });
  await s.create('/a/base', { metadata: { name: 'base' } });
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  s.watch('/a/', { fromRevision: 1, onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
  engine.failNext = true;
  const results = await Promise.all([settle(s.create('/a/x', {})), settle(s.update('/a/base', { data: { v: 2 } }))]);
  for (const r of results) assert.ok(!r.ok && isStoreError(r.e, 'StorageFull'));
  assert.equal(await s.currentRevision(), 1);
  assert.equal(await s.get('/a/x'), null);
  const next = await s.create('/a/x', {});
  assert.equal(next.metadata?.resourceVersion, '2', 'the store recovers with the next write');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events.map((e) => `${e.type}@${e.revision}`), ['ADDED@2']);
  assert.deepEqual(errors, []);
  await s.close();
});

test('close() commits writes already queued before refusing new ones', async () => {
  const s = new LogStore(new MemoryEngine(), { history: { intervalMs: 0 } });
  const queued = s.create('/a/x', {});
  await s.close();
  assert.equal((await queued).metadata?.resourceVersion, '1');
  await assert.rejects(s.create('/a/y', {}), (e: unknown) => isStoreError(e, 'Unavailable'));
});

test('rows kept from get follow every committed write and ignore a failed one', async () => {
  const engine = new FlakyEngine();
  // A budget of a few hundred rows, so the loops below run past it.
  const s = new LogStore(engine, { history: { intervalMs: 0 }, recentBytes: 64 * 1024 });
  await s.create('/a/x', { metadata: { name: 'x' }, data: { v: 1 } });
  assert.deepEqual((await s.get('/a/x'))?.data, { v: 1 });
  const u = await s.update('/a/x', { metadata: { name: 'x' }, data: { v: 2 } });
  const got = await s.get('/a/x');
  assert.deepEqual(got?.data, { v: 2 });
  assert.equal((got?.metadata as { resourceVersion: string }).resourceVersion, (u.metadata as { resourceVersion: string }).resourceVersion);
  (got!.data as { v: number }).v = 99;
  assert.deepEqual((await s.get('/a/x'))?.data, { v: 2 }, 'get hands out a private copy');
  engine.failNext = true;
  await assert.rejects(s.update('/a/x', { metadata: { name: 'x' }, data: { v: 3 } }), (e: unknown) => isStoreError(e, 'StorageFull'));
  assert.deepEqual((await s.get('/a/x'))?.data, { v: 2 }, 'a failed commit changes nothing');
  await assert.rejects(s.update('/a/x', { metadata: { name: 'x' } }, { expectedRevision: 1 }), (e: unknown) => isStoreError(e, 'Conflict'));
  await s.delete('/a/x');
  assert.equal(await s.get('/a/x'), null);
  await s.create('/a/x', { metadata: { name: 'x' }, data: { v: 4 } });
  assert.deepEqual((await s.get('/a/x'))?.data, { v: 4 });
  // More keys than are kept: every one still reads back right.
  for (let i = 0; i < 1500; i++) await s.create(`/a/k${i}`, { metadata: { name: `k${i}` }, data: { i } });
  for (let i = 0; i < 1500; i++) assert.deepEqual((await s.get(`/a/k${i}`))?.data, { i });
  for (let i = 0; i < 1500; i += 7) await s.update(`/a/k${i}`, { metadata: { name: `k${i}` }, data: { i: i + 10_000 } });
  for (let i = 0; i < 1500; i++) assert.deepEqual((await s.get(`/a/k${i}`))?.data, { i: i % 7 === 0 ? i + 10_000 : i });
  await s.close();
});

test('a key updated or read lately is read and checked without the engine, until the byte budget pushes it out', async () => {
  class CountingEngine extends MemoryEngine {
    reads = 0;
    override current(key: string) {
      this.reads++;
      return super.current(key);
    }
    override currentRev(key: string) {
      this.reads++;
      return super.currentRev(key);
    }
  }
  const engine = new CountingEngine();
  const s = new LogStore(engine, { history: { intervalMs: 0 }, recentBytes: 8 * 1024 });
  await s.create('/a/x', { metadata: { name: 'x' }, data: { v: 1 } });
  const created = engine.reads;
  assert.deepEqual((await s.get('/a/x'))?.data, { v: 1 });
  assert.equal(engine.reads, created + 1, 'a create is not kept: its first read goes to the engine');
  const u = await s.update('/a/x', { metadata: { name: 'x' }, data: { v: 2 } }, { expectedRevision: 1 });
  assert.deepEqual((await s.get('/a/x'))?.data, { v: 2 });
  const u3 = await s.update('/a/x', { metadata: { name: 'x' }, data: { v: 3 } }, { expectedRevision: Number(u.metadata?.resourceVersion) });
  assert.deepEqual((await s.get('/a/x'))?.data, { v: 3 });
  assert.equal(engine.reads, created + 1, 'the updates and reads after it used the kept row');
  for (let i = 0; i < 100; i++) await s.create(`/a/k${i}`, { metadata: { name: `k${i}` }, data: { i, pad: 'p'.repeat(200) } });
  for (let i = 0; i < 100; i += 2) await s.update(`/a/k${i}`, { metadata: { name: `k${i}` }, data: { i, pad: 'q'.repeat(200) } });
  const before = engine.reads;
  assert.equal((await s.get('/a/x'))?.metadata?.resourceVersion, u3.metadata?.resourceVersion);
  assert.equal(engine.reads, before + 1, 'pushed out by newer rows: read from the engine again');
  await s.close();
});

test('ADDED/MODIFIED events carry the stored text of their object; a DELETED event does not (its object has the new revision)', async () => {
  const s = new LogStore(new MemoryEngine(), { history: { intervalMs: 0 } });
  const events: WatchEvent[] = [];
  const w = s.watch('/t/', { fromRevision: 0, onEvent: (e) => events.push(e), onError: () => undefined });
  await s.create('/t/a', { metadata: { name: 'a', labels: { x: 'é"\n' } }, data: { n: [1, 2, { z: null }] } });
  const updated = await s.update('/t/a', { metadata: { name: 'a' }, data: { n: 2 } });
  await s.delete('/t/a');
  await new Promise((r) => setImmediate(r));
  w.stop();
  assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
  for (const e of events.slice(0, 2)) {
    const text = storedEventJson(e);
    assert.ok(text !== undefined, `${e.type} has no stored text`);
    assert.equal(text, JSON.stringify(e.object));
    assert.equal(storedJson(e.object), text);
    assert.equal(e.object.metadata?.resourceVersion, String(e.revision));
  }
  assert.equal(storedEventJson(events[1]!), storedJson(updated));
  assert.equal(storedEventJson(events[2]!), undefined);
  assert.equal(events[2]!.object.metadata?.resourceVersion, String(events[2]!.revision));
  // The parsed object is built once and shared.
  assert.equal(events[0]!.object, events[0]!.object);
});

/** An engine whose appends become durable only when the test completes a sync. */
class DeferredSyncEngine extends MemoryEngine {
  syncs: { resolve(): void; reject(err: Error): void }[] = [];
  sync(): Promise<void> {
    return new Promise((resolve, reject) => this.syncs.push({ resolve, reject }));
  }
}

const tick = () => new Promise((r) => setImmediate(r));

test('with an engine that syncs later, a write is acknowledged, published and readable only once its sync completed', async () => {
  const engine = new DeferredSyncEngine();
  const s = new LogStore(engine, { history: { intervalMs: 0 } });
  const first = s.create('/d/a', { metadata: { name: 'a' }, v: 1 });
  await tick();
  engine.syncs.shift()!.resolve();
  await first;
  const base = await s.currentRevision();
  const events: WatchEvent[] = [];
  s.watch('/d/', { fromRevision: base, onEvent: (e) => events.push(e), onError: () => undefined });
  let done = false;
  const write = s.update('/d/a', { metadata: { name: 'a' }, v: 2 }).then((o) => ((done = true), o));
  await tick();
  await tick();
  assert.equal(engine.syncs.length, 1, 'one sync started for the committed batch');
  assert.equal(done, false, 'acknowledged before its sync completed');
  assert.equal(events.length, 0, 'published before its sync completed');
  assert.equal(await s.currentRevision(), base);
  const listed = await s.list('/d/');
  assert.equal(listed.revision, base);
  assert.equal(listed.items[0]!.v, 1, 'a list shows the durable state');
  // A write queued while the sync runs is committed when it completes, then synced on its own.
  const second = s.create('/d/b', { metadata: { name: 'b' } });
  await tick();
  assert.equal(engine.syncs.length, 1);
  assert.equal(engine.loadState().revision, base + 1, 'committed while the previous sync ran');
  let read: number | undefined;
  const reading = s.get('/d/a').then((o) => (read = o!.v as number));
  await tick();
  assert.equal(read, undefined, 'a key with an undurable write is read after its sync');
  engine.syncs.shift()!.resolve();
  const updated = await write;
  await reading;
  assert.equal(read, 2);
  assert.equal(updated.metadata?.resourceVersion, String(base + 1));
  assert.deepEqual(events.map((e) => e.revision), [base + 1]);
  await tick();
  assert.equal(engine.syncs.length, 1, 'the second batch got its own sync');
  engine.syncs.shift()!.resolve();
  await second;
  await tick();
  assert.deepEqual(events.map((e) => e.revision), [base + 1, base + 2]);
  await s.close();
});

test('a failed sync rejects the writes waiting for it and every later call with Unavailable', async () => {
  const engine = new DeferredSyncEngine();
  const s = new LogStore(engine, { history: { intervalMs: 0 } });
  const watchErrors: Error[] = [];
  s.watch('/f/', { fromRevision: 0, onEvent: () => undefined, onError: (e) => watchErrors.push(e) });
  const w = settle(s.create('/f/a', { metadata: { name: 'a' } }));
  await tick();
  engine.syncs.shift()!.reject(new Error('EIO (test)'));
  const r = await w;
  assert.equal(r.ok, false);
  assert.ok(!r.ok && isStoreError(r.e, 'Unavailable') && /syncing the log to disk failed: EIO \(test\)/.test((r.e as Error).message), String(!r.ok && r.e));
  await tick();
  assert.equal(watchErrors.length, 1);
  await assert.rejects(s.get('/f/a'), (e: unknown) => isStoreError(e, 'Unavailable'));
  await assert.rejects(s.create('/f/b', { metadata: { name: 'b' } }), (e: unknown) => isStoreError(e, 'Unavailable'));
  await s.close();
});
