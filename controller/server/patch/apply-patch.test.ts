import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch } from './apply-patch.js';
import { PatchError } from './errors.js';
import type { JsonValue } from './json.js';

const pod: JsonValue = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { app: 'x' } },
  spec: { containers: [{ name: 'c', image: 'i:1', ports: [{ containerPort: 80 }] }] },
};
const containerPatch = { spec: { containers: [{ name: 'c', image: 'i:2' }] } };

const cases: { name: string; contentType: string; body: unknown; want?: JsonValue; error?: { status: number; reason: string; message: RegExp } }[] = [
  {
    name: 'strategic keeps container ports',
    contentType: 'application/strategic-merge-patch+json',
    body: containerPatch,
    want: { ...(pod as object), spec: { containers: [{ name: 'c', image: 'i:2', ports: [{ containerPort: 80 }] }] } },
  },
  {
    name: 'merge patch replaces the containers list (why strategic exists)',
    contentType: 'application/merge-patch+json',
    body: containerPatch,
    want: { ...(pod as object), spec: { containers: [{ name: 'c', image: 'i:2' }] } },
  },
  {
    name: 'json patch from raw bytes with charset parameter',
    contentType: 'application/json-patch+json; charset=utf-8',
    body: new TextEncoder().encode('[{"op":"replace","path":"/metadata/labels/app","value":"y"}]'),
    want: { ...(pod as object), metadata: { name: 'p', labels: { app: 'y' } } },
  },
  {
    name: 'merge patch from a string',
    contentType: 'application/merge-patch+json',
    body: '{"metadata":{"labels":null}}',
    want: { ...(pod as object), metadata: { name: 'p' } },
  },
  {
    name: 'server-side apply is 415',
    contentType: 'application/apply-patch+yaml',
    body: '{}',
    error: { status: 415, reason: 'UnsupportedMediaType', message: /server-side apply/ },
  },
  {
    name: 'plain JSON is not a patch type',
    contentType: 'application/json',
    body: {},
    error: { status: 415, reason: 'UnsupportedMediaType', message: /"application\/json" is not a patch type/ },
  },
  {
    name: 'malformed JSON is 400',
    contentType: 'application/strategic-merge-patch+json',
    body: '{"spec":',
    error: { status: 400, reason: 'BadRequest', message: /not valid JSON/ },
  },
  {
    name: 'merge patch of a scalar is 400',
    contentType: 'application/merge-patch+json',
    body: '3',
    error: { status: 400, reason: 'BadRequest', message: /merge patch must be a JSON object/ },
  },
  {
    name: 'failed json patch test is 422',
    contentType: 'application/json-patch+json',
    body: [{ op: 'test', path: '/metadata/name', value: 'q' }],
    error: { status: 422, reason: 'Invalid', message: /operation 0 \(test \/metadata\/name\)/ },
  },
];

for (const c of cases) {
  test(`applyPatch: ${c.name}`, () => {
    const run = () => applyPatch('Pod', pod, c.body, c.contentType);
    if (c.error) {
      const e = c.error;
      assert.throws(run, (err: unknown) => err instanceof PatchError && err.httpStatus === e.status && err.reason === e.reason && e.message.test(err.message));
    } else {
      assert.deepEqual(run(), c.want);
    }
  });
}
