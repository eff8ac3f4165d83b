import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isClusterError } from './errors.js';
import { findHost, planLayout } from './layout.js';

test('planLayout: hosts, names and addresses carry the cluster name', async (t) => {
  const cases = [
    {
      name: 'default 3 nodes',
      opts: { name: 'sx', nodes: 3 },
      hosts: [
        ['cp', 'control-plane', 'sx-sx-cp', '172.28.0.2', 'sx-control-plane'],
        ['w1', 'worker', 'sx-sx-w1', '172.28.0.3', 'sx-worker'],
        ['w2', 'worker', 'sx-sx-w2', '172.28.0.4', 'sx-worker2'],
        ['out', 'outside', 'sx-sx-out', '172.28.0.254', undefined],
      ],
      underlay: 'sx-sx-ul',
    },
    {
      name: 'single node, other subnet',
      opts: { name: 'e2e-a1', nodes: 1, subnet: '10.50.7.9/26' },
      hosts: [
        ['cp', 'control-plane', 'sx-e2e-a1-cp', '10.50.7.2', 'e2e-a1-control-plane'],
        ['out', 'outside', 'sx-e2e-a1-out', '10.50.7.62', undefined],
      ],
      underlay: 'sx-e2e-a1-ul',
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const l = planLayout(c.opts);
      assert.deepEqual(l.hosts.map((h) => [h.id, h.role, h.netns, h.ip, h.nodeName]), c.hosts);
      assert.equal(l.underlayNetns, c.underlay);
      assert.equal(l.stateDir, `/run/sextant/${c.opts.name}`);
      assert.equal(l.dataDir, `/var/lib/sextant/clusters/${c.opts.name}`);
    });
  }
});

test('planLayout: refuses what cannot work, naming the flag', async (t) => {
  const cases = [
    { name: 'upper case name', opts: { name: 'Sx', nodes: 3 }, code: 'CLUSTER_INVALID_NAME', msg: /--name/ },
    { name: 'name with a slash', opts: { name: 'a/b', nodes: 3 }, code: 'CLUSTER_INVALID_NAME', msg: /--name/ },
    { name: 'too long', opts: { name: 'a'.repeat(17), nodes: 3 }, code: 'CLUSTER_INVALID_NAME', msg: /--name/ },
    { name: 'zero nodes', opts: { name: 'sx', nodes: 0 }, code: 'CLUSTER_HOST_SETUP', msg: /--nodes/ },
    { name: 'subnet too small', opts: { name: 'sx', nodes: 20, subnet: '10.0.0.0/28' }, code: 'CLUSTER_HOST_SETUP', msg: /too small/ },
    { name: 'not a CIDR', opts: { name: 'sx', nodes: 3, subnet: '10.0.0.0' }, code: 'CLUSTER_HOST_SETUP', msg: /--subnet/ },
  ] as const;
  for (const c of cases) {
    await t.test(c.name, () => {
      assert.throws(() => planLayout(c.opts), (err: unknown) => isClusterError(err, c.code) && c.msg.test((err as Error).message));
    });
  }
});

test('findHost: by node name, host id, or outside', () => {
  const l = planLayout({ name: 'sx', nodes: 2 });
  assert.equal(findHost(l, 'sx-worker')?.netns, 'sx-sx-w1');
  assert.equal(findHost(l, 'cp')?.nodeName, 'sx-control-plane');
  assert.equal(findHost(l, 'outside')?.role, 'outside');
  assert.equal(findHost(l, 'sx-worker2'), undefined);
});
