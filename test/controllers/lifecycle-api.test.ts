/**
 * Garbage collection (background, foreground, orphan), the scheduler's FailedScheduling event and
 * node lifecycle (stale lease → Ready=Unknown → endpoints not ready) against the real HTTP API
 * of an in-process server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, type EndpointSlice, type Event, type Lease, type Node, type Pod, type ReplicaSet, type Service } from '../../controller/api/index.js';
import { eventually, startInProcessPlane } from './in-process.js';

const rs = (name: string, finalizers?: string[]): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace: 'default', ...(finalizers ? { finalizers } : {}) },
  spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
});
const ownedPod = (name: string, owner: ReplicaSet): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '', controller: false }],
  },
  spec: { containers: [{ name: 'c', image: 'x' }] },
});

test('garbage collection: background, foreground and orphan', async () => {
  const plane = await startInProcessPlane({ controllers: 'garbage-collector' });
  const c = plane.client;
  const podExists = async (n: string) => c.get(KINDS.Pod, 'default', n).then(() => true, () => false);
  try {
    const cases: { name: string; finalizers?: string[]; podKept: boolean }[] = [
      { name: 'bg', podKept: false },
      { name: 'fg', finalizers: ['foregroundDeletion'], podKept: false },
      { name: 'orphan', finalizers: ['orphan'], podKept: true },
    ];
    for (const k of cases) {
      const owner = await c.create(KINDS.ReplicaSet, rs(k.name, k.finalizers));
      await c.create(KINDS.Pod, ownedPod(`${k.name}-pod`, owner));
      await c.delete(KINDS.ReplicaSet, 'default', k.name);
      await eventually(`${k.name}: owner gone`, async () => c.get(KINDS.ReplicaSet, 'default', k.name).then(() => false, () => true));
      if (k.podKept) {
        const p = await eventually(`${k.name}: references dropped`, async () => {
          const x = await c.get(KINDS.Pod, 'default', `${k.name}-pod`);
          return (x.metadata.ownerReferences ?? []).length === 0 && x;
        });
        assert.ok(p);
        await new Promise((r) => setTimeout(r, 300));
        assert.ok(await podExists(`${k.name}-pod`), `${k.name}: orphan stays`);
      } else {
        await eventually(`${k.name}: dependent deleted`, async () => !(await podExists(`${k.name}-pod`)));
      }
    }
    // A dependent whose owner never existed (uid unknown) is collected too.
    await c.create(KINDS.Pod, ownedPod('dangling', { ...rs('ghost'), metadata: { name: 'ghost', uid: 'no-such-uid' } }));
    await eventually('dangling dependent deleted', async () => !(await podExists('dangling')));
  } finally {
    await plane.close();
  }
});

const node = (name: string, o: { taint?: boolean } = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  spec: o.taint ? { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] } : {},
  status: { conditions: [{ type: 'Ready', status: 'True' }] },
});

test('scheduler: a pod that fits nowhere stays Pending with a FailedScheduling event', async () => {
  const plane = await startInProcessPlane({ controllers: 'scheduler' });
  const c = plane.client;
  try {
    await c.create(KINDS.Node, node('tainted', { taint: true }));
    await c.create(KINDS.Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } } as Pod);
    const ev = await eventually('FailedScheduling', async () => {
      const l = await c.list<Event>(KINDS.Event, { namespace: 'default' });
      return l.items.find((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'p' && e.message?.startsWith('0/1'));
    });
    assert.equal(ev.message, '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: db}.');
    assert.equal(ev.type, 'Warning');
    assert.equal((await c.get(KINDS.Pod, 'default', 'p')).spec.nodeName, undefined);
    // A node that fits arrives: the pod is bound.
    await c.create(KINDS.Node, node('free'));
    await eventually('bound to the new node', async () => (await c.get(KINDS.Pod, 'default', 'p')).spec.nodeName === 'free');
  } finally {
    await plane.close();
  }
});

test('node lifecycle: a lease not renewed within the grace makes the node Unknown and its endpoints not ready', async () => {
  const plane = await startInProcessPlane({ controllers: 'node-lifecycle,endpointslice', nodeGracePeriodMs: 1500 });
  const c = plane.client;
  try {
    await c.create(KINDS.Node, node('n1'));
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'n1', namespace: 'kube-node-lease' },
      spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: new Date().toISOString() },
    };
    await c.create(KINDS.Lease, lease);
    await c.create<Service>(KINDS.Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { selector: { app: 's' }, ports: [{ port: 80 }] } });
    const p = await c.create<Pod>(KINDS.Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', labels: { app: 's' } }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } });
    await c.updateStatus<Pod>(KINDS.Pod, { ...p, status: { phase: 'Running', podIPs: [{ ip: '10.244.0.5' }], conditions: [{ type: 'Ready', status: 'True' }] } });
    await eventually('endpoint ready', async () => {
      const l = await c.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=s' });
      return l.items[0]?.endpoints[0]?.conditions?.ready === true;
    });
    assert.equal((await c.get(KINDS.Node, undefined, 'n1')).status?.conditions?.[0]?.status, 'True', 'fresh lease: still Ready');
    const n = await eventually('node Unknown', async () => {
      const x = await c.get(KINDS.Node, undefined, 'n1');
      return x.status?.conditions?.find((k) => k.type === 'Ready')?.status === 'Unknown' && x;
    });
    assert.equal(n.status?.conditions?.[0]?.reason, 'NodeStatusUnknown');
    await eventually('unreachable taint', async () => (await c.get(KINDS.Node, undefined, 'n1')).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable'));
    await eventually('endpoint not ready', async () => {
      const l = await c.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=s' });
      return l.items[0]?.endpoints[0]?.conditions?.ready === false;
    });
  } finally {
    await plane.close();
  }
});
