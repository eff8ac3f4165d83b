/**
 * The controllers against the real HTTP API (in-process server, memory store): a Deployment
 * becomes a ReplicaSet and Pods that are scheduled across Ready nodes, whose Ready pods appear
 * in an EndpointSlice and Endpoints; scaling, node IPAM, default/kubernetes and garbage
 * collection of everything a deleted Deployment owned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, type Deployment, type EndpointSlice, type Node, type Pod, type Service } from '../../controller/api/index.js';
import { eventually, startInProcessPlane } from './in-process.js';

const node = (name: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: {},
  status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString() }] },
});

const deployment = (replicas: number): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } },
  },
});

test('deployment → pods on nodes → endpoints → scale → delete', async () => {
  const plane = await startInProcessPlane();
  const c = plane.client;
  try {
    for (const n of ['n1', 'n2', 'n3']) await c.create(KINDS.Node, node(n));
    const nodes = await eventually('pod CIDRs', async () => {
      const l = await c.list(KINDS.Node);
      return l.items.every((n) => n.spec?.podCIDR) && l.items;
    });
    assert.deepEqual(nodes.map((n) => n.spec?.podCIDR).sort(), ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);

    const k = await eventually('default/kubernetes', () => c.get(KINDS.Service, 'default', 'kubernetes'));
    assert.equal(k.spec.clusterIP, '10.96.0.1');

    const svc = await c.create<Service>(KINDS.Service, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    assert.match(svc.spec.clusterIP ?? '', /^10\./);

    await c.create(KINDS.Deployment, deployment(3));
    const pods = await eventually('3 bound pods', async () => {
      const l = await c.list(KINDS.Pod, { namespace: 'default', labelSelector: 'app=web' });
      return l.items.length === 3 && l.items.every((p) => p.spec.nodeName) && l.items;
    });
    assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), ['n1', 'n2', 'n3'], 'spread across nodes');
    assert.ok(pods.every((p) => p.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet' && p.metadata.labels?.['pod-template-hash']));

    // The node agent's part: give each pod an IP and mark it Ready.
    let i = 10;
    for (const p of pods) {
      await c.updateStatus<Pod>(KINDS.Pod, { ...p, status: { phase: 'Running', podIPs: [{ ip: `10.244.0.${i}` }], podIP: `10.244.0.${i++}`, conditions: [{ type: 'Ready', status: 'True' }] } });
    }
    const slice = await eventually('3 ready endpoints', async () => {
      const l = await c.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' });
      const eps = l.items.flatMap((s) => s.endpoints);
      return eps.length === 3 && eps.every((e) => e.conditions?.ready) && l.items;
    });
    assert.equal(slice.length, 1);
    assert.deepEqual(slice[0]!.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
    const ep = await eventually('Endpoints', async () => {
      const e = await c.get(KINDS.Endpoints, 'default', 'web');
      return e.subsets?.[0]?.addresses?.length === 3 && e;
    });
    assert.equal(ep.subsets?.[0]?.ports?.[0]?.port, 8080);

    const d = await eventually('deployment status', async () => {
      const x = await c.get(KINDS.Deployment, 'default', 'web');
      return x.status?.availableReplicas === 3 && x;
    });
    assert.equal(d.status?.conditions?.find((x) => x.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(d.status?.observedGeneration, d.metadata.generation);

    await c.patch(KINDS.Deployment, 'default', 'web', { spec: { replicas: 5 } }, 'merge');
    await eventually('5 bound pods', async () => {
      const l = await c.list(KINDS.Pod, { namespace: 'default', labelSelector: 'app=web' });
      return l.items.length === 5 && l.items.every((p) => p.spec.nodeName);
    });

    await c.delete(KINDS.Deployment, 'default', 'web');
    await eventually('everything owned is gone', async () => {
      const [rs, po] = await Promise.all([c.list(KINDS.ReplicaSet, { namespace: 'default' }), c.list(KINDS.Pod, { namespace: 'default' })]);
      // Bound pods wait for their node agent to confirm a graceful delete: play that part.
      for (const p of po.items) if (p.metadata.deletionTimestamp) await c.delete(KINDS.Pod, 'default', p.metadata.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
      if (process.env.SX_TEST_LOG) console.error(rs.items.map((x) => x.metadata.name), po.items.map((x) => [x.metadata.name, x.metadata.deletionTimestamp]));
      return rs.items.length === 0 && po.items.length === 0;
    });
    // Pods left: the slice keeps only the placeholder.
    await eventually('empty slice', async () => {
      const l = await c.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' });
      return l.items.length === 1 && l.items[0]!.endpoints.length === 0;
    });
    await c.delete(KINDS.Service, 'default', 'web');
    await eventually('slices of a deleted service are removed', async () => {
      const l = await c.list<EndpointSlice>(KINDS.EndpointSlice, { namespace: 'default', labelSelector: 'kubernetes.io/service-name=web' });
      return l.items.length === 0;
    });
  } finally {
    await plane.close();
  }
});
