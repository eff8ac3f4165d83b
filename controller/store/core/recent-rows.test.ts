import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentRows } from './recent-rows.js';

const row = (key: string, rev: number, size: number) => ({ key, rev, value: 'x'.repeat(size) });

test('recent rows: kept until the byte budget is spent, oldest insertion dropped first', () => {
  // each row counts as its text + key + 96 bytes of overhead: 1000 + 2 + 96 = 1098
  const r = new RecentRows(3 * 1098);
  r.put(row('/a', 1, 1000));
  r.put(row('/b', 2, 1000));
  r.put(row('/c', 3, 1000));
  assert.equal(r.size(), 3);
  r.put(row('/a', 4, 1000)); // a rewrite makes /a the newest
  r.put(row('/d', 5, 1000));
  assert.equal(r.get('/b'), undefined);
  assert.deepEqual(['/a', '/c', '/d'].map((k) => r.get(k)?.rev), [4, 3, 5]);
  assert.equal(r.sizeBytes(), 3 * 1098);
});

test('recent rows: drop forgets a key and its bytes; a row larger than the budget is not kept', () => {
  const r = new RecentRows(2000);
  r.put(row('/a', 1, 500));
  r.drop('/a');
  r.drop('/missing');
  assert.equal(r.has('/a'), false);
  assert.equal(r.sizeBytes(), 0);
  r.put(row('/b', 2, 500));
  r.put(row('/huge', 3, 5000));
  assert.equal(r.has('/huge'), false);
  assert.equal(r.get('/b')?.rev, 2);
});
