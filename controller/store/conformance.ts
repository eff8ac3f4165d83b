/**
 * The store conformance suite: every Store backend runs exactly these tests (memory, SQLite, and
 * later etcd), so the API server can rely on one set of semantics. It asserts only relative
 * revisions (a backend may start above 0) and uses keys under a fresh random root per test, so a
 * shared backend such as etcd needs no wiping between tests.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isStoreError, type StoreErrorCode } from './errors.js';
import type { Store, StoredObject, WatchEvent, WatchOptions } from './store.js';

/** What the suite asks of a backend it creates. */
export interface ConformanceStoreOptions {
  /**
   * The store must keep no more than this many revisions of history after `compact()` (and have
   * no minimum age), so the suite can produce `Expired` quickly.
   */
  historyRevisions: number;
}

export interface ConformanceTarget {
  store: Store;
  /** Closes the store (it may already be closed) and removes whatever the factory created. */
  cleanup(): Promise<void>;
}

export type ConformanceFactory = (opts: ConformanceStoreOptions) => Promise<ConformanceTarget>;

const HISTORY = 5;
const WAIT_MS = 5000;

const rvOf = (o: StoredObject | null | undefined): number => Number(o?.metadata?.resourceVersion);
const nameOf = (o: StoredObject): string => String(o.metadata?.name);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function rejectsWith(p: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isStoreError(err, code), `expected StoreError ${code}, got ${String(err)}`);
    return true;
  });
}

function obj(name: string, data: Record<string, unknown> = {}): StoredObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data };
}

interface Recorder {
  events: WatchEvent[];
  errors: Error[];
  stop(): void;
}

function record(store: Store, prefix: string, fromRevision?: number): Recorder {
  const r: Recorder = { events: [], errors: [], stop: () => undefined };
  const opts: WatchOptions = { onEvent: (e) => r.events.push(e), onError: (e) => r.errors.push(e) };
  if (fromRevision !== undefined) opts.fromRevision = fromRevision;
  const w = store.watch(prefix, opts);
  r.stop = () => w.stop();
  return r;
}

const summary = (events: WatchEvent[]): string[] =>
  events.map((e) => `${e.type} ${nameOf(e.object)} ${String((e.object as { data?: { v?: unknown } }).data?.v ?? '')}`);

/**
 * Registers the suite under `describe(name)`. `factory` returns a fresh store and its cleanup;
 * cleanup runs after every test, also when it fails.
 */
