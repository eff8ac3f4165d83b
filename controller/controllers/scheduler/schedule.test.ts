import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from '../../api/index.js';
import { countsFromPods, schedulePod } from './schedule.js';

const node = (name: string, o: { ready?: boolean; unschedulable?: boolean; labels?: Record<string, string>; taint?: string } = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: o.labels ?? {} },
  spec: { ...(o.unschedulable ? { unschedulable: true } : {}), ...(o.taint ? { taints: [{ key: o.taint, value: 'x', effect: 'NoSchedule' }] } : {}) },
  status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'Unknown' : 'True' }] },
});
const pod = (name: string, o: { owner?: string; node?: string; selector?: Record<string, string>; tolerate?: string } = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: o.owner, uid: o.owner, controller: true }] } : {}) },
  spec: {
    containers: [{ name: 'c' }],
    ...(o.node ? { nodeName: o.node } : {}),
    ...(o.selector ? { nodeSelector: o.selector } : {}),
    ...(o.tolerate ? { tolerations: [{ key: o.tolerate, operator: 'Exists', effect: 'NoSchedule' }] } : {}),
  },
});

test('scheduler: filters and messages', () => {
  const cases: { name: string; nodes: Node[]; pod: Pod; want: string | RegExp }[] = [
    { name: 'only ready', nodes: [node('a', { ready: false }), node('b')], pod: pod('p'), want: 'b' },
    { name: 'unschedulable', nodes: [node('a', { unschedulable: true }), node('b')], pod: pod('p'), want: 'b' },
    { name: 'selector', nodes: [node('a'), node('b', { labels: { disk: 'ssd' } })], pod: pod('p', { selector: { disk: 'ssd' } }), want: 'b' },
    { name: 'taint', nodes: [node('a', { taint: 'gpu' }), node('b')], pod: pod('p'), want: 'b' },
    { name: 'toleration', nodes: [node('a', { taint: 'gpu' })], pod: pod('p', { tolerate: 'gpu' }), want: 'a' },
    {
      name: 'nothing fits',
      nodes: [node('a', { taint: 'gpu' }), node('b', { unschedulable: true }), node('c', { ready: false })],
      pod: pod('p'),
      want: /^0\/3 nodes are available: 1 node\(s\) had untolerated taint \{gpu: x\}, 1 node\(s\) were not ready, 1 node\(s\) were unschedulable\.$/,
    },
    { name: 'no nodes', nodes: [], pod: pod('p'), want: /^0\/0 nodes are available\.$/ },
  ];
  for (const c of cases) {
    const r = schedulePod(c.pod, c.nodes, countsFromPods([]));
    if (typeof c.want === 'string') assert.equal(r.node, c.want, c.name);
    else assert.match(r.node === undefined ? r.message : `bound to ${r.node}`, c.want, c.name);
  }
});

test('scheduler: spreads replicas of one owner across nodes', () => {
  const nodes = [node('a'), node('b'), node('c')];
  const bound: Pod[] = [pod('other1', { node: 'b' }), pod('other2', { node: 'b' })];
  const placed: string[] = [];
  for (let i = 0; i < 6; i++) {
    const p = pod(`r${i}`, { owner: 'rs1' });
    const r = schedulePod(p, nodes, countsFromPods(bound));
    assert.ok(r.node);
    placed.push(r.node);
    bound.push({ ...p, spec: { ...p.spec, nodeName: r.node } });
  }
  const counts = ['a', 'b', 'c'].map((n) => placed.filter((x) => x === n).length);
  assert.deepEqual(counts, [2, 2, 2]);
});
