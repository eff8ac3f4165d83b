import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStoreError } from '../errors.js';
import type { WatchEvent } from '../store.js';
import { openSqliteStore } from './index.js';

const withDir = async (fn: (dir: string) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'sx-store-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const history = { revisions: 2, ageMs: 0, intervalMs: 0 };

test('sqlite: state, revision and compaction survive a reopen', () =>
  withDir(async (dir) => {
    const path = join(dir, 'state.db');
    const a = await openSqliteStore({ path, history });
    await a.create('/core/cm/ns/x', { metadata: { name: 'x' }, data: { v: 1 } });
    for (let v = 2; v <= 6; v++) await a.update('/core/cm/ns/x', { metadata: { name: 'x' }, data: { v } });
    await a.delete('/core/cm/ns/x');
    const gone = await a.create('/core/cm/ns/y', { metadata: { name: 'y' } });
    const compacted = await a.compact();
    const last = await a.currentRevision();
    await a.close();

    const b = await openSqliteStore({ path, history });
    try {
      assert.equal(await b.currentRevision(), last);
      assert.deepEqual(await b.get('/core/cm/ns/y'), gone);
      assert.equal(await b.get('/core/cm/ns/x'), null);
      const next = await b.create('/core/cm/ns/z', { metadata: { name: 'z' } });
      assert.equal(Number(next.metadata?.resourceVersion), last + 1, 'revisions continue after a reopen');
      const errors: Error[] = [];
      const events: WatchEvent[] = [];
      b.watch('/core/', { fromRevision: compacted - 1, onEvent: (e) => events.push(e), onError: (e) => errors.push(e) });
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(isStoreError(errors[0], 'Expired'), `compaction is persisted: ${String(errors[0])}`);
    } finally {
      await b.close();
    }
  }));

test('sqlite: a second open of the same file is Unavailable while the first is open', () =>
  withDir(async (dir) => {
    const path = join(dir, 'state.db');
    const a = await openSqliteStore({ path });
    try {
      await assert.rejects(openSqliteStore({ path }), (err: unknown) => isStoreError(err, 'Unavailable'));
      await a.create('/core/cm/ns/a', { metadata: { name: 'a' } });
    } finally {
      await a.close();
    }
    const again = await openSqliteStore({ path });
    assert.equal((await again.list('/core/')).items.length, 1);
    await again.close();
  }));

test('sqlite: a file that is not a database is Unavailable; bad options are BadRequest', () =>
  withDir(async (dir) => {
    const path = join(dir, 'junk.db');
    writeFileSync(path, 'this is not an sqlite database, not even close'.repeat(100));
    await assert.rejects(openSqliteStore({ path }), (err: unknown) => isStoreError(err, 'Unavailable'));
    await assert.rejects(
      openSqliteStore({ path: join(dir, 'x.db'), synchronous: 'OFF' as 'FULL' }),
      (err: unknown) => isStoreError(err, 'BadRequest') && err.message.includes('synchronous'),
    );
  }));

test('sqlite: a full database fails writes with StorageFull, takes no revision, keeps serving reads', () =>
  withDir(async (dir) => {
    const s = await openSqliteStore({ path: join(dir, 'state.db'), maxSizeBytes: 256 * 1024 });
    try {
      const big = 'x'.repeat(1500);
      let i = 0;
      let failure: unknown;
      for (; i < 10_000; i++) {
        try {
          await s.create(`/core/cm/ns/o${i}`, { metadata: { name: `o${i}` }, data: { big } });
        } catch (err) {
          failure = err;
          break;
        }
      }
      assert.ok(isStoreError(failure, 'StorageFull'), String(failure));
      assert.equal(await s.currentRevision(), i, 'the failed write took no revision');
      assert.equal(await s.get(`/core/cm/ns/o${i}`), null);
      assert.equal((await s.list('/core/cm/ns/')).items.length, i);
    } finally {
      await s.close();
    }
  }));
