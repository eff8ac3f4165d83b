import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyJsonPatch } from './json-patch.js';
import { PatchError, type PatchErrorCode } from './errors.js';
import type { JsonValue } from './json.js';

// RFC 6902 appendix A examples plus pointer escapes and kubectl `--type=json` shapes.
const cases: { name: string; doc: JsonValue; ops: unknown; want?: JsonValue; error?: [PatchErrorCode, RegExp] }[] = [
  { name: 'A.1 add object member', doc: { foo: 'bar' }, ops: [{ op: 'add', path: '/baz', value: 'qux' }], want: { foo: 'bar', baz: 'qux' } },
  { name: 'A.2 add array element', doc: { foo: ['bar', 'baz'] }, ops: [{ op: 'add', path: '/foo/1', value: 'qux' }], want: { foo: ['bar', 'qux', 'baz'] } },
  { name: 'A.3 remove member', doc: { baz: 'qux', foo: 'bar' }, ops: [{ op: 'remove', path: '/baz' }], want: { foo: 'bar' } },
  { name: 'A.4 remove element', doc: { foo: ['bar', 'qux', 'baz'] }, ops: [{ op: 'remove', path: '/foo/1' }], want: { foo: ['bar', 'baz'] } },
  { name: 'A.5 replace', doc: { baz: 'qux', foo: 'bar' }, ops: [{ op: 'replace', path: '/baz', value: 'boo' }], want: { baz: 'boo', foo: 'bar' } },
  {
    name: 'A.6 move value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    ops: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    want: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  { name: 'A.7 move array element', doc: { foo: ['all', 'grass', 'cows', 'eat'] }, ops: [{ op: 'move', from: '/foo/1', path: '/foo/3' }], want: { foo: ['all', 'cows', 'eat', 'grass'] } },
  {
    name: 'A.8 test success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    ops: [{ op: 'test', path: '/baz', value: 'qux' }, { op: 'test', path: '/foo/1', value: 2 }],
    want: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  { name: 'A.9 test failure names op', doc: { baz: 'qux' }, ops: [{ op: 'test', path: '/baz', value: 'bar' }], error: ['PatchNotApplicable', /operation 0 \(test \/baz\): test failed/] },
  { name: 'A.10 add nested', doc: { foo: 'bar' }, ops: [{ op: 'add', path: '/child', value: { grandchild: {} } }], want: { foo: 'bar', child: { grandchild: {} } } },
  { name: 'A.12 add to nonexistent target', doc: { foo: 'bar' }, ops: [{ op: 'add', path: '/baz/bat', value: 'qux' }], error: ['PatchNotApplicable', /operation 0 \(add \/baz\/bat\): path \/baz does not exist/] },
  { name: 'A.14 ~ escapes', doc: { '/': 9, '~1': 10 }, ops: [{ op: 'test', path: '/~01', value: 10 }, { op: 'replace', path: '/~1', value: 1 }], want: { '/': 1, '~1': 10 } },
  { name: 'A.15 test compares types', doc: { '/': 9, '~1': 10 }, ops: [{ op: 'test', path: '/~01', value: '10' }], error: ['PatchNotApplicable', /test failed/] },
  { name: 'A.16 add array value', doc: { foo: ['bar'] }, ops: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }], want: { foo: ['bar', ['abc', 'def']] } },
  { name: 'copy', doc: { a: { b: 1 } }, ops: [{ op: 'copy', from: '/a', path: '/c' }], want: { a: { b: 1 }, c: { b: 1 } } },
  { name: 'replace root', doc: { a: 1 }, ops: [{ op: 'replace', path: '', value: [1] }], want: [1] },
  { name: 'test deep equality ignores key order', doc: { a: { x: 1, y: [1, { z: null }] } }, ops: [{ op: 'test', path: '/a', value: { y: [1, { z: null }], x: 1 } }], want: { a: { x: 1, y: [1, { z: null }] } } },
  {
    name: 'kubectl --type=json label add with escaped key',
    doc: { metadata: { labels: {} } },
    ops: [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'web' }],
    want: { metadata: { labels: { 'app.kubernetes.io/name': 'web' } } },
  },
  {
    name: 'all or nothing: later failure names its index',
    doc: { spec: { replicas: 1 } },
    ops: [{ op: 'replace', path: '/spec/replicas', value: 2 }, { op: 'remove', path: '/spec/paused' }],
    error: ['PatchNotApplicable', /operation 1 \(remove \/spec\/paused\): path \/spec\/paused does not exist/],
  },
  { name: 'index out of bounds', doc: { a: [1] }, ops: [{ op: 'add', path: '/a/5', value: 2 }], error: ['PatchNotApplicable', /out of bounds/] },
  { name: 'leading zero index', doc: { a: [1, 2] }, ops: [{ op: 'replace', path: '/a/01', value: 2 }], error: ['PatchNotApplicable', /does not exist/] },
  { name: 'replace missing member', doc: { a: 1 }, ops: [{ op: 'replace', path: '/b', value: 2 }], error: ['PatchNotApplicable', /path \/b does not exist/] },
  { name: 'move into own child', doc: { a: { b: {} } }, ops: [{ op: 'move', from: '/a', path: '/a/b/c' }], error: ['PatchNotApplicable', /own child/] },
  { name: 'not an array', doc: {}, ops: { op: 'add' }, error: ['MalformedPatch', /must be an array/] },
  { name: 'unknown op', doc: {}, ops: [{ op: 'frob', path: '/a' }], error: ['MalformedPatch', /operation 0: op must be one of/] },
  { name: 'missing value', doc: {}, ops: [{ op: 'add', path: '/a' }], error: ['MalformedPatch', /operation 0 \(add \/a\): value is required/] },
  { name: 'missing from', doc: {}, ops: [{ op: 'copy', path: '/a' }], error: ['MalformedPatch', /from must be a string/] },
  { name: 'bad pointer', doc: {}, ops: [{ op: 'add', path: 'a', value: 1 }], error: ['MalformedPatch', /must be empty or start with "\/"/] },
  { name: 'bad escape', doc: {}, ops: [{ op: 'add', path: '/a~2', value: 1 }], error: ['MalformedPatch', /invalid ~ escape/] },
];

for (const c of cases) {
  test(`applyJsonPatch: ${c.name}`, () => {
    const before = structuredClone(c.doc);
    if (c.error) {
      const [code, message] = c.error;
      assert.throws(() => applyJsonPatch(c.doc, c.ops), (err: unknown) => err instanceof PatchError && err.code === code && message.test(err.message));
    } else {
      assert.deepEqual(applyJsonPatch(c.doc, c.ops), c.want);
    }
    assert.deepEqual(c.doc, before, 'original must not be mutated');
  });
}
