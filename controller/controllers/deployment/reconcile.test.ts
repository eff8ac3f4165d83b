import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from '../../api/index.js';
import { planDeployment, resolveIntOrPercent, sameDeploymentStatus } from './reconcile.js';
import { podTemplateHash } from './hash.js';
import { planReplicaSet, podFromTemplate } from '../replicaset/reconcile.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const deploy = (image: string, replicas: number, strategy?: Deployment['spec']['strategy']): Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1 },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
    ...(strategy ? { strategy } : {}),
  },
});

/** Applies a plan; pods of every ReplicaSet become available at once (ReplicaSet controller + kubelet). */
function step(d: Deployment, rss: ReplicaSet[]): { rss: ReplicaSet[]; plan: ReturnType<typeof planDeployment> } {
  const plan = planDeployment(d, rss, NOW);
  let out = rss.filter((r) => !plan.deleteReplicaSets.includes(r));
  out = out.map((r) => {
    const s = plan.scale.find((x) => x.rs === r);
    return s ? { ...r, spec: { ...r.spec, replicas: s.replicas } } : r;
  });
  if (plan.createReplicaSet) out.push({ ...plan.createReplicaSet, metadata: { ...plan.createReplicaSet.metadata, uid: `rs-${out.length}`, generation: 1 } });
  return { rss: out, plan };
}
const settle = (rss: ReplicaSet[], availableLag: boolean): ReplicaSet[] =>
  rss.map((r) => {
    const n = r.spec.replicas ?? 0;
    // With lag, a scale-up shows its pods first unavailable, then available on the next round.
    const avail = availableLag ? Math.min(n, r.status?.replicas ?? 0) : n;
    return { ...r, status: { replicas: n, readyReplicas: avail, availableReplicas: avail, observedGeneration: 1 } };
  });

test('intOrPercent: surge rounds up, unavailability down', () => {
  const cases: [number | string | undefined, number, boolean, number][] = [
    ['25%', 10, true, 3],
    ['25%', 10, false, 2],
    [undefined, 3, true, 1],
    [undefined, 3, false, 0],
    [2, 10, false, 2],
  ];
  for (const [v, total, up, want] of cases) assert.equal(resolveIntOrPercent(v, total, '25%', up), want, `${String(v)} of ${total}`);
});

test('deployment: creates the ReplicaSet named by the template hash, then reports complete', () => {
  const d = deploy('nginx:1', 3);
  let { rss, plan } = step(d, []);
  const hash = podTemplateHash(d.spec.template);
  assert.equal(plan.createReplicaSet?.metadata.name, `web-${hash}`);
  assert.equal(plan.createReplicaSet?.spec.replicas, 3);
  assert.equal(plan.createReplicaSet?.spec.template?.metadata?.labels?.['pod-template-hash'], hash);
  assert.equal(plan.createReplicaSet?.metadata.ownerReferences?.[0]?.controller, true);
  assert.deepEqual(plan.events.map((e) => e.message), [`Scaled up replica set web-${hash} from 0 to 3`]);
  rss = settle(rss, false);
  ({ rss, plan } = step(d, rss));
  assert.deepEqual(plan.scale, []);
  assert.equal(plan.status.updatedReplicas, 3);
  assert.equal(plan.status.availableReplicas, 3);
  assert.equal(plan.status.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
  assert.equal(plan.status.conditions?.find((c) => c.type === 'Available')?.status, 'True');
  assert.ok(sameDeploymentStatus(plan.status, step(d, rss).plan.status));
});

test('deployment: rolling updates honour maxSurge and maxUnavailable at every step', () => {
  const cases = [
    { name: 'defaults', replicas: 4, strategy: undefined, surge: 1, unavailable: 1 },
    { name: 'surge only', replicas: 5, strategy: { rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } }, surge: 2, unavailable: 0 },
    { name: 'unavailable only', replicas: 5, strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 2 } }, surge: 0, unavailable: 2 },
    { name: 'percent', replicas: 10, strategy: { rollingUpdate: { maxSurge: '30%', maxUnavailable: '10%' } }, surge: 3, unavailable: 1 },
  ];
  for (const c of cases) {
    const v1 = deploy('nginx:1', c.replicas, c.strategy);
    let rss = settle(step(v1, []).rss, false);
    const v2 = { ...deploy('nginx:2', c.replicas, c.strategy), metadata: { ...v1.metadata, generation: 2 } };
    let done = false;
    for (let i = 0; i < 50 && !done; i++) {
      const r = step(v2, rss);
      rss = settle(r.rss, true);
      const total = rss.reduce((s, x) => s + (x.spec.replicas ?? 0), 0);
      const avail = rss.reduce((s, x) => s + (x.status?.availableReplicas ?? 0), 0);
      assert.ok(total <= c.replicas + c.surge, `${c.name}: ${total} pods exceeds surge`);
      assert.ok(avail >= c.replicas - c.unavailable, `${c.name}: only ${avail} available`);
      done = r.plan.status.conditions?.find((x) => x.type === 'Progressing')?.reason === 'NewReplicaSetAvailable';
    }
    assert.ok(done, `${c.name}: rollout finished`);
    const hash2 = podTemplateHash(v2.spec.template);
    assert.deepEqual(
      rss.map((r) => [r.metadata.name, r.spec.replicas]).sort(),
      [[`web-${hash2}`, c.replicas], [`web-${podTemplateHash(v1.spec.template)}`, 0]].sort(),
      c.name,
    );
  }
});

