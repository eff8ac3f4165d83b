/**
 * Shared etcd watches on a real etcd: many Store watches of one range are one etcd watch with one
 * decoded object per event; watches joining later are replayed what they missed, in order; a
 * watch older than the shared watch's buffer gets its own; snapshot watches racing writes end
 * consistent with the store; a watch opened from inside an event handler misses nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store, WatchEvent } from '../store.js';
import { etcdForTestFile } from './etcd-cluster.test-helper.js';
import type { EtcdStore } from './etcd-store.js';

const etcd = etcdForTestFile(1);

async function store(): Promise<EtcdStore> {
  const s = await etcd.openStore('sxmux');
  return s as EtcdStore;
}

const obj = (name: string, v = 0) => ({ kind: 'Pod', metadata: { name, namespace: 'a', labels: { v: String(v) } } });

interface Recorder {
  events: WatchEvent[];
  errors: Error[];
  stop(): void;
}

function record(s: Store, prefix: string, fromRevision: number): Recorder {
  const r: Recorder = { events: [], errors: [], stop: () => undefined };
  const w = s.watch(prefix, { fromRevision, onEvent: (e) => r.events.push(e), onError: (e) => r.errors.push(e) });
  r.stop = () => w.stop();
  return r;
}

async function until(what: string, f: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!f()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const names = (r: Recorder) => r.events.map((e) => `${e.type} ${String((e.object.metadata as { name?: string }).name)}@${e.revision}`);

test('20 watches of one range share one etcd watch and one decoded object per event', async () => {
  const s = await store();
  const from = await s.currentRevision();
  const rs = Array.from({ length: 20 }, () => record(s, '/pods/a/', from));
  await until('the shared watch opens', () => s.watchMux!.openWatches === 1);
  for (let i = 0; i < 5; i++) await s.create(`/pods/a/p${i}`, obj(`p${i}`));
  await s.delete('/pods/a/p0');
  await s.create('/pods/other/x', obj('x')); // outside the range
  await until('every watch has 6 events', () => rs.every((r) => r.events.length === 6));
  assert.equal(s.watchMux!.openWatches, 1);
  for (const r of rs) assert.deepEqual(names(r), names(rs[0]!));
  assert.deepEqual(names(rs[0]!).map((n) => n.split('@')[0]), ['ADDED p0', 'ADDED p1', 'ADDED p2', 'ADDED p3', 'ADDED p4', 'DELETED p0']);
  for (const r of rs) assert.equal(r.events[3]!.object, rs[0]!.events[3]!.object, 'the same decoded object');
  for (const r of rs) r.stop();
  assert.equal(s.watchMux!.openWatches, 0, 'the etcd watch ends with its last subscriber');
});

test('late joiners are replayed what they missed; a watch older than the buffer gets its own etcd watch', async () => {
  const s = await store();
  const r0 = await s.currentRevision();
  await s.create('/pods/a/early', obj('early'));
  const hubFrom = await s.currentRevision();
  const first = record(s, '/pods/a/', hubFrom);
  await until('shared watch', () => s.watchMux!.openWatches === 1);
  for (let i = 0; i < 4; i++) await s.create(`/pods/a/q${i}`, obj(`q${i}`));
  await until('first sees 4', () => first.events.length === 4);
  const late = record(s, '/pods/a/', first.events[1]!.revision); // joins, replayed q2 and q3
  const old = record(s, '/pods/a/', r0); // before the shared watch began: its own etcd watch
  await until('late sees q2, q3', () => late.events.length === 2);
  await until('old sees early..q3', () => old.events.length === 5);
  await s.update('/pods/a/q0', obj('q0', 1));
  await until('everyone sees the update', () => first.events.length === 5 && late.events.length === 3 && old.events.length === 6);
  assert.deepEqual(names(late), names(first).slice(2));
  assert.deepEqual(names(old).slice(1), names(first));
  assert.equal(s.watchMux!.openWatches, 1);
  for (const r of [first, late, old]) {
    assert.deepEqual(r.errors, []);
    r.stop();
  }
});

test('snapshot watches racing writes end consistent with the store; a watch opened in a handler misses nothing', async () => {
  const s = await store();
  const writes = (async () => {
    for (let i = 0; i < 30; i++) {
      await s.create(`/pods/a/r${i}`, obj(`r${i}`));
      if (i % 3 === 0) await s.delete(`/pods/a/r${i}`);
    }
  })();
  const snaps: Recorder[] = [];
  for (let i = 0; i < 5; i++) {
    snaps.push(record(s, '/pods/a/', 0));
    await new Promise((r) => setTimeout(r, 15));
  }
  let nested: Recorder | undefined;
  let nestedFrom = 0;
  const opener: Recorder = { events: [], errors: [], stop: () => undefined };
  const ow = s.watch('/pods/a/', {
    fromRevision: await s.currentRevision(),
    onEvent: (e) => {
      opener.events.push(e);
      if (!nested) {
        nestedFrom = e.revision;
        nested = record(s, '/pods/a/', e.revision);
      }
    },
    onError: (e) => opener.errors.push(e),
  });
  opener.stop = () => ow.stop();
  await writes;
  // Two writes after the opener exists, so it sees an event (and the nested watch one after it)
  // even when the racing writes all finished before it opened (a quiet machine is that fast).
  await s.create('/pods/a/tail0', obj('tail0'));
  await s.create('/pods/a/tail1', obj('tail1'));
  const final = await s.list('/pods/a/');
  const want = final.items.map((o) => String((o.metadata as { name?: string }).name)).sort();
  const stateOf = (r: Recorder) => {
    const live = new Set<string>();
    for (const e of r.events) {
      const n = String((e.object.metadata as { name?: string }).name);
      if (e.type === 'DELETED') live.delete(n);
      else live.add(n);
    }
    return [...live].sort();
  };
  const lastRev = final.revision;
  for (const r of snaps) await until('snapshot watch caught up', () => r.events.some((e) => e.revision >= lastRev) || stateOf(r).join() === want.join());
  for (const r of snaps) {
    assert.deepEqual(stateOf(r), want);
    assert.deepEqual(r.errors, []);
    const live = r.events.filter((e, i) => i > 0 && e.revision > r.events[0]!.revision);
    for (let i = 1; i < live.length; i++) assert.ok(live[i]!.revision > live[i - 1]!.revision, 'revision order');
  }
  assert.ok(nested, 'the nested watch was opened');
  const n = nested!;
  await until('the opener and the nested watch reached the last write', () => opener.events.at(-1)?.revision === lastRev && n.events.at(-1)?.revision === lastRev);
  assert.deepEqual(names(n), names(opener).filter((_, i) => opener.events[i]!.revision > nestedFrom), 'exactly the events after the one it was opened in');
  assert.deepEqual(n.errors, []);
  opener.stop();
  for (const r of [...snaps, n]) r.stop();
  await until('no shared watch left', () => s.watchMux!.openWatches === 0);
});
