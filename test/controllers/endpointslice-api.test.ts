/**
 * The EndpointSlice runner against the real HTTP API: multi-key selectors, pods relabelled in
 * and out of a service, a pod deleted, and a user-managed slice of a selector-less service left
 * alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, type EndpointSlice, type Pod, type Service } from '../../controller/api/index.js';
import { eventually, startInProcessPlane } from './in-process.js';

test('endpointslice runner: selectors, relabels, deletes, selector-less services', async () => {
  const plane = await startInProcessPlane({ controllers: 'endpointslice,service-allocation' });
  const c = plane.client;
  const addresses = async (svc: string) => {
    const l = await c.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default', labelSelector: `kubernetes.io/service-name=${svc}` });
    return l.items.flatMap((s) => s.endpoints.map((e) => e.addresses[0]!)).sort();
  };
  const mkPod = async (name: string, labels: Record<string, string>, ip: string) => {
    const p = await c.create<Pod>(KINDS.Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    return c.updateStatus<Pod>(KINDS.Pod, { ...p, status: { phase: 'Running', podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] } });
  };
  try {
    await c.create<Service>(KINDS.Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'fe', namespace: 'default' }, spec: { selector: { app: 'web', tier: 'fe' }, ports: [{ port: 80 }] } });
    await mkPod('a', { app: 'web', tier: 'fe' }, '10.0.0.1');
    await mkPod('b', { app: 'web', tier: 'be' }, '10.0.0.2');
    const c3 = await mkPod('c', { app: 'web' }, '10.0.0.3');
    await eventually('only the fe pod', async () => JSON.stringify(await addresses('fe')) === '["10.0.0.1"]');
    await c.patch(KINDS.Pod, 'default', 'c', { metadata: { labels: { tier: 'fe' } } }, 'merge');
    await eventually('relabelled pod joins', async () => JSON.stringify(await addresses('fe')) === '["10.0.0.1","10.0.0.3"]');
    await c.patch(KINDS.Pod, 'default', 'a', { metadata: { labels: { tier: 'be' } } }, 'merge');
    await eventually('relabelled pod leaves', async () => JSON.stringify(await addresses('fe')) === '["10.0.0.3"]');
    await c.delete(KINDS.Pod, 'default', c3.metadata.name ?? '');
    await eventually('deleted pod leaves', async () => JSON.stringify(await addresses('fe')) === '[]');

    await c.create<Service>(KINDS.Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    await c.create<EndpointSlice>(KINDS.EndpointSlice, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'ext-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'ext' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['192.0.2.1'] }],
      ports: [{ port: 80 }],
    });
    await new Promise((r) => setTimeout(r, 300));
    await plane.controllers.idle();
    assert.deepEqual(await addresses('ext'), ['192.0.2.1'], 'user slice kept, none added');
  } finally {
    await plane.close();
  }
});