export function runStoreConformance(name: string, factory: ConformanceFactory): void {
  describe(`store conformance: ${name}`, () => {
    const it = (title: string, fn: (store: Store, root: string) => Promise<void>): void => {
      test(title, async () => {
        const target = await factory({ historyRevisions: HISTORY });
        const root = `/sx${randomBytes(4).toString('hex')}`;
        try {
          await fn(target.store, root);
        } finally {
          await target.cleanup();
        }
      });
    };

    it('create, get, update, delete round trip', async (s, root) => {
      const key = `${root}/cm/default/a`;
      assert.equal(await s.get(key), null);
      const input = obj('a', { v: 1 });
      const created = await s.create(key, input);
      assert.equal(input.metadata?.resourceVersion, undefined, 'the caller object is not modified');
      assert.deepEqual((await s.get(key))?.data, { v: 1 });
      assert.equal(rvOf(await s.get(key)), rvOf(created));
      const updated = await s.update(key, { ...created, data: { v: 2 } }, { expectedRevision: rvOf(created) });
      assert.ok(rvOf(updated) > rvOf(created));
      assert.deepEqual(await s.get(key), updated);
      const deleted = await s.delete(key, { expectedRevision: rvOf(updated) });
      assert.deepEqual(deleted.data, { v: 2 }, 'delete returns the last state');
      assert.ok(rvOf(deleted) > rvOf(updated), 'delete returns the deletion revision');
      assert.equal(await s.currentRevision(), rvOf(deleted));
      assert.equal(await s.get(key), null);
      const again = await s.create(key, obj('a', { v: 3 }));
      assert.ok(rvOf(again) > rvOf(deleted), 'a key can be created again after a delete');
    });

    const errorCases: { name: string; code: StoreErrorCode; run: (s: Store, k: string, rev: number) => Promise<unknown> }[] = [
      { name: 'create of an existing key', code: 'AlreadyExists', run: (s, k) => s.create(k, obj('x')) },
      { name: 'update of a missing key', code: 'NotFound', run: (s, k) => s.update(`${k}-missing`, obj('x')) },
      { name: 'delete of a missing key', code: 'NotFound', run: (s, k) => s.delete(`${k}-missing`) },
      { name: 'guaranteedUpdate of a missing key', code: 'NotFound', run: (s, k) => s.guaranteedUpdate(`${k}-missing`, (c) => c) },
      { name: 'update with a stale revision', code: 'Conflict', run: (s, k, rev) => s.update(k, obj('x'), { expectedRevision: rev - 1 }) },
      { name: 'delete with a stale revision', code: 'Conflict', run: (s, k, rev) => s.delete(k, { expectedRevision: rev + 1 }) },
      { name: 'key ending in /', code: 'BadRequest', run: (s, k) => s.create(`${k}/`, obj('x')) },
      { name: 'key without leading /', code: 'BadRequest', run: (s) => s.get('core/pods/x') },
      { name: 'continue token it did not issue', code: 'BadRequest', run: (s, k) => s.list(`${k}/`, { continue: 'bm90IGEgdG9rZW4' }) },
      { name: 'resourceVersion not a number', code: 'BadRequest', run: (s, k) => s.list(`${k}/`, { resourceVersion: 'abc' }) },
      { name: 'list at a future resourceVersion', code: 'TooLargeResourceVersion', run: (s, k, rev) => s.list(`${k}/`, { resourceVersion: String(rev + 100) }) },
    ];
    for (const c of errorCases) {
      it(`error: ${c.name} is ${c.code}`, async (s, root) => {
        const key = `${root}/cm/default/x`;
        const created = await s.create(key, obj('x', { v: 1 }));
        await rejectsWith(c.run(s, key, rvOf(created)), c.code);
        assert.deepEqual(await s.get(key), created, 'a failed operation changes nothing');
        assert.equal(await s.currentRevision(), rvOf(created), 'a failed operation takes no revision');
      });
    }

    it('resourceVersion is one global counter, increasing with every write', async (s, root) => {
      const start = await s.currentRevision();
      const revs: number[] = [];
      for (const n of ['a', 'b', 'c']) revs.push(rvOf(await s.create(`${root}/cm/ns/${n}`, obj(n))));
      revs.push(rvOf(await s.update(`${root}/cm/ns/a`, obj('a', { v: 2 }))));
      revs.push(rvOf(await s.delete(`${root}/cm/ns/b`)));
      revs.push(rvOf(await s.create(`${root}/other/x`, obj('x'))));
      assert.ok(revs[0]! > start);
      for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revision ${i} increases: ${revs.join(',')}`);
      assert.equal(await s.currentRevision(), revs[revs.length - 1]);
      const listed = await s.list(`${root}/cm/ns/`);
      assert.deepEqual(listed.items.map((o) => [nameOf(o), rvOf(o)]), [['a', revs[3]], ['c', revs[2]]]);
    });

    const prefixCases: { prefix: string; want: string[] }[] = [
      { prefix: '/core/pods/', want: ['a', 'b', 'c', 'd'] },
      { prefix: '/core/pods/default/', want: ['a', 'b'] },
      { prefix: '/core/pods/default2/', want: ['c'] },
      { prefix: '/core/pods/default/a', want: ['a'] },
      { prefix: '/core/pods/default', want: [] },
      { prefix: '/core/nodes/', want: ['n1'] },
      { prefix: '/core/', want: ['n1', 'a', 'b', 'c', 'd', 'a'] },
      { prefix: '/apps/', want: [] },
    ];
    for (const c of prefixCases) {
      it(`list ${c.prefix} matches whole segments`, async (s, root) => {
        const keys = [
          '/core/pods/default/b',
          '/core/pods/default/a',
          '/core/pods/default2/c',
          '/core/pods/kube-system/d',
          '/core/nodes/n1',
          '/core/services/default/a',
        ];
        for (const k of keys) await s.create(root + k, obj(k.split('/').pop()!));
        const l = await s.list(root + c.prefix);
        assert.deepEqual(l.items.map(nameOf), c.want);
        assert.equal(l.continue, undefined);
      });
    }

    it('list resourceVersion semantics: latest, not-older-than, exact', async (s, root) => {
      const p = `${root}/cm/ns/`;
      await s.create(`${p}a`, obj('a', { v: 1 }));
      const b = await s.create(`${p}b`, obj('b', { v: 1 }));
      const at = rvOf(b);
      await s.update(`${p}a`, obj('a', { v: 2 }));
      await s.delete(`${p}b`);
      await s.create(`${p}c`, obj('c', { v: 1 }));
      const now = await s.currentRevision();
      const latest = [['a', 2], ['c', 1]];
      const view = (l: { items: StoredObject[] }) => l.items.map((o) => [nameOf(o), (o.data as { v: number }).v]);
      for (const rv of [undefined, '0', String(at)]) {
        const opts = rv === undefined ? {} : { resourceVersion: rv };
        const l = await s.list(p, opts);
        assert.deepEqual(view(l), latest, `resourceVersion ${rv}`);
        assert.equal(l.revision, now);
      }
      const exact = await s.list(p, { resourceVersion: String(at), resourceVersionMatch: 'Exact' });
      assert.deepEqual(view(exact), [['a', 1], ['b', 1]]);
      assert.equal(exact.revision, at);
      await rejectsWith(s.list(p, { resourceVersion: String(now + 1), resourceVersionMatch: 'Exact' }), 'TooLargeResourceVersion');
    });

    it('limit/continue pages are read at the first page revision', async (s, root) => {
      const p = `${root}/cm/ns/`;
      const names = ['a', 'b', 'c', 'd', 'e', 'f'];
      const original = new Map<string, number>();
      for (const n of names) original.set(n, rvOf(await s.create(`${p}${n}`, obj(n, { v: 1 }))));
      const page1 = await s.list(p, { limit: 2 });
      assert.deepEqual(page1.items.map(nameOf), ['a', 'b']);
      assert.ok(page1.continue, 'a cut-short page carries continue');
      await s.update(`${p}c`, obj('c', { v: 2 }));
      await s.delete(`${p}e`);
      await s.create(`${p}cc`, obj('cc', { v: 1 }));
      await s.create(`${p}0`, obj('0', { v: 1 }));
      const seen = [...page1.items];
      let token: string | undefined = page1.continue;
      while (token) {
        const page = await s.list(p, { limit: 2, continue: token });
        assert.equal(page.revision, page1.revision, 'every page reports the first page revision');
        assert.ok(page.items.length <= 2);
        seen.push(...page.items);
        token = page.continue;
      }
      assert.deepEqual(seen.map((o) => [nameOf(o), rvOf(o), (o.data as { v: number }).v]), names.map((n) => [n, original.get(n), 1]));
      const fresh = await s.list(p);
      assert.deepEqual(fresh.items.map(nameOf), ['0', 'a', 'b', 'c', 'cc', 'd', 'f']);
    });

    it('watch from 0 sends the current objects as ADDED, then later changes', async (s, root) => {
      const p = `${root}/cm/ns/`;
      await s.create(`${p}a`, obj('a', { v: 1 }));
      const b = await s.create(`${p}b`, obj('b', { v: 1 }));
      await s.create(`${root}/cm/other/z`, obj('z'));
      const snapshotRev = await s.currentRevision();
      const w = record(s, p, 0);
      assert.equal(w.events.length, 0, 'events are never delivered inside watch()');
      await until(() => w.events.length >= 2, 'synthetic ADDED');
      await s.update(`${p}b`, obj('b', { v: 2 }));
      await until(() => w.events.length >= 3, 'MODIFIED after the snapshot');
      w.stop();
      assert.deepEqual(summary(w.events), ['ADDED a 1', 'ADDED b 1', 'MODIFIED b 2']);
      assert.deepEqual(w.events.slice(0, 2).map((e) => e.revision), [snapshotRev, snapshotRev]);
      assert.equal(rvOf(w.events[1]!.object), rvOf(b), 'synthetic objects keep their own resourceVersion');
      assert.deepEqual(w.errors, []);
    });

    it('watch from N replays only later events, in order; DELETED carries the last state', async (s, root) => {
      const p = `${root}/cm/ns/`;
      const before = await s.create(`${p}a`, obj('a', { v: 1 }));
      await s.create(`${p}b`, obj('b', { v: 1 }));
      await s.update(`${p}a`, obj('a', { v: 2 }));
      const del = await s.delete(`${p}b`);
      const w = record(s, p, rvOf(before));
      await until(() => w.events.length >= 3, 'replayed events');
      await s.create(`${p}b`, obj('b', { v: 3 }));
      await until(() => w.events.length >= 4, 'live event');
      w.stop();
      assert.deepEqual(summary(w.events), ['ADDED b 1', 'MODIFIED a 2', 'DELETED b 1', 'ADDED b 3']);
      const revs = w.events.map((e) => e.revision);
      assert.deepEqual([...revs].sort((x, y) => x - y), revs, 'revision order');
      assert.equal(new Set(revs).size, revs.length);
      for (const e of w.events) assert.equal(rvOf(e.object), e.revision, 'object resourceVersion = event revision');
      assert.equal(w.events[2]!.revision, rvOf(del), 'DELETED at the deletion revision');
    });

    it('watch from a revision ahead of the store waits for it', async (s, root) => {
      const p = `${root}/cm/ns/`;
      const now = await s.currentRevision();
      const w = record(s, p, now + 2);
      for (const n of ['a', 'b', 'c', 'd']) await s.create(`${p}${n}`, obj(n));
      await until(() => w.events.length >= 2, 'events after the future revision');
      await sleep(20);
      w.stop();
      assert.deepEqual(summary(w.events), ['ADDED c ', 'ADDED d ']);
    });

    it('watch by exact key and by prefix see only their keys', async (s, root) => {
      const start = await s.currentRevision();
      const exact = record(s, `${root}/pods/default/a`, start);
      const prefix = record(s, `${root}/pods/default/`, start);
      const all = record(s, `${root}/`, start);
      for (const k of ['/pods/default/a', '/pods/default/ab', '/pods/default2/a', '/pods/default/b', '/pods/default/a/x']) {
        await s.create(root + k, obj(k.slice(1).replaceAll('/', '.')));
      }
      await s.update(`${root}/pods/default/a`, obj('pods.default.a', { v: 2 }));
      await until(() => all.events.length >= 6, 'all events');
      await until(() => exact.events.length >= 2 && prefix.events.length >= 5, 'filtered events');
      await sleep(20);
      for (const w of [exact, prefix, all]) w.stop();
      assert.deepEqual(summary(exact.events), ['ADDED pods.default.a ', 'MODIFIED pods.default.a 2']);
      assert.deepEqual(summary(prefix.events), [
        'ADDED pods.default.a ',
        'ADDED pods.default.ab ',
        'ADDED pods.default.b ',
        'ADDED pods.default.a.x ',
        'MODIFIED pods.default.a 2',
      ]);
      assert.equal(all.events.length, 6);
    });

    it('concurrent watchers each see every event in the same order', async (s, root) => {
      const p = `${root}/cm/ns/`;
      const start = await s.currentRevision();
      const watchers = Array.from({ length: 5 }, () => record(s, p, start));
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 10; i++) writes.push(s.create(`${p}k${i}`, obj(`k${i}`, { v: i })));
      await Promise.all(writes);
      for (let i = 0; i < 10; i++) writes.push(s.delete(`${p}k${i}`));
      await Promise.all(writes);
      await until(() => watchers.every((w) => w.events.length >= 20), 'every watcher to get 20 events');
      const want = watchers[0]!.events.map((e) => `${e.revision} ${e.type} ${nameOf(e.object)}`);
      assert.equal(want.length, 20);
      const revs = watchers[0]!.events.map((e) => e.revision);
      assert.deepEqual([...revs].sort((x, y) => x - y), revs);
      for (const w of watchers) {
        w.stop();
        assert.deepEqual(w.events.map((e) => `${e.revision} ${e.type} ${nameOf(e.object)}`), want);
      }
    });

    it('compaction: history older than the window is Expired, newer history still replays', async (s, root) => {
      const p = `${root}/cm/ns/`;
      const first = await s.create(`${p}a`, obj('a', { v: 0 }));
      await s.create(`${p}b`, obj('b'));
      const page1 = await s.list(p, { limit: 1 });
      assert.ok(page1.continue);
      for (let i = 1; i <= 3 * HISTORY; i++) await s.update(`${p}a`, obj('a', { v: i }));
      const compacted = await s.compact();
      const now = await s.currentRevision();
      assert.ok(compacted > page1.revision && compacted <= now - HISTORY, `compacted ${compacted}, now ${now}`);
      const old = record(s, p, rvOf(first));
      await until(() => old.errors.length === 1, 'Expired');
      assert.ok(isStoreError(old.errors[0], 'Expired'), String(old.errors[0]));
      assert.equal(old.events.length, 0);
      await rejectsWith(s.list(p, { limit: 1, continue: page1.continue! }), 'Expired');
      await rejectsWith(s.list(p, { resourceVersion: String(rvOf(first)), resourceVersionMatch: 'Exact' }), 'Expired');
      const recent = record(s, p, compacted);
      await until(() => recent.events.length >= now - compacted, 'replay after the compacted revision');
      recent.stop();
      assert.deepEqual(recent.events.map((e) => e.revision), Array.from({ length: now - compacted }, (_, i) => compacted + 1 + i));
      const atC = await s.list(p, { resourceVersion: String(compacted), resourceVersionMatch: 'Exact' });
      assert.deepEqual(atC.items.map(nameOf), ['a', 'b'], 'state at the compacted revision is still readable');
      assert.deepEqual((await s.list(p)).items.map(nameOf), ['a', 'b'], 'compaction keeps current state');
      assert.deepEqual((await s.get(`${p}b`))?.metadata?.name, 'b');
    });

    it('guaranteedUpdate under concurrent writers loses no update', async (s, root) => {
      const key = `${root}/cm/ns/counter`;
      await s.create(key, obj('counter', { n: 0 }));
      const N = 20;
      let calls = 0;
      const inc = async (cur: StoredObject): Promise<StoredObject> => {
        calls++;
        await new Promise((r) => setImmediate(r));
        const data = cur.data as { n: number };
        return { ...cur, data: { n: data.n + 1 } };
      };
      const results = await Promise.all(Array.from({ length: N }, () => s.guaranteedUpdate(key, inc)));
      assert.equal(((await s.get(key))?.data as { n: number }).n, N);
      assert.deepEqual(results.map((r) => (r.data as { n: number }).n).sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i + 1));
      assert.ok(calls > N, 'the interleaving really produced conflicts and retries');
      const rev = await s.currentRevision();
      const unchanged = await s.guaranteedUpdate(key, () => null);
      assert.equal(rvOf(unchanged), rev, 'returning null writes nothing');
      assert.equal(await s.currentRevision(), rev);
    });

    it('stop() ends delivery and is idempotent', async (s, root) => {
      const p = `${root}/cm/ns/`;
      const start = await s.currentRevision();
      const stopped = record(s, p, start);
      const control = record(s, p, start);
      await s.create(`${p}a`, obj('a'));
      await until(() => stopped.events.length === 1 && control.events.length === 1, 'first event');
      stopped.stop();
      stopped.stop();
      await s.create(`${p}b`, obj('b'));
      await until(() => control.events.length === 2, 'control watcher');
      await sleep(50);
      control.stop();
      assert.equal(stopped.events.length, 1);
      assert.deepEqual(stopped.errors, []);
    });

    it('close() ends watches with Unavailable and refuses further calls', async (s, root) => {
      const w = record(s, `${root}/`, await s.currentRevision());
      await s.close();
      await until(() => w.errors.length === 1, 'watch error on close');
      assert.ok(isStoreError(w.errors[0], 'Unavailable'));
      await rejectsWith(s.get(`${root}/x`), 'Unavailable');
      await rejectsWith(s.create(`${root}/x`, obj('x')), 'Unavailable');
      await s.close();
    });
  });
}
