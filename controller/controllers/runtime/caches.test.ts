import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newer, WriteCache } from './write-cache.js';
import { LabelIndex } from './label-index.js';
import { Expectations } from './expectations.js';
import { FakeClock } from './clock.js';

type O = { metadata: { namespace?: string; name?: string; resourceVersion?: string; labels?: Record<string, string> } };
const o = (name: string, rv: string, labels?: Record<string, string>): O => ({ metadata: { namespace: 'ns', name, resourceVersion: rv, ...(labels ? { labels } : {}) } });

test('write cache: own writes win until the informer catches up; deletes hide objects', () => {
  const w = new WriteCache<O>();
  const cached = o('a', '5');
  w.wrote(o('a', '7'));
  assert.equal(w.view(cached)?.metadata.resourceVersion, '7', 'stale cache overlaid');
  assert.equal(w.isOwn(o('a', '7')), true);
  assert.equal(w.isOwn(o('a', '8')), false, 'a later change by someone else');
  w.observed(o('a', '7'));
  assert.equal(w.size(), 0, 'caught up');
  assert.equal(w.view(o('a', '9'))?.metadata.resourceVersion, '9');
  w.wrote(o('new', '3'));
  assert.deepEqual(w.merge([cached], () => true).map((x) => x.metadata.name).sort(), ['a', 'new'], 'created objects appear before their event');
  w.deleted(o('a', '9'));
  assert.equal(w.view(o('a', '9')), undefined);
  assert.equal(w.isOwn(o('a', '9'), true), true);
});

test('write cache: which resourceVersion is newer', () => {
  const cases: [string | undefined, string | undefined, boolean][] = [
    ['10', '9', true],
    ['9', '10', false],
    ['10', '10', false],
    ['123456789012345678901234567890', '123456789012345678901234567889', true],
    ['007', '8', false], // not canonical: compared as numbers
    ['08', '7', true],
    [undefined, '1', false],
    ['1', undefined, true],
    ['abc', 'abd', true], // opaque versions: the written one wins until the cache shows it
    ['abc', 'abc', false],
  ];
  for (const [a, b, want] of cases) assert.equal(newer(a, b), want, `${a} vs ${b}`);
});

test('write cache: per-group overlay sees only its group\'s pending writes', () => {
  const w = new WriteCache<O>((x) => x.metadata.labels?.svc);
  const a1 = o('a1', '5', { svc: 'a' });
  w.wrote(o('a1', '7', { svc: 'a' }));
  w.wrote(o('a2', '8', { svc: 'a' }));
  w.wrote(o('b1', '9', { svc: 'b' }));
  const names = (xs: O[]) => xs.map((x) => `${x.metadata.name}@${x.metadata.resourceVersion}`).sort();
  assert.deepEqual(names(w.mergeGroup([a1], 'a')), ['a1@7', 'a2@8']);
  assert.deepEqual(names(w.mergeGroup([], 'b')), ['b1@9']);
  assert.equal(w.pending('ns/a2')?.metadata.resourceVersion, '8');
  w.observed(o('a2', '8', { svc: 'a' }));
  assert.deepEqual(names(w.mergeGroup([a1], 'a')), ['a1@7'], 'caught up: the cache holds it now');
  w.deleted(o('a1', '7', { svc: 'a' }));
  assert.deepEqual(names(w.mergeGroup([a1], 'a')), [], 'a pending delete hides the cached object');
  w.observed(o('a1', '7', { svc: 'a' }), true);
  assert.deepEqual(names(w.mergeGroup([], 'a')), []);
  assert.equal(w.size(), 1);
});

test('label index: selection by every selector pair, relabels and removals', () => {
  const idx = new LabelIndex<O>();
  idx.upsert(o('p1', '1', { app: 'web', tier: 'fe' }));
  idx.upsert(o('p2', '1', { app: 'web', tier: 'be' }));
  idx.upsert(o('p3', '1', { app: 'db' }));
  const names = (sel: Record<string, string>) => idx.selectedBy('ns', sel).map((x) => x.metadata.name).sort();
  const cases: [Record<string, string>, string[]][] = [
    [{ app: 'web' }, ['p1', 'p2']],
    [{ app: 'web', tier: 'fe' }, ['p1']],
    [{ app: 'nope' }, []],
    [{}, []],
  ];
  for (const [sel, want] of cases) assert.deepEqual(names(sel), want, JSON.stringify(sel));
  idx.upsert(o('p2', '2', { app: 'db' }));
  assert.deepEqual(names({ app: 'web' }), ['p1']);
  idx.remove(o('p1', '3'));
  assert.deepEqual(names({ app: 'web' }), []);
  assert.deepEqual(idx.selectedBy('other', { app: 'db' }), []);
});

test('expectations: satisfied once creations and deletions are observed, or after the TTL', () => {
  const clock = new FakeClock();
  const e = new Expectations(clock, 1000);
  e.expect('rs', 2, ['u1']);
  assert.equal(e.satisfied('rs'), false);
  e.creationObserved('rs');
  e.creationObserved('rs');
  assert.equal(e.satisfied('rs'), false, 'a deletion is still outstanding');
  e.deletionObserved('rs', 'u1');
  assert.equal(e.satisfied('rs'), true);
  e.expect('rs', 1);
  clock.advance(1001);
  assert.equal(e.satisfied('rs'), true, 'expired');
});
