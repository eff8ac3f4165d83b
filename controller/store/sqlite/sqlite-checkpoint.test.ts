// The FULL-mode checkpoint runs inside sync(), off the commit path: appends only write the WAL,
// and the copy into the database file happens once the WAL sync has made every frame durable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogRow } from '../core/engine.js';
import { SqliteEngine } from './sqlite-engine.js';

const withEngine = async (fn: (e: SqliteEngine, path: string) => Promise<void>): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'sx-store-'));
  const path = join(dir, 'x.db');
  const e = new SqliteEngine({ path, synchronous: 'FULL' });
  try {
    await fn(e, path);
  } finally {
    e.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

let rev = 0;
/** `n` creates of 3 KB rows: about 0.9 estimated WAL frames each. */
const rows = (n: number): LogRow[] =>
  Array.from({ length: n }, () => {
    rev++;
    return { rev, key: `/core/cm/ns/k${rev}`, type: 0, prev: 0, value: JSON.stringify({ metadata: { name: `k${rev}` }, pad: 'x'.repeat(3000) }) };
  });

test('sqlite FULL: appends past the checkpoint interval leave the database file alone; the next sync copies the WAL into it', () =>
  withEngine(async (e, path) => {
    const size0 = statSync(path).size;
    for (let i = 0; i < 12; i++) e.append(rows(100));
    assert.equal(e.checkpoints(), 0);
    assert.equal(statSync(path).size, size0, 'nothing copied on the commit path');
    await e.sync!();
    assert.equal(e.checkpoints(), 1);
    assert.ok(statSync(path).size > size0 + 1_000_000, `the sync checkpointed: ${statSync(path).size}`);
    assert.equal(e.current(`/core/cm/ns/k${rev}`)?.rev, rev);
    e.append(rows(1));
    await e.sync!();
    assert.equal(e.checkpoints(), 1, 'the interval starts again');
  }));

test('sqlite FULL: a write made while the WAL sync runs defers the checkpoint to a later sync', () =>
  withEngine(async (e) => {
    for (let i = 0; i < 12; i++) e.append(rows(100));
    const syncing = e.sync!();
    e.append(rows(1)); // its frames may not be durable when the sync completes
    await syncing;
    assert.equal(e.checkpoints(), 0);
    await e.sync!();
    assert.equal(e.checkpoints(), 1);
  }));
