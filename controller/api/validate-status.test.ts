import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from './kinds.js';
import { validateObject } from './validate.js';
import { validateStatusWrite } from './validate-status.js';

const pod = (spec: Record<string, unknown>, status?: unknown) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u-1', resourceVersion: '5' },
  spec,
  ...(status === undefined ? {} : { status }),
});
const goodSpec = { containers: [{ name: 'c', image: 'i' }] };

const cases: { name: string; status: unknown }[] = [
  { name: 'a wrongly typed address', status: { podIPs: [{ ip: 5 }] } },
  { name: 'a condition without a type', status: { conditions: [{ status: 'True' }] } },
  { name: 'a container status missing fields', status: { containerStatuses: [{ name: 'c', ready: 'yes' }] } },
  { name: 'a string', status: 'Running' },
  { name: 'a numeric start time', status: { startTime: 5 } },
];

for (const c of cases) {
  test(`a bad status (${c.name}) gives the causes validateObject gives`, () => {
    const old = pod(goodSpec, { phase: 'Pending' });
    const next = pod(goodSpec, c.status);
    const want = validateObject(KINDS.Pod, next, { old });
    assert.ok(want.length > 0);
    assert.deepEqual(validateStatusWrite(KINDS.Pod, next, old), want);
  });
}

test('a good status or none is valid', () => {
  const old = pod(goodSpec, { phase: 'Pending' });
  assert.deepEqual(validateStatusWrite(KINDS.Pod, pod(goodSpec, { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] }), old), []);
  assert.deepEqual(validateStatusWrite(KINDS.Pod, pod(goodSpec), old), []);
  assert.deepEqual(validateStatusWrite(KINDS.Pod, pod(goodSpec, { phase: 'Running', message: null }), old), []);
});

test('the carried-over spec is not validated again (only the status is the write)', () => {
  // A spec today's rules reject, as stored before they were tightened: a status write still goes through.
  const badSpec = { containers: [{ name: 'Bad_Name', image: 'i' }] };
  const old = pod(badSpec, { phase: 'Pending' });
  const next = pod(badSpec, { phase: 'Running' });
  assert.ok(validateObject(KINDS.Pod, next, { old }).length > 0);
  assert.deepEqual(validateStatusWrite(KINDS.Pod, next, old), []);
});

test('services and nodes: the status schema of each kind is used', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { ports: [{ port: 80 }] } };
  assert.deepEqual(validateStatusWrite(KINDS.Service, { ...svc, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } }, svc), []);
  const bad = { ...svc, status: { loadBalancer: { ingress: 'x' } } };
  assert.deepEqual(validateStatusWrite(KINDS.Service, bad, svc), validateObject(KINDS.Service, bad, { old: svc }));
  assert.ok(validateStatusWrite(KINDS.Service, bad, svc).length > 0);
});
