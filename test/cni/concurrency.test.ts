import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from './build-once.js';
import { TestNode } from './harness.js';

/** 64 plugin processes at once against one IPAM directory (flock shared with host-local). */
describe('sextant CNI: parallel ADDs', () => {
  let node: TestNode;
  before(async () => {
    buildOnce();
    node = await TestNode.create();
  });
  after(async () => node?.destroy());

  const conf = (network: string, subnet: string) => ({
    cniVersion: '1.1.0', name: network, type: 'sextant', subnetFile: node.subnetFile, ipMasq: true,
    ipam: { dataDir: node.dataDir, ranges: [[{ subnet }]] },
  });
  const env = (cmd: string, id: string, netns: string) => ({ CNI_COMMAND: cmd, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: 'eth0' });

  const cases = [
    { name: '64 parallel ADDs on a /24 get 64 distinct IPs', network: 'par24', subnet: '10.60.0.0/24', want: 64 },
    { name: '64 parallel ADDs on a /27: exactly 29 succeed, the rest fail cleanly', network: 'par27', subnet: '10.61.0.0/27', want: 29 },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const pods = await Promise.all(Array.from({ length: 64 }, () => node.newPod()));
      const results = await Promise.all(pods.map((p, i) => node.plugin('sextant', env('ADD', `par-${i}`, p), conf(c.network, c.subnet))));
      const ok = results.filter((r) => r.code === 0);
      const failed = results.filter((r) => r.code !== 0);
      assert.equal(ok.length, c.want, JSON.stringify(failed.slice(0, 3).map((f) => f.doc)));
      const ips = ok.map((r) => (r.doc!.ips as { address: string }[])[0]!.address);
      assert.equal(new Set(ips).size, c.want, 'every address distinct');
      for (const f of failed) {
        assert.equal(f.doc?.code, 101, JSON.stringify(f.doc));
        assert.match(String(f.doc?.msg), /no addresses available/);
      }
      assert.equal(node.reservations(c.network).length, c.want, 'failed ADDs reserved nothing');
      const veths = (await node.links()).filter((l) => l.ifname.startsWith('sxv'));
      assert.equal(veths.length, c.want, 'failed ADDs left no veth');
      assert.equal((await node.natRules()).match(/^:SX-MASQ-/gm)?.length ?? 0, c.want, 'one chain per attachment');
      const dels = await Promise.all(pods.map((p, i) => node.plugin('sextant', env('DEL', `par-${i}`, p), conf(c.network, c.subnet))));
      assert.deepEqual(dels.filter((d) => d.code !== 0).map((d) => d.doc), []);
      assert.deepEqual(node.reservations(c.network), []);
      assert.deepEqual((await node.links()).filter((l) => l.ifname.startsWith('sxv')), []);
      assert.equal((await node.natRules()).match(/^:SX-MASQ-/gm)?.length ?? 0, 0);
      await Promise.all(pods.map((p) => node.deleteNamespace(p)));
    });
});
