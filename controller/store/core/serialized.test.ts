/** The stored texts an object or event carries: found again, never copied along, frozen objects too. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rememberEventJson, rememberJson, storedEventJson, storedJson } from './serialized.js';

test('an object gives back its text; copies, JSON and key walks do not see or carry it', () => {
  const obj = { kind: 'Pod', metadata: { name: 'p' } };
  const text = JSON.stringify(obj);
  rememberJson(obj, text);
  assert.equal(storedJson(obj), text);
  assert.deepEqual(Object.keys(obj), ['kind', 'metadata']);
  assert.equal(JSON.stringify(obj), text);
  assert.equal(storedJson({ ...obj }), undefined);
  assert.equal(storedJson(Object.assign({}, obj)), undefined);
  assert.equal(storedJson(structuredClone(obj)), undefined);
  assert.equal(storedJson(Object.create(obj) as object), undefined);
  assert.deepEqual(obj, { kind: 'Pod', metadata: { name: 'p' } });
  rememberJson(obj, '{"again":true}');
  assert.equal(storedJson(obj), '{"again":true}');
  assert.equal(storedJson({ kind: 'Pod' }), undefined);
});

test('a frozen object or event still gives back its text', () => {
  const obj = Object.freeze({ kind: 'Pod' });
  rememberJson(obj, '{"kind":"Pod"}');
  assert.equal(storedJson(obj), '{"kind":"Pod"}');
  const ev = Object.freeze({ type: 'MODIFIED', object: obj });
  rememberEventJson(ev, '{"kind":"Pod"}');
  assert.equal(storedEventJson(ev), '{"kind":"Pod"}');
});

test("an event's text is its own, apart from its object's", () => {
  const object = { kind: 'Pod' };
  const ev = { type: 'MODIFIED', revision: 3, object };
  rememberEventJson(ev, '{"kind":"Pod","x":1}');
  assert.equal(storedEventJson(ev), '{"kind":"Pod","x":1}');
  assert.equal(storedJson(ev), undefined);
  assert.equal(storedEventJson(object), undefined);
  assert.equal(storedEventJson({ ...ev }), undefined);
});
