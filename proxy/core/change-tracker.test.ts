import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointSliceChangeTracker } from './endpoint-change-tracker.js';
import { endpointsKey, type EndpointInfo } from './endpoint.js';
import { ServiceChangeTracker } from './service-change-tracker.js';
import type { ServicePortInfo } from './service-port.js';
import { slice, svc } from './test-fixtures.js';

const a1 = svc('ns', 'a', { clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80 }] });
const a2 = svc('ns', 'a', { clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 81 }] });

test('service tracker: add then delete before a sync cancels out', () => {
  const t = new ServiceChangeTracker();
  assert.equal(t.update(undefined, a1), true);
  assert.equal(t.update(a1, undefined), false);
  assert.equal(t.pending(), 0);
});

test('service tracker: update and revert before a sync cancels out; a real change is merged at apply', () => {
  const t = new ServiceChangeTracker();
  const map = new Map<string, ServicePortInfo>();
  t.update(undefined, a1);
  assert.deepEqual([...t.apply(map).changed], ['ns/a']);
  assert.equal(map.get('ns/a:http')?.port, 80);
  t.update(a1, a2);
  t.update(a2, a1);
  assert.equal(t.pending(), 0);
  t.update(a1, a2);
  t.update(a2, a2);
  assert.equal(t.pending(), 1);
  t.apply(map);
  assert.equal(map.get('ns/a:http')?.port, 81);
  t.update(a2, undefined);
  t.apply(map);
  assert.equal(map.size, 0);
});

test('service tracker: headless and ExternalName services produce no ports', () => {
  const t = new ServiceChangeTracker();
  assert.equal(t.update(undefined, svc('ns', 'h', { clusterIP: 'None', ports: [{ port: 80 }] })), false);
  assert.equal(t.update(undefined, svc('ns', 'e', { type: 'ExternalName', ports: [{ port: 80 }] })), false);
});

test('service tracker: remembers when the oldest pending change was queued', () => {
  let now = 1000;
  const t = new ServiceChangeTracker(() => now);
  t.update(undefined, a1);
  now = 2000;
  t.update(a1, a2);
  assert.equal(t.oldestQueuedAt(), 1000);
  assert.equal(t.apply(new Map()).queuedAt.get('ns/a'), 1000);
});

const s1 = slice('ns', 'a', 'a-1', [{ name: 'http', port: 8080 }], [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }]);
const s1b = slice('ns', 'a', 'a-1', [{ name: 'http', port: 8080 }], [{ ip: '10.0.0.1' }]);
const s2 = slice('ns', 'a', 'a-2', [{ name: 'http', port: 8080 }], [{ ip: '10.0.0.3' }, { ip: '10.0.0.1', ready: false }]);

test('endpoint tracker: slices of one service merge, duplicates keep the ready copy', () => {
  const t = new EndpointSliceChangeTracker();
  const map = new Map<string, EndpointInfo[]>();
  t.update(s1, false);
  t.update(s2, false);
  assert.deepEqual([...t.apply(map).changed], ['ns/a']);
  const eps = map.get(endpointsKey('ns/a:http', 'tcp'))!;
  assert.deepEqual(eps.map((e) => `${e.ip}:${e.port}:${e.ready}`), ['10.0.0.1:8080:true', '10.0.0.2:8080:true', '10.0.0.3:8080:true']);
});

test('endpoint tracker: a flap that returns to the applied state is dropped; deletes remove endpoints', () => {
  const t = new EndpointSliceChangeTracker();
  const map = new Map<string, EndpointInfo[]>();
  t.update(s1, false);
  t.apply(map);
  assert.equal(t.update(s1b, false), true);
  assert.equal(t.update(s1, false), false);
  assert.equal(t.pending(), 0);
  t.update(s1, true);
  assert.equal(t.pending(), 1);
  t.apply(map);
  assert.equal(map.size, 0);
});
