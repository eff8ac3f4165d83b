import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMergePatch } from './json-merge-patch.js';
import type { JsonValue } from './json.js';

// RFC 7386 appendix A, plus the kubectl shapes (scale, label removal).
const cases: { name: string; original: JsonValue; patch: JsonValue; want: JsonValue }[] = [
  { name: 'replace value', original: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'add key', original: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
  { name: 'null removes', original: { a: 'b' }, patch: { a: null }, want: {} },
  { name: 'null keeps siblings', original: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
  { name: 'array replaces array', original: { a: ['b'] }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'value replaces array', original: { a: 'c' }, patch: { a: ['b'] }, want: { a: ['b'] } },
  { name: 'nested merge and delete', original: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, want: { a: { b: 'd' } } },
  { name: 'arrays never merge', original: { a: [{ b: 'c' }] }, patch: { a: [1] }, want: { a: [1] } },
  { name: 'non-object patch replaces', original: ['a', 'b'], patch: ['c', 'd'], want: ['c', 'd'] },
  { name: 'object patch over array', original: { a: 'b' }, patch: ['c'], want: ['c'] },
  { name: 'null patch', original: { a: 'foo' }, patch: null, want: null },
  { name: 'string patch', original: { a: 'foo' }, patch: 'bar', want: 'bar' },
  { name: 'nulls in new objects dropped', original: { e: null }, patch: { a: 1 }, want: { e: null, a: 1 } },
  { name: 'nested null in new subtree', original: {}, patch: { a: { bb: { ccc: null } } }, want: { a: { bb: {} } } },
  {
    name: 'kubectl scale',
    original: { spec: { replicas: 1, selector: { app: 'x' } } },
    patch: { spec: { replicas: 3 } },
    want: { spec: { replicas: 3, selector: { app: 'x' } } },
  },
  {
    name: 'kubectl label app-',
    original: { metadata: { name: 'p', labels: { app: 'x', tier: 'web' } } },
    patch: { metadata: { labels: { app: null } } },
    want: { metadata: { name: 'p', labels: { tier: 'web' } } },
  },
];

for (const c of cases) {
  test(`applyMergePatch: ${c.name}`, () => {
    const before = structuredClone(c.original);
    assert.deepEqual(applyMergePatch(c.original, c.patch), c.want);
    assert.deepEqual(c.original, before, 'original must not be mutated');
  });
}
