import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredObject } from '../store.js';
import { REVISION_MARK, encodeObject, encodeWrite, stampObject } from './etcd-codec.js';

const cases: [string, StoredObject][] = [
  ['pod without resourceVersion', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default', labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i' }] } }],
  ['resourceVersion in the middle of metadata', { kind: 'Pod', metadata: { name: 'a', resourceVersion: '7', uid: 'u' }, spec: {} }],
  ['multi-byte characters before and after the resourceVersion member', { kind: 'Pod€', metadata: { name: 'ñ-😀', resourceVersion: '7', uid: 'ü' }, spec: { x: '\u2028' } }],
  ['resourceVersion first, metadata last', { kind: 'X', spec: { n: 1 }, metadata: { resourceVersion: '3' } }],
  ['empty metadata first', { metadata: {}, kind: 'X' }],
  ['undefined members dropped', { kind: 'X', extra: undefined, metadata: { name: 'n', gone: undefined, resourceVersion: undefined } } as unknown as StoredObject],
  ['integer-like keys', { '2': 'b', '1': 'a', metadata: { '9': 1, name: 'z' } } as unknown as StoredObject],
  ['strings needing escapes', { kind: 'X"\\\n', metadata: { name: 'ü"\u2028', annotations: { 'a/b': '{"metadata":{}}' } } }],
  ['no metadata', { kind: 'X', spec: {} }],
  ['metadata not an object', { kind: 'X', metadata: 'odd' } as unknown as StoredObject],
];

for (const [name, obj] of cases) {
  test(`encodeWrite: ${name} — the stored bytes are encodeObject's, the text is the stamped object's`, () => {
    const before = JSON.stringify(obj);
    const enc = encodeWrite(obj);
    assert.equal(enc.value.toString('utf8'), encodeObject(obj).toString('utf8'));
    for (const rev of [1, 42, 123456789]) assert.equal(enc.textAt(rev), JSON.stringify(stampObject(obj, rev)));
    assert.equal(JSON.stringify(obj), before, 'the caller object is not changed');
  });
}

test('encodeWrite: an object quoting the resourceVersion marker is encoded the plain way, still exactly', () => {
  const m = REVISION_MARK;
  const traps: StoredObject[] = [
    { kind: 'Trap', metadata: { name: 'p' }, data: { note: m } },
    { kind: 'Trap', metadata: { name: m } },
    { kind: 'Trap', metadata: { name: 'p', resourceVersion: '3' }, data: { [`"resourceVersion":"${m}"`]: 1 } },
    { kind: 'Trap', metadata: { resourceVersion: m } },
    // The marker's member before the real one: only the uniqueness check keeps these exact.
    { kind: 'Trap', spec: { resourceVersion: m }, metadata: { name: 'p' } },
    { kind: 'Trap', metadata: { labels: { resourceVersion: m }, name: 'p' } },
  ];
  for (const obj of traps) {
    const enc = encodeWrite(obj);
    assert.equal(enc.value.toString('utf8'), encodeObject(obj).toString('utf8'));
    assert.equal(enc.textAt(5), JSON.stringify(stampObject(obj, 5)));
  }
});