test('deployment: scale up and down touch only the current ReplicaSet; Recreate empties old first', () => {
  const d3 = deploy('nginx:1', 3);
  let rss = settle(step(d3, []).rss, false);
  const up = step(deploy('nginx:1', 5), rss).plan;
  assert.deepEqual(up.scale.map((s) => s.replicas), [5]);
  const down = step(deploy('nginx:1', 1), rss).plan;
  assert.deepEqual(down.scale.map((s) => s.replicas), [1]);

  const rec = deploy('nginx:2', 3, { type: 'Recreate' });
  const r1 = step(rec, rss);
  assert.equal(r1.plan.createReplicaSet?.spec.replicas, 0, 'new RS waits while old pods run');
  assert.deepEqual(r1.plan.scale.map((s) => s.replicas), [0]);
  rss = settle(r1.rss, false);
  const r2 = step(rec, rss);
  assert.deepEqual(r2.plan.scale.map((s) => [s.rs.metadata.name, s.replicas]), [[`web-${podTemplateHash(rec.spec.template)}`, 3]]);
});

test('replicaset: creates and deletes toward replicas, least useful pods first', () => {
  const rs: ReplicaSet = { ...step(deploy('nginx:1', 3), []).plan.createReplicaSet!, metadata: { name: 'web-x', namespace: 'default', uid: 'rs-uid', generation: 2 } };
  const p = (name: string, o: { node?: string; ready?: boolean; deleting?: boolean; created?: string } = {}) => {
    const pod = podFromTemplate(rs);
    pod.metadata.name = name;
    pod.metadata.creationTimestamp = o.created ?? '2025-01-01T00:00:00Z';
    if (o.deleting) pod.metadata.deletionTimestamp = '2025-01-01T00:00:00Z';
    if (o.node) pod.spec.nodeName = o.node;
    pod.status = { phase: o.ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }] };
    return pod;
  };
  const cases: { name: string; replicas: number; pods: ReturnType<typeof p>[]; create: number; del: string[] }[] = [
    { name: 'from zero', replicas: 3, pods: [], create: 3, del: [] },
    { name: 'terminating pods do not count', replicas: 2, pods: [p('a', { node: 'n', ready: true }), p('b', { deleting: true })], create: 1, del: [] },
    {
      name: 'scale down prefers unscheduled, then not ready, then newest',
      replicas: 1,
      pods: [p('old', { node: 'n', ready: true }), p('new', { node: 'n', ready: true, created: '2025-01-02T00:00:00Z' }), p('pending'), p('notready', { node: 'n' })],
      create: 0,
      del: ['pending', 'notready', 'new'],
    },
  ];
  for (const c of cases) {
    const plan = planReplicaSet({ ...rs, spec: { ...rs.spec, replicas: c.replicas } }, c.pods, NOW);
    assert.equal(plan.create, c.create, c.name);
    assert.deepEqual(plan.delete.map((x) => x.metadata.name), c.del, c.name);
  }
  const status = planReplicaSet(rs, [p('a', { node: 'n', ready: true }), p('b', { node: 'n' })], NOW).status;
  assert.deepEqual(status, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2 });
  const pod = podFromTemplate(rs);
  assert.equal(pod.metadata.generateName, 'web-x-');
  assert.deepEqual(pod.metadata.ownerReferences?.[0], { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-x', uid: 'rs-uid', controller: true, blockOwnerDeletion: true });
});
