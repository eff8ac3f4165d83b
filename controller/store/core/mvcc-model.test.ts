// Randomised consistency check of the revision log on both engines: random bursts of writes and
// compactions, then at EVERY retained revision R: the Exact list at R equals the pages read at R,
// and (state at R) + (replay of events after R) equals the latest list, with event types that
// match the state (ADDED only for absent keys, MODIFIED/DELETED only for present ones). This covers
// what the conformance suite samples: prev-link MVCC reads, paging, replay, chunked compaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../sqlite/index.js';
import { createMemoryStore } from '../memory/index.js';
import { isStoreError } from '../errors.js';
import type { Store, StoredObject, WatchEvent } from '../store.js';

const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

async function collect(store: Store, prefix: string, from: number, want: number): Promise<WatchEvent[] | Error> {
  const events: WatchEvent[] = [];
  let error: Error | undefined;
  const w = store.watch(prefix, { fromRevision: from, onEvent: (e) => events.push(e), onError: (e) => (error = e) });
  const deadline = Date.now() + 2000;
  while (!error && events.length < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  w.stop();
  return error ?? events;
}

async function run(store: Store, seed: number): Promise<void> {
  const rnd = mulberry32(seed);
  const keys = Array.from({ length: 10 }, (_, i) => `/m/${i % 2 ? 'a' : 'b'}/k${i}`);
  const base = await store.currentRevision();
  let compacted = 0;
  for (let step = 0; step < 300; step++) {
    const key = keys[Math.floor(rnd() * keys.length)]!;
    const exists = (await store.get(key)) !== null;
    const burst: Promise<unknown>[] = [];
    if (!exists) burst.push(store.create(key, { metadata: { name: key }, data: { step } }));
    else if (rnd() < 0.3) burst.push(store.delete(key));
    else burst.push(store.update(key, { metadata: { name: key }, data: { step } }));
    const extra = Math.floor(rnd() * 3);
    for (let i = 0; i < extra; i++) {
      const other = keys[Math.floor(rnd() * keys.length)]!;
      if (other !== key) burst.push(store.guaranteedUpdate(other, (o) => ({ ...o, data: { step, i } })).catch((e: unknown) => assert.ok(isStoreError(e, 'NotFound'))));
    }
    await Promise.all(burst);
    if (rnd() < 0.1) compacted = (await store.compact()) - base;
  }
  const now = (await store.currentRevision()) - base;
  for (let r = Math.max(compacted, 1); r <= now; r++) {
    const exact = await store.list('/m/', { resourceVersion: String(base + r), resourceVersionMatch: 'Exact' });
    const paged: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await store.list('/m/', token ? { limit: 3, continue: token } : { limit: 3, resourceVersion: String(base + r), resourceVersionMatch: 'Exact' });
      paged.push(...page.items);
      token = page.continue;
    } while (token);
    assert.deepEqual(paged, exact.items, `seed ${seed}: paging at ${r} equals the exact list`);
    const state = new Map(exact.items.map((o) => [o.metadata!.name as string, o]));
    const replay = await collect(store, '/m/', base + r, now - r);
    assert.ok(!(replay instanceof Error), `seed ${seed}: replay from ${r}: ${String(replay)}`);
    for (const e of replay) {
      const name = e.object.metadata!.name as string;
      if (e.type === 'DELETED') {
        assert.ok(state.has(name), `seed ${seed}: DELETED of a live key at ${e.revision}`);
        state.delete(name);
      } else {
        assert.equal(state.has(name), e.type === 'MODIFIED', `seed ${seed}: ${e.type} ${name} at ${e.revision}`);
        state.set(name, e.object);
      }
    }
    const latest = await store.list('/m/');
    assert.deepEqual([...state.values()].sort((a, b) => String(a.metadata!.name).localeCompare(String(b.metadata!.name))), latest.items,
      `seed ${seed}: state at ${r} + replay = latest`);
  }
  assert.ok(compacted > 1, `seed ${seed}: compaction happened`);
  {
    await assert.rejects(store.list('/m/', { resourceVersion: String(base + compacted - 1), resourceVersionMatch: 'Exact' }), (e: unknown) => isStoreError(e, 'Expired'));
  }
}

for (const seed of [1, 2, 3]) {
  test(`mvcc model (memory, seed ${seed})`, async () => {
    const store = createMemoryStore({ history: { revisions: 20, ageMs: 0, intervalMs: 0 } });
    try {
      await run(store, seed);
    } finally {
      await store.close();
    }
  });
  test(`mvcc model (sqlite, seed ${seed})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sx-store-'));
    const store = await openSqliteStore({ path: join(dir, 's.db'), history: { revisions: 20, ageMs: 0, intervalMs: 0 } });
    try {
      await run(store, seed);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
