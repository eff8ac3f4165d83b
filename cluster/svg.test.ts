import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterStatus } from './status.js';
import { renderSvg } from './svg.js';

const status = (nodes: number, pods: number): ClusterStatus => ({
  name: 'demo',
  subnet: '172.28.0.0/24',
  underlayNetns: 'sx-demo-ul',
  apiHealthy: true,
  apiPort: 40000,
  forwarder: { pid: 42, running: true },
  kubeconfig: '/run/sextant/demo/kubeconfig',
  clusterCIDR: '10.244.0.0/16',
  serviceCIDR: '10.96.0.0/12',
  hosts: [
    ...Array.from({ length: nodes }, (_, i) => ({
      id: i ? `w${i}` : 'cp', role: (i ? 'worker' : 'control-plane') as 'worker' | 'control-plane', name: `n${i}`, netns: `sx-demo-n${i}`, netnsPresent: true,
      ip: `172.28.0.${i + 2}`, ipPresent: true, daemons: [{ id: `agent/n${i}`, pid: 100 + i, running: i !== 1 }],
      node: { ready: i !== 1, podCIDR: `10.244.${i}.0/24`, taints: [] },
    })),
    { id: 'out', role: 'outside' as const, name: 'outside', netns: 'sx-demo-out', netnsPresent: true, ip: '172.28.0.254', ipPresent: true, daemons: [] },
  ],
  pods: Array.from({ length: pods }, (_, i) => ({ namespace: 'default', name: `web-<${i}>&`, node: 'n0', ip: `10.244.0.${i + 2}`, phase: 'Running', ready: true })),
  notes: [],
});

test('renderSvg: hosts, addresses, CIDRs, pods and one tunnel per node pair', async (t) => {
  const cases = [
    { name: '3 nodes, 2 pods', nodes: 3, pods: 2, tunnels: 3, podRows: 2, more: false },
    { name: '4 nodes, 20 pods (capped)', nodes: 4, pods: 20, tunnels: 6, podRows: 14, more: true },
    { name: '1 node, no mesh', nodes: 1, pods: 0, tunnels: 0, podRows: 0, more: false },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const svg = renderSvg(status(c.nodes, c.pods));
      assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>\n$/);
      for (let i = 0; i < c.nodes; i++) {
        assert.ok(svg.includes(`eth0 172.28.0.${i + 2}`), `node ${i} address`);
        assert.ok(svg.includes(`pod CIDR 10.244.${i}.0/24`), `node ${i} pod CIDR`);
      }
      assert.ok(svg.includes('eth0 172.28.0.254'));
      assert.equal((svg.match(/stroke="#0969da"/g) ?? []).length, c.tunnels);
      assert.equal((svg.match(/web-&lt;\d+&gt;&amp;/g) ?? []).length, c.podRows, 'pod names escaped, capped');
      assert.equal(svg.includes('more pods'), c.more);
      const opened = (svg.match(/<text /g) ?? []).length;
      const contents = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
      assert.equal(contents.length, opened, 'every text element closes without nested markup');
      assert.ok(contents.every((t) => !t.replace(/&(amp|lt|gt|quot);/g, '').includes('&')), 'entities only');
      if (c.nodes > 1) assert.ok(svg.includes('NotReady'), 'unhealthy node shown');
    });
  }
});
